"""Shared kit for the platform's nameko services: what every service needs, nothing more."""

import os

# psycopg reads this at import time. Its C wait function blocks every eventlet worker; the
# pure-Python select wait is cooperative (see ARCHITECTURE.md, "Facts measured").
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
