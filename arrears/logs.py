"""Request ids and logging: the id of the request (or Celery task) being served, a filter that
puts it on every log record, the administrators list read from the environment, and the
optional error-reporting hook."""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
import threading
from collections.abc import Callable
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

# "-" outside any request or task (start-up, management commands), so the field is never empty
# and a plain-text line always has the same number of columns.
NO_REQUEST = "-"
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NO_REQUEST)

# What we accept from the proxy's X-Request-ID: the usual shapes (hex, UUIDs, nginx's
# $request_id, "Root=1-…" trace ids) and nothing that could break a log line or a header
# (spaces, quotes, newlines), bounded so a client cannot make every log line huge.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{7,127}")


def new_request_id() -> str:
    return secrets.token_hex(16)


def sane_request_id(value: str | None) -> str | None:
    """The proxy's id if it is a sane token, else None (the caller makes a new one)."""
    if value and _SANE.fullmatch(value):
        return value
    return None


def current_request_id() -> str:
    return request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (attached to the handlers, so records propagated from
    any logger get it too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def admins_from_env(value: str) -> list[tuple[str, str]]:
    """`"Name <a@b>,c@d"` → Django's ADMINS: [("Name", "a@b"), ("c@d", "c@d")]."""
    admins = []
    for name, address in getaddresses([value]):
        if "@" in address:
            admins.append((name or address, address))
    return admins


# One hook per process, imported on first use (settings are not ready when LOGGING is built).
_hook: Callable[[Any, Any], object] | None = None
_hook_path: str | None = None
_inside = threading.local()


class ErrorHookHandler(logging.Handler):
    """Calls settings.ERROR_HOOK(request_or_None, exc_info) for every error logged with an
    exception: failed requests (django.request carries the request), failed Celery tasks and
    anything else that logs with exc_info. Nothing is called when ERROR_HOOK is empty."""

    def emit(self, record: logging.LogRecord) -> None:
        if not record.exc_info or getattr(_inside, "active", False):
            return
        # A hook that logs an error itself must not call itself again.
        _inside.active = True
        try:
            # Loaded here, inside the try: a mistyped ERROR_HOOK is reported on stderr by
            # logging, and the request that failed still gets its 500 page.
            hook = _load_hook()
            if hook is not None:
                hook(getattr(record, "request", None), record.exc_info)
        except Exception:
            # A broken reporter must never break the request or the task it reports on.
            self.handleError(record)
        finally:
            _inside.active = False


def _load_hook() -> Callable[[Any, Any], object] | None:
    global _hook, _hook_path

    path = getattr(settings, "ERROR_HOOK", "") or ""
    if path != _hook_path:
        _hook = import_string(path) if path else None
        _hook_path = path
    return _hook
