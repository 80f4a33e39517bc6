"""gunicorn entry point: ``gunicorn wsgi:app``."""

from civic.app import create_app

app = create_app()
