"""Development settings: what `make run` uses. DEBUG on, a fixed development secret."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Only ever used with DEBUG on a developer's machine; production refuses to start without one.
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"
