"""Production settings: passes `manage.py check --deploy`. Every secret and host comes from the
environment; the process refuses to start without them."""

import os

from django.core.exceptions import ImproperlyConfigured

from arrears.encryption import key_ring_text, parse_blind_index_key, parse_key_ring

from .base import *  # noqa: F403
from .base import env_bool, env_list

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to at least 50 random characters")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts this server answers for")
# Phone and ID numbers are stored encrypted: without the keys nothing can be read or written,
# and the development keys are public. Parsed here so a malformed key stops the start.
if not (FIELD_ENCRYPTION_KEYS or FIELD_ENCRYPTION_KEY_FILE):  # noqa: F405
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS or FIELD_ENCRYPTION_KEY_FILE must be set")
_RING = parse_key_ring(key_ring_text(FIELD_ENCRYPTION_KEYS, FIELD_ENCRYPTION_KEY_FILE))  # noqa: F405
if not FIELD_BLIND_INDEX_KEY:  # noqa: F405
    raise ImproperlyConfigured("FIELD_BLIND_INDEX_KEY must be set")
if parse_blind_index_key(FIELD_BLIND_INDEX_KEY) in _RING.keys.values():  # noqa: F405
    raise ImproperlyConfigured("FIELD_BLIND_INDEX_KEY must differ from the encryption keys")
if set(parse_key_ring(DEVELOPMENT_FIELD_ENCRYPTION_KEYS).keys.values()) & set(  # noqa: F405
    _RING.keys.values()
):
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS: the development keys are public")

# The audit trails' MAC key: without it anyone could recompute the chain over edited rows.
AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY", "")
if len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must be set to at least 32 random characters")

# The intranet's reverse proxy terminates TLS and sets X-Forwarded-Proto and appends the
# client's address to X-Forwarded-For (one proxy unless said otherwise).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1"))
# The intranet's reverse proxy terminates TLS and sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Health probes come from inside the host or container on plain HTTP (Docker's healthcheck,
# the load balancer, scripts/smoke-prod.sh); a redirect to https would fail them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Secure cookies are not tied to SECURE_SSL_REDIRECT: a proxy that does the redirect itself is a
# reason to turn the app's redirect off, never to send the session cookie over plain HTTP.
# Only scripts/smoke-prod.sh, which logs a browser in over http://127.0.0.1, turns them off.
_INSECURE_COOKIES = env_bool("ARREARS_INSECURE_COOKIES_FOR_SMOKE", False)
SESSION_COOKIE_SECURE = not _INSECURE_COOKIES
CSRF_COOKIE_SECURE = not _INSECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
# Nobody passes the second factor without a code here, whatever the environment says (the
# demo shortcut of local settings; the smoke test types a code computed from the demo secret).
ARREARS_DEMO = False
TWO_FACTOR_TRUST_TEST_LOGINS = False
# SESSION_COOKIE_AGE is SESSION_MAX_HOURS (base): one working day by default, since officials
# share terminals at service windows.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
