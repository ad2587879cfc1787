"""The researcher's desk: `citewatch serve`, a server-rendered dashboard on the CLI's domain layer.

Layout: `app.py` builds the Starlette application; `context.py` is what every page gets (the
configuration, the database, the clock, templates); `auth.py` users, roles and sessions;
`security.py` CSRF tokens, security headers and login rate limits; `i18n.py` the interface's
languages; `pages/` one module per part of the dashboard; `replay.py` our copies replayed from
their WARC records on a separate origin; `jobs.py` archive and check runs started from the
dashboard; `templates/` and `static/` everything the browser loads (nothing from a CDN).
"""
