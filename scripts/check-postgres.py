"""Exit 0 when PostgreSQL answers at the given URL, 1 otherwise (used by `make test`)."""

import sys

import psycopg

try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except psycopg.Error:
    sys.exit(1)
