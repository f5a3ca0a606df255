"""The project's configuration, the top of the house (as cookiecutter-django's `config/`):
settings, the URLconf, the API router, the Celery app, WSGI and ASGI. It may import every
app; no app imports it."""

from .celery_app import app as celery_app

__all__ = ["celery_app"]
