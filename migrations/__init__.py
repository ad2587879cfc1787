"""Alembic migrations of the citewatch schema (run by `citewatch db upgrade`)."""
