"""arrears: the project package (settings, URLs, API router, Celery app) and the building
blocks every app shares (organisation and roles, calendar, deadlines, scoping, audit)."""

from .celery_app import app as celery_app

__all__ = ["celery_app"]
