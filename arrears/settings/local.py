"""Development settings: what `make run` uses. DEBUG on, a fixed development secret."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Only ever used with DEBUG on a developer's machine; production refuses to start without one.
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"
# Personal data typed into a development database is protected by nothing: the keys are public.
if not (FIELD_ENCRYPTION_KEYS or FIELD_ENCRYPTION_KEY_FILE):  # noqa: F405
    FIELD_ENCRYPTION_KEYS = DEVELOPMENT_FIELD_ENCRYPTION_KEYS  # noqa: F405
if not FIELD_BLIND_INDEX_KEY:  # noqa: F405
    FIELD_BLIND_INDEX_KEY = DEVELOPMENT_FIELD_BLIND_INDEX_KEY  # noqa: F405
# The demo: users that seed_demo enrolled with the published authenticator secret sign in
# without a code (docs/security.md); ARREARS_DEMO=0 to try the verify step with them.
ARREARS_DEMO = env_bool("ARREARS_DEMO", True)
