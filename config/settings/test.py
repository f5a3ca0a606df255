"""Test settings: the same database and broker selection as the others (DATABASE_URL, REDIS_URL),
fast password hashing, outgoing e-mail kept in memory."""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, REDIS_URL

SECRET_KEY = "test-only-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
# Fixed keys, whatever the environment says: tests that need others override them.
FIELD_ENCRYPTION_KEYS = DEVELOPMENT_FIELD_ENCRYPTION_KEYS  # noqa: F405
FIELD_ENCRYPTION_KEY_FILE = ""
FIELD_BLIND_INDEX_KEY = DEVELOPMENT_FIELD_BLIND_INDEX_KEY  # noqa: F405
# Sessions of client.force_login() count as verified (arrears/two_factor/signals.py): tests of
# other features are not held at the verify step. tests/arrears/test_two_factor.py turns it
# off; the browser tests sign in through the real form.
TWO_FACTOR_TRUST_TEST_LOGINS = True
# Unit tests run tasks in-process when their transaction commits; the real worker over the
# configured broker is exercised by tests/arrears/test_celery_worker.py.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Threads in tests (the live server, the Celery worker, races) must not keep connections open
# past their work, or the test database cannot be dropped at the end.
for _alias in DATABASES:  # noqa: F405
    DATABASES[_alias]["CONN_MAX_AGE"] = 0  # noqa: F405
# Uploaded evidence in tests goes to a throwaway folder, not var/media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="arrears-test-media-"))
# Dashboards computed on every request, so tests see the rows they just wrote
# (tests/reporting/test_cache.py turns the cache on).
REPORTING_CACHE_SECONDS = 0
# No collectstatic before tests: whitenoise serves the source folders (the live-server browser
# tests load the real CSS and scripts) and does not look for STATIC_ROOT.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True


def _redis_db_of_worker(url: str, worker: str) -> str:
    """The Redis URL of one pytest-xdist worker: its database is the given one plus the
    worker's number (gw0 keeps it, gw1 the next), so workers never share a cache (a test's
    cache.clear() empties the whole database) or a broker queue."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = base + int(worker.removeprefix("gw"))
    if db > 15:
        raise ImproperlyConfigured(
            f"REDIS_URL database {base} + xdist worker {worker} is past Redis's 16 databases: "
            "give REDIS_URL a lower database or run fewer workers (-n)"
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


# Under pytest-xdist (`make test` runs two workers) each worker has its own test database
# (pytest-django appends the worker's id) and, here, its own Redis database.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER:
    if REDIS_URL:
        REDIS_URL = _redis_db_of_worker(REDIS_URL, _XDIST_WORKER)
    if CACHES["default"]["BACKEND"].endswith("RedisCache"):  # noqa: F405
        CACHES["default"]["LOCATION"] = _redis_db_of_worker(  # noqa: F405
            CACHES["default"]["LOCATION"],  # noqa: F405
            _XDIST_WORKER,
        )
    if CELERY_BROKER_URL.startswith("redis://"):
        CELERY_BROKER_URL = _redis_db_of_worker(CELERY_BROKER_URL, _XDIST_WORKER)
