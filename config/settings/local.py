"""Development settings: what `make run` uses. DEBUG on, a fixed development secret."""

import os

from . import base as _base
from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Only ever used with DEBUG on a developer's machine; production refuses to start without one.
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"
# Personal data typed into a development database is protected by nothing: the keys are public.
# (Read through the module: a name assigned here cannot also be read from the star import.)
if not (_base.FIELD_ENCRYPTION_KEYS or _base.FIELD_ENCRYPTION_KEY_FILE):
    FIELD_ENCRYPTION_KEYS = _base.DEVELOPMENT_FIELD_ENCRYPTION_KEYS
if not _base.FIELD_BLIND_INDEX_KEY:
    FIELD_BLIND_INDEX_KEY = _base.DEVELOPMENT_FIELD_BLIND_INDEX_KEY
# The demo: users that seed_demo enrolled with the published authenticator secret sign in
# without a code (docs/security.md); ARREARS_DEMO=0 to try the verify step with them.
ARREARS_DEMO = env_bool("ARREARS_DEMO", True)
