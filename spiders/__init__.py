"""citewatch's spiders: `archive` (first copies of cited sources), `check` (nightly re-checks)."""
