"""Rewriting encrypted columns and blind indexes in batches: the migrations that encrypt the
existing rows (and decrypt them when reversed) and `manage.py rotate_field_keys` share this.

Each batch is one transaction over rows taken in pk order and locked (PostgreSQL), so a clerk
saving a complaint meanwhile is not overwritten with what the batch read a moment before.
Rows are chosen by what their column holds (plain, old key, …), so a run stopped halfway is
finished by running it again, and a finished one finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.db.models.functions import Cast

from arrears import encryption, locks
from arrears.fields import EncryptedCharField, blind_indexes

BATCH = 1000  # rows per transaction: short row locks, one UPDATE per batch
Progress = Callable[[int, int], None]  # (rows done, rows to do)


def encrypted_fields(model: type[models.Model]) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedCharField) and f.encrypted
    ]


def _raw(name: str) -> str:
    return f"_stored_{name}"


def stored_text(names: list[str]) -> dict[str, Cast]:
    # Read as TEXT, not through the field: the field would decrypt (and fail on plain rows).
    return {_raw(n): Cast(n, models.TextField()) for n in names}


def pending_plain(names: list[str]) -> models.Q:
    """Rows with a value not yet encrypted."""
    q = models.Q(pk__in=[])
    for n in names:
        q |= models.Q(**{f"{_raw(n)}__gt": ""}) & ~models.Q(
            **{f"{_raw(n)}__startswith": encryption.PREFIX + "$"}
        )
    return q


def pending_encrypted(names: list[str]) -> models.Q:
    q = models.Q(pk__in=[])
    for n in names:
        q |= models.Q(**{f"{_raw(n)}__startswith": encryption.PREFIX + "$"})
    return q


def pending_rotation(names: list[str], current: str) -> models.Q:
    """Rows with a value under another key than ``current``."""
    q = models.Q(pk__in=[])
    for n in names:
        q |= models.Q(**{f"{_raw(n)}__gt": ""}) & ~models.Q(
            **{f"{_raw(n)}__startswith": f"{encryption.PREFIX}${current}$"}
        )
    return q


def rewrite(
    model: type[models.Model],
    names: list[str],
    change: Callable[[str], str],
    *,
    pending: models.Q,
    batch_size: int = BATCH,
    progress: Progress | None = None,
) -> int:
    """Give every pending row's stored text in ``names`` the value ``change`` returns for it
    (blank values stay blank); the count of rows rewritten."""
    manager = model._base_manager  # no audit: the plain values do not change
    if not names:
        return 0
    rows_qs = manager.annotate(**stored_text(names)).filter(pending).order_by("pk")
    total = rows_qs.count()
    done = 0
    last_pk: Any = None
    while True:
        with transaction.atomic(using=manager.db):
            qs = rows_qs if last_pk is None else rows_qs.filter(pk__gt=last_pk)
            rows = list(
                locks.lock_rows(qs).values_list("pk", *(_raw(n) for n in names))[:batch_size]
            )
            if not rows:
                break
            objs = []
            for pk, *stored in rows:
                obj = model(pk=pk)
                for name, value in zip(names, stored, strict=True):
                    new = change(value) if value else value
                    # An expression of type TEXT: written as it is, not encrypted again.
                    setattr(obj, name, models.Value(new, output_field=models.TextField()))
                objs.append(obj)
            manager.bulk_update(objs, names)
        last_pk = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(done, total)
    return done


def reindex(
    model: type[models.Model],
    *,
    batch_size: int = BATCH,
    progress: Progress | None = None,
) -> int:
    """Recompute every blind index of ``model`` from the decrypted values; the count of rows
    whose index changed (none on a second run)."""
    fields = blind_indexes(model)
    if not fields:
        return 0
    manager = model._base_manager
    sources = sorted({s for f in fields for s in f.sources})
    names = [f.name for f in fields]
    total = manager.count()
    seen = changed = 0
    last_pk: Any = None
    while True:
        with transaction.atomic(using=manager.db):
            qs = manager.order_by("pk").only(*sources, *names)
            if last_pk is not None:
                qs = qs.filter(pk__gt=last_pk)
            batch = list(locks.lock_rows(qs)[:batch_size])
            if not batch:
                break
            stale = []
            for obj in batch:
                values = {f.attname: f.value_for(obj) for f in fields}
                if any(getattr(obj, a) != v for a, v in values.items()):
                    for attname, value in values.items():
                        setattr(obj, attname, value)
                    stale.append(obj)
            if stale:
                manager.bulk_update(stale, names)
        last_pk = batch[-1].pk
        seen += len(batch)
        changed += len(stale)
        if progress is not None:
            progress(seen, total)
    return changed


def encrypt_existing(model: type[models.Model], progress: Progress | None = None) -> None:
    """Migration forward: encrypt the plain values in place, then fill the blind indexes."""
    names = encrypted_fields(model)
    rewrite(model, names, _encrypt_plain, pending=pending_plain(names), progress=progress)
    reindex(model, progress=progress)


def decrypt_existing(model: type[models.Model], progress: Progress | None = None) -> None:
    """Migration backward: the plain values back in their columns."""
    names = encrypted_fields(model)
    rewrite(model, names, _decrypt_any, pending=pending_encrypted(names), progress=progress)


# Each change leaves a value already in its target form as it is: a row is rewritten whole
# when any of its columns is pending.
def _encrypt_plain(stored: str) -> str:
    return stored if encryption.is_encrypted(stored) else encryption.encrypt(stored)


def _decrypt_any(stored: str) -> str:
    return encryption.decrypt(stored) if encryption.is_encrypted(stored) else stored


def reencrypt(stored: str) -> str:
    """The value under the current key (unchanged text if it already is)."""
    if encryption.key_id_of(stored) == encryption.key_ring().current:
        return stored
    return encryption.encrypt(encryption.decrypt(stored))
