"""gunicorn entry point: ``gunicorn -k gthread --threads 8 cloudrun.executor.main:app``."""

from cloudrun.executor.app import create_app

app = create_app()
