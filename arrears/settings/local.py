"""Development settings: what `make run` uses. DEBUG on, a fixed development secret."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
if not SECRET_KEY:  # noqa: F405
    # Only ever used with DEBUG on a developer's machine; production refuses to start without one.
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"
