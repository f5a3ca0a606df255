"""Who is acting: the actor every audit row and security event names (a user through the
request, a task, a command), and the switch that suspends recording for the demo seeder."""

from __future__ import annotations

import contextvars
import datetime
import decimal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest


@dataclass(frozen=True)
class Actor:
    label: str
    user_id: int | None = None
    request: HttpRequest | None = None


_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("audit_actor", default=None)
_suspended: contextvars.ContextVar[bool] = contextvars.ContextVar("audit_suspended", default=False)


@contextmanager
def acting_as(*, user: Any = None, label: str | None = None) -> Iterator[None]:
    """Name who is acting for everything recorded inside the block (tasks, commands, tests)."""
    if user is not None:
        actor = Actor(label=label or f"user:{user.get_username()}", user_id=user.pk)
    else:
        actor = Actor(label=label or "system")
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def bind_request(request: HttpRequest) -> contextvars.Token[Actor | None]:
    # The request is kept rather than its user: DRF authenticates inside the view, after the
    # middleware ran, and sets the user on the same HttpRequest.
    return _actor.set(Actor(label="anonymous", request=request))


def reset_actor(token: contextvars.Token[Actor | None]) -> None:
    _actor.reset(token)


@contextmanager
def suspended() -> Iterator[None]:
    """Record nothing inside the block. Only for generating demo data in bulk."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def current_actor() -> tuple[int | None, str]:
    actor = _actor.get()
    if actor is None:
        return None, "system"
    if actor.request is not None:
        user = getattr(actor.request, "user", None)
        if user is not None and user.is_authenticated:
            return user.pk, f"user:{user.get_username()}"
        return None, "anonymous"
    return actor.user_id, actor.label


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
