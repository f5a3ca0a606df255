"""Security events (安全审计, GB/T 22239-2019 8.1.4.3): logins, logouts, failed logins,
lockouts, two-factor devices, role and permission changes, configuration changes, exports and
imports, reveals of personal data, API key use and revocation.

`security_event` is the one way to write one; the receivers below connect it to Django's auth
signals, django-axes' lockout signal and django-otp's devices when those apps are installed,
and the change trail calls it for the fields in SECURITY_FIELDS."""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from arrears.actors import _actor, _jsonable, current_actor
from arrears.audit import chain
from arrears.ratelimit import client_ip

logger = logging.getLogger(__name__)

# Changes of these fields are security events as well as rows of the change trail: who may do
# what (role and flags), where (scope) and which groups and permissions.
SECURITY_FIELDS: dict[str, tuple[str, frozenset[str]]] = {
    "arrears.user": (
        "role_changed",
        frozenset(
            {
                "role",
                "is_staff",
                "is_superuser",
                "is_active",
                "county",
                "department",
                "groups",
                "user_permissions",
            }
        ),
    ),
    # Every configuration value (thresholds, deadlines, retention) is a security setting here.
    "arrears.configvalue": ("config_changed", frozenset()),
}


def _request_of_context() -> Any:
    actor = _actor.get()
    return None if actor is None else actor.request


def security_event(
    *,
    kind: str,
    actor: Any = None,
    request: Any = None,
    obj: models.Model | None = None,
    result: str = "success",
    detail: dict[str, Any] | None = None,
    address: str | None = None,
    actor_label: str | None = None,
    object_repr: str | None = None,
) -> Any:
    """Record one security event. The actor defaults to the request's user, else to whoever
    the audit trail names (a task, a command); the address is the request's (through
    TRUSTED_PROXY_COUNT, as the rate limits count it) unless given."""

    request = request if request is not None else _request_of_context()
    # A DRF Request's .user would run authentication again (and, from the API key class
    # itself, recurse): the HttpRequest under it has the user DRF settled on, if any.
    request = getattr(request, "_request", request)
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is not None and getattr(actor, "pk", None) is not None:
        user_id, label = actor.pk, f"user:{actor.get_username()}"
    else:
        user_id, label = current_actor()
    if address is None:
        address = client_ip(request) if request is not None else ""
    # Through the app registry: the models import the audit package, which imports this.
    event = apps.get_model("arrears", "SecurityEvent")(
        kind=kind[:40],
        actor_id=user_id,
        actor_label=(actor_label or label)[:150],
        address=(address or "")[:64],
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        result=result,
        detail=_jsonable(detail or {}),
    )
    chain.append(type(event), [event])
    return event


def from_changes(model: type[models.Model], events: list[dict[str, Any]]) -> None:
    """Change-trail rows that touch SECURITY_FIELDS become security events too."""
    watched = SECURITY_FIELDS.get(model._meta.label_lower)
    if watched is None:
        return
    kind, fields = watched
    for event in events:
        changes = event["changes"]
        relevant = {k: v for k, v in changes.items() if not fields or k in fields}
        if not relevant:
            continue
        detail = {"action": event["action"], "changes": relevant}
        obj = model(pk=event["pk"])
        security_event(kind=kind, obj=obj, detail=detail, object_repr=event["repr"])


# --- receivers --------------------------------------------------------------------------------


def _logged_in(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    security_event(kind="login", actor=user, request=request, obj=user)
    if getattr(user, "is_superuser", False):
        # The superuser is for installation only (三员分立): each use is an event of its own.
        security_event(kind="superuser_used", actor=user, request=request, obj=user)


def _logged_out(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    if user is None:  # logging out without a session
        return
    security_event(kind="logout", actor=user, request=request, obj=user)


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    # The name typed is kept (the password never reaches here: Django cleanses it). An
    # unknown name is worth recording too: it is how guessing shows.
    username = str(credentials.get("username", ""))[:150]
    security_event(
        kind="login_failed",
        request=request,
        result="failure",
        actor_label=f"anonymous:{username}",
        detail={"username": username},
    )


def _locked_out(sender: Any, request: Any = None, **kw: Any) -> None:
    username = str(kw.get("username") or "")[:150]
    security_event(
        kind="lockout",
        request=request,
        result="denied",
        actor_label=f"anonymous:{username}",
        address=kw.get("ip_address") or None,
        detail={"username": username},
    )


def _device_saved(sender: Any, instance: Any, created: bool, **kw: Any) -> None:
    if created and not kw.get("raw"):
        _device_event("otp_device_added", instance)


def _device_deleted(sender: Any, instance: Any, **kw: Any) -> None:
    _device_event("otp_device_removed", instance)


def _device_event(kind: str, device: Any) -> None:
    owner = getattr(device, "user", None)
    security_event(
        kind=kind,
        obj=owner,
        detail={"device": device._meta.label_lower, "name": str(getattr(device, "name", ""))},
    )


def connect(*, locked_out: Signal, device_model: type[models.Model]) -> None:
    """Connected from arrears/wiring.py (app ready), which passes django-axes's lockout signal
    and django-otp's device base class: both import models, which this module — imported
    while the models load, through the audit package — may not."""
    user_logged_in.connect(_logged_in, dispatch_uid="security_login")
    user_logged_out.connect(_logged_out, dispatch_uid="security_logout")
    user_login_failed.connect(_login_failed, dispatch_uid="security_login_failed")
    locked_out.connect(_locked_out, dispatch_uid="security_lockout")

    # Every concrete device model (TOTP, static recovery codes, SMS…), installed or not
    # yet known here: filter by class rather than by sender.
    def saved(sender: Any, **kw: Any) -> None:
        if isinstance(kw.get("instance"), device_model):
            _device_saved(sender, **kw)

    def deleted(sender: Any, **kw: Any) -> None:
        if isinstance(kw.get("instance"), device_model):
            _device_deleted(sender, **kw)

    post_save.connect(saved, weak=False, dispatch_uid="security_otp_saved")
    post_delete.connect(deleted, weak=False, dispatch_uid="security_otp_deleted")
