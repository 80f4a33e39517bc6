"""gunicorn entry point: ``gunicorn wsgi:app``."""

import gc

from civic.app import create_app

app = create_app()
# What start-up made lives as long as the worker: keep it out of the garbage collector's generations, so
# collections during requests walk only what requests make (shorter pauses, fewer slow requests).
gc.freeze()
