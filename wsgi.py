"""gunicorn entry point: ``gunicorn wsgi:app``."""

import gc
import sys

from civic.app import create_app
from civic.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as problems:
    # One plain sentence per problem, no traceback; gunicorn stops (3: its "worker failed to boot").
    print(f"Civic cannot start:\n{problems}", file=sys.stderr)
    raise SystemExit(3) from None
# What start-up made lives as long as the worker: keep it out of the garbage collector's generations, so
# collections during requests walk only what requests make (shorter pauses, fewer slow requests).
gc.freeze()
