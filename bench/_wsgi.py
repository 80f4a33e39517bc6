"""The app as gunicorn serves it in benchmarks, with an optional per-request SQL statement counter.

With ``CIVIC_BENCH_COUNT_QUERIES=1`` every response carries ``X-Bench-Queries``: the number of SQL statements
the request ran (counted on the engine's ``before_cursor_execute``, per thread). Benchmarks only: the app
itself knows nothing of it.
"""

from __future__ import annotations

import gc
import os
import threading

from sqlalchemy import event

from civic.app import create_app
from civic.db import db

app = create_app()
gc.freeze()  # as wsgi.py: start-up objects stay out of the collector

if os.environ.get("CIVIC_BENCH_COUNT_QUERIES") == "1":
    _local = threading.local()

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(*_args) -> None:
        _local.n = getattr(_local, "n", 0) + 1

    _inner = app.wsgi_app

    def _counting(environ, start_response):
        _local.n = 0

        def start(status, headers, exc_info=None):
            headers.append(("X-Bench-Queries", str(_local.n)))
            return start_response(status, headers, exc_info)

        return _inner(environ, start)

    app.wsgi_app = _counting  # type: ignore[method-assign]
