"""The audit trail, recorded by the ORM so it works the same on PostgreSQL and on the embedded
SQLite default.

Why not a library: django-pghistory (triggers) would also catch raw SQL but needs PostgreSQL,
and the embedded default must record what users do too; django-simple-history misses
QuerySet.update(). Here save/delete signals record single-object changes and AuditedQuerySet
records update(), bulk_create() and bulk_update() row by row. What is not recorded: raw SQL
and writes made with the audit explicitly suspended (only the demo seeder does that). Personal
identifiers are masked by the field's `audit_mask` before they reach the table.

Rows are chained (`chain.py`: a sequence number and a MAC over each row and the previous
one) and append-only on PostgreSQL; security events (`security.py`) are a second chained
table beside this one.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router, transaction
from django.db.models.expressions import Combinable
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

from arrears import locks
from arrears.actors import (
    Actor,
    _actor,
    _jsonable,
    _suspended,
    acting_as,
    bind_request,
    current_actor,
    reset_actor,
    suspended,
)

from . import chain, security
from .security import security_event

__all__ = [
    "Actor",
    "AuditedManager",
    "AuditedModel",
    "AuditedQuerySet",
    "_actor",
    "acting_as",
    "bind_request",
    "current_actor",
    "gathered",
    "record_updates",
    "reset_actor",
    "security_event",
    "snapshot",
    "suspended",
]

_M = TypeVar("_M", bound=models.Model)
BATCH = 1000  # rows per audit insert; also keeps `pk IN (...)` under SQLite's variable limit


def _audited_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    exclude: frozenset[str] = getattr(model, "audit_exclude", frozenset())
    return [f for f in model._meta.concrete_fields if f.name not in exclude]


def _value_for(field: models.Field[Any, Any], value: Any) -> Any:
    mask = getattr(field, "audit_mask", None)
    if mask is not None and value not in (None, ""):
        return mask(str(value))
    return _jsonable(value)


@functools.cache
def _json_attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields if isinstance(f, models.JSONField))


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The audited fields' current values as stored in the trail (masked, JSON-safe)."""
    return _snapshot_of(type(instance), instance.__dict__)


def _snapshot_of(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    data = {}
    for field in _audited_fields(model):
        if field.attname in values:  # deferred fields are not loaded: skip them
            data[field.name] = _value_for(field, values[field.attname])
    return data


# The events of writes inside `gathered()`, written when it ends; None outside one.
_gathering: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar(
    "audit_gathering", default=None
)


@contextlib.contextmanager
def gathered() -> Iterator[None]:
    """Write the audit rows of every write inside as one append at the end, instead of one
    per insert or update: one lock, one head lookup and one insert for a batch that writes
    several audited tables, and the chain's lock (which serialises writers until commit) is
    taken only then. Use it inside the writes' transaction and around nothing that catches a
    database error and carries on (a savepoint rolled back would leave its events here)."""
    if _gathering.get() is not None:  # already gathering: the outer block writes them
        yield
        return
    token = _gathering.set([])
    try:
        yield
        events = _gathering.get() or []
    finally:
        _gathering.reset(token)
    _record(events)


def _record(events: Iterable[dict[str, Any]]) -> None:
    pending = _gathering.get()
    if pending is not None:
        pending.extend(events)
        return
    # Through the app registry: arrears.models imports this package (AuditedModel), so the
    # package reaches its own tables at call time, never by importing the models module.
    AuditEvent = apps.get_model("arrears", "AuditEvent")
    events = list(events)
    if not events:
        return
    user_id, label = current_actor()
    now = timezone.now()
    type_of: dict[type[models.Model], int] = {}
    for event in events:
        if event["model"] not in type_of:
            type_of[event["model"]] = ContentType.objects.get_for_model(event["model"]).pk
    # Plain rows, not AuditEvent instances: chain.append inserts them as they are (building
    # thousands of instances cost more than their MACs).
    rows = [
        {
            "occurred_at": now,
            "actor_id": user_id,
            "actor_label": label[:150],
            "action": event["action"],
            "content_type_id": type_of[event["model"]],
            "object_id": str(event["pk"]),
            "object_repr": event["repr"][:200],
            "changes": event["changes"],
            "bulk": event.get("bulk", False),
        }
        for event in events
    ]
    # One lock, one head lookup and one MAC pass for the whole batch (a bulk update of
    # thousands of rows), in the caller's transaction so the trail commits with the change.
    with transaction.atomic(using=router.db_for_write(AuditEvent), savepoint=False):
        chain.append(AuditEvent, rows, need_ids=False)
        by_model: dict[type[models.Model], list[dict[str, Any]]] = {}
        for event in events:
            by_model.setdefault(event["model"], []).append(event)
        for model, of_model in by_model.items():
            security.from_changes(model, of_model)


def _diff(old: dict[str, Any], new: dict[str, Any], only: Iterable[str] | None = None) -> dict:
    names = set(new) if only is None else set(only) & set(new)
    return {n: [old.get(n), new[n]] for n in sorted(names) if old.get(n) != new[n]}


def _on_save(sender: type[models.Model], instance: models.Model, created: bool, **kw: Any) -> None:
    if not isinstance(instance, AuditedModel) or _suspended.get() or kw.get("raw"):
        return
    new = snapshot(instance)
    if created:
        changes = {n: [None, v] for n, v in new.items() if v not in (None, "")}
        action = "create"
    else:
        old = getattr(instance, "_audit_snapshot", {})
        update_fields = kw.get("update_fields")
        only = None
        if update_fields is not None:
            only = {sender._meta.get_field(name).name for name in update_fields}
        changes = _diff(old, new, only)
        action = "update"
        if not changes:
            return
    _record(
        [
            {
                "action": action,
                "model": sender,
                "pk": instance.pk,
                "repr": str(instance),
                "changes": changes,
            }
        ]
    )
    instance._audit_snapshot = new


def _on_delete(sender: type[models.Model], instance: models.Model, **kw: Any) -> None:
    if not isinstance(instance, AuditedModel) or _suspended.get():
        return
    old = snapshot(instance)
    changes = {n: [v, None] for n, v in old.items() if v not in (None, "")}
    _record(
        [
            {
                "action": "delete",
                "model": sender,
                "pk": instance.pk,
                "repr": str(instance),
                "changes": changes,
            }
        ]
    )


def _on_m2m(
    sender: Any,
    instance: models.Model,
    action: str,
    reverse: bool,
    model: Any,
    pk_set: set[Any] | None,
    **kw: Any,
) -> None:
    if _suspended.get() or action not in {"post_add", "post_remove", "post_clear"}:
        return
    if reverse or not isinstance(instance, AuditedModel):
        return
    field = next(
        (f for f in type(instance)._meta.many_to_many if f.remote_field.through is sender), None
    )
    if field is None:
        return
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    changes = {field.name: {verb: sorted(_jsonable(pk) for pk in (pk_set or []))}}
    _record(
        [
            {
                "action": "update",
                "model": type(instance),
                "pk": instance.pk,
                "repr": str(instance),
                "changes": changes,
            }
        ]
    )


def connect_signals() -> None:
    post_save.connect(_on_save, dispatch_uid="audit_post_save")
    post_delete.connect(_on_delete, dispatch_uid="audit_post_delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="audit_m2m")


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def record_updates(
    model: type[models.Model],
    fields: Sequence[models.Field[Any, Any]],
    before: dict[Any, tuple[Any, ...]],
    after: dict[Any, tuple[Any, ...]],
) -> None:
    """The trail of a bulk update of `fields`, from each row's values before and after (by
    pk, in the order of `fields`): the rows `QuerySet.update()` records. For a writer that
    updates in SQL of its own, with the audit suspended, and knows both (the deadline sweep)."""
    # Read once, not per row: a lazy verbose name formatted per row cost a gettext each, and
    # most values compare equal before they are made JSON-safe (the sweep's 10,000 rows).
    label = str(model._meta.verbose_name)
    events = []
    for pk, old in before.items():
        new = after.get(pk, old)
        changes = {}
        for f, o, n in zip(fields, old, new, strict=True):
            if o == n:
                continue
            was, now = _value_for(f, o), _value_for(f, n)
            if was != now:  # unequal values a mask or the JSON form makes equal stay out
                changes[f.name] = [was, now]
        if changes:
            events.append(
                {
                    "action": "update",
                    "model": model,
                    "pk": pk,
                    "repr": f"{label} #{pk}",
                    "changes": changes,
                    "bulk": True,
                }
            )
    _record(events)


class AuditedQuerySet(models.QuerySet[_M], Generic[_M]):
    """Records bulk writes row by row, so `QuerySet.update()` leaves a trail like save() does."""

    def update(self, **kwargs: Any) -> int:
        if _suspended.get() or not issubclass(self.model, AuditedModel):
            return super().update(**kwargs)
        model = self.model
        fields = [cast("models.Field[Any, Any]", model._meta.get_field(name)) for name in kwargs]
        attnames = [f.attname for f in fields]
        with transaction.atomic(using=self.db, savepoint=False):
            # Lock the rows first (PostgreSQL; SQLite has one writer anyway) so the set recorded
            # is the set updated.
            # In primary-key order, as every waiting lock is taken (arrears/locks.py).
            locked = locks.lock_rows(self) if self.db_is_postgres else self
            before = {row[0]: row[1:] for row in locked.values_list("pk", *attnames)}
            count = super().update(**kwargs)
            pks = list(before)
            expressions = any(isinstance(v, Combinable) for v in kwargs.values())
            after: dict[Any, tuple[Any, ...]] = {}
            if expressions:  # F() and friends: read back the values they produced
                for chunk in _chunks(pks):
                    qs = model._base_manager.using(self.db).filter(pk__in=chunk)
                    after.update({r[0]: r[1:] for r in qs.values_list("pk", *attnames)})
            else:
                plain = tuple(
                    f.get_prep_value(kwargs[f.name])
                    if not f.is_relation
                    else getattr(kwargs[f.name], "pk", kwargs[f.name])
                    for f in fields
                )
                after = dict.fromkeys(pks, plain)
            record_updates(model, fields, before, after)
        return count

    @property
    def db_is_postgres(self) -> bool:
        return connections[self.db].vendor == "postgresql"

    def bulk_create(self, objs: Iterable[_M], *args: Any, **kwargs: Any) -> list[_M]:
        created = super().bulk_create(objs, *args, **kwargs)
        if not _suspended.get() and issubclass(self.model, AuditedModel):
            events = []
            for obj in created:
                if obj.pk is None:  # ignore_conflicts: the database does not say which went in
                    continue
                new = snapshot(obj)
                obj._audit_snapshot = new  # type: ignore[attr-defined]
                events.append(
                    {
                        "action": "create",
                        "model": self.model,
                        "pk": obj.pk,
                        "repr": str(obj),
                        "bulk": True,
                        "changes": {n: [None, v] for n, v in new.items() if v not in (None, "")},
                    }
                )
            _record(events)
        return created

    def bulk_update(
        self, objs: Iterable[_M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        objs = list(objs)
        fields = list(fields)
        count = super().bulk_update(objs, fields, batch_size=batch_size)
        if not _suspended.get() and issubclass(self.model, AuditedModel):
            names = {self.model._meta.get_field(f).name for f in fields}
            events = []
            for obj in objs:
                new = snapshot(obj)
                changes = _diff(getattr(obj, "_audit_snapshot", {}), new, names)
                obj._audit_snapshot = new  # type: ignore[attr-defined]
                if changes:
                    events.append(
                        {
                            "action": "update",
                            "model": self.model,
                            "pk": obj.pk,
                            "repr": str(obj),
                            "changes": changes,
                            "bulk": True,
                        }
                    )
            _record(events)
        return count


class AuditedManager(models.Manager.from_queryset(AuditedQuerySet)):  # type: ignore[misc]
    pass


class AuditedModel(models.Model):
    """Base for domain records whose changes are recorded."""

    audit_exclude: ClassVar[frozenset[str]] = frozenset()
    objects: ClassVar[models.Manager[Any]] = AuditedManager()

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: Any) -> Any:
        # Django rebuilds the field's choices as a dict on each get_FOO_display() call, hashing
        # (and so translating) every lazy label: 50 rows with two labels each spent 20 ms of
        # a worklist page there. The labels are translated once per field and language.
        language = translation.get_language()
        cache = field.__dict__.setdefault("_display_labels", {})
        labels = cache.get(language)
        if labels is None:
            labels = {make_hashable(v): str(label) for v, label in field.flatchoices}
            cache[language] = labels
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Any:  # type: ignore[override]
        instance = super().from_db(db, field_names, values)
        # Remember what was loaded so save() can record only what changed, without a query.
        # Only a copy of the loaded values is kept here; the masked snapshot is made when a
        # save asks for it, because most loaded rows (lists, exports) are never saved and
        # building it for each one made a 1M-row export spend a third of its time here.
        loaded = instance.__dict__.copy()
        for key in _json_attnames(cls):  # JSON values can be changed in place
            if key in loaded:
                loaded[key] = copy.deepcopy(loaded[key])
        instance.__dict__["_audit_loaded"] = loaded
        return instance

    def refresh_from_db(
        self, using: Any = None, fields: Any = None, from_queryset: Any = None
    ) -> None:
        """Reloaded values are what is stored now: the snapshot a later save() compares with
        takes them (Django copies a fresh row's values across without from_db)."""
        known = dict(self._audit_snapshot)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        fresh = snapshot(self)
        if fields is None:
            known.update(fresh)
        else:
            wanted = set(fields)
            for field in _audited_fields(type(self)):
                if (field.name in wanted or field.attname in wanted) and field.name in fresh:
                    known[field.name] = fresh[field.name]
        self._audit_snapshot = known

    @property
    def _audit_snapshot(self) -> dict[str, Any]:
        made = self.__dict__.get("_audit_made")
        if made is None:
            loaded = self.__dict__.get("_audit_loaded")
            made = {} if loaded is None else _snapshot_of(type(self), loaded)
            self.__dict__["_audit_made"] = made
        return made

    @_audit_snapshot.setter
    def _audit_snapshot(self, value: dict[str, Any]) -> None:
        self.__dict__["_audit_made"] = value
