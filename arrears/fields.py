"""Model fields for Chinese identifiers: validated on input, encrypted at rest, masked in the
audit trail; and the keyed blind indexes that let them be searched without decrypting.

Python code sees the plain (normalised) value; only the column holds ciphertext
(`arrears.encryption`). Because each encryption draws a fresh nonce, equal values have
different ciphertexts: an encrypted field cannot be compared in SQL, so every lookup except
``isnull`` and ``= ''`` is refused, and exact matches go through a `BlindIndexField`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.core import checks
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact
from django.db.models.signals import pre_save
from django.dispatch import receiver

from arrears import encryption
from arrears.identifiers import (
    mask_phone,
    mask_resident_id,
    normalize_phone,
    normalize_resident_id,
    validate_phone,
    validate_resident_id,
)


class _EmptyOnly(Exact):
    """``field = ''`` still works (blank values are stored blank: that a worker gave no ID
    number is not a secret); any other value would compare with a ciphertext and never match."""

    def get_prep_lookup(self) -> Any:
        if self.rhs != "":
            raise FieldError(
                f"{self.lhs.target.model.__name__}.{self.lhs.target.name} is encrypted: "
                "filter on its blind index instead"
            )
        return super().get_prep_lookup()


class EncryptedCharField(models.CharField):
    """Text encrypted at rest; ``max_length`` limits the plain value, the column is TEXT.

    ``encrypted=False`` is what the columns were before issue 12: the old migrations say so,
    which is how the migration that encrypts them sees the change.
    """

    def __init__(self, *args: Any, encrypted: bool = True, **kwargs: Any) -> None:
        self.encrypted = encrypted
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if not self.encrypted:
            kwargs["encrypted"] = False
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.encrypted and (self.unique or getattr(self, "db_index", False)):
            errors.append(
                checks.Error(
                    "an encrypted field cannot be unique or indexed (its ciphertexts all differ)",
                    hint="index a BlindIndexField of it instead",
                    obj=self,
                    id="arrears.E101",
                )
            )
        return errors

    def db_type(self, connection: Any) -> str | None:
        if not self.encrypted:
            return super().db_type(connection)
        # Ciphertext is about 4/3 of the plain bytes plus ~50 characters of header, nonce and
        # tag; TEXT saves working out a length per field (PostgreSQL stores both alike).
        return connection.data_types["TextField"]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not self.encrypted or value is None or value == "":
            return value
        return encryption.decrypt(value)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        if self.encrypted and value is not None and value != "":
            return encryption.encrypt(str(value))
        return value

    def get_lookup(self, lookup_name: str) -> Any:
        if not self.encrypted or lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _EmptyOnly
        raise FieldError(
            f"{self.model.__name__}.{self.name} is encrypted: {lookup_name!r} cannot be used; "
            "filter on its blind index instead"
        )

    def get_transform(self, lookup_name: str) -> Any:
        if not self.encrypted:
            return super().get_transform(lookup_name)
        return None


class PhoneField(EncryptedCharField):
    """A mobile or landline number (personal information: encrypted, masked in the trail)."""

    audit_mask = staticmethod(mask_phone)
    default_validators = [validate_phone]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalize_phone(value) if value else value


class ResidentIdField(EncryptedCharField):
    """A resident ID number (GB 11643; personal information: encrypted, masked in the trail)."""

    audit_mask = staticmethod(mask_resident_id)
    default_validators = [validate_resident_id]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 18)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalize_resident_id(value) if value else value


# ---------------------------------------------------------------------------------------------
# Blind indexes
# ---------------------------------------------------------------------------------------------


def _last4(*values: str) -> str:
    """The leading values as they are, then the last four digits of the last one (a phone):
    what the public tracking page is given. Digits of the whole stored number, extension
    included, as the page compared before the numbers were encrypted."""
    *context, phone = values
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 4 or not all(context):
        return ""
    return "\x1f".join([*context, digits[-4:]])


# What each kind indexes: the fields' own normalisation, so "+86 138-1234-5678" and
# "13812345678" have one index value.
INDEX_KINDS: dict[str, Callable[..., str]] = {
    "phone": lambda value: normalize_phone(value) if value else "",
    "resident_id": lambda value: normalize_resident_id(value) if value else "",
    "last4": _last4,
}


def index_value(kind: str, *values: str) -> str:
    """The blind index of ``values`` under ``kind``; ``""`` when there is nothing to index."""
    normalised = INDEX_KINDS[kind](*(value or "" for value in values))
    return encryption.blind_index(kind, normalised) if normalised else ""


def index_matches(field: str, kind: str, *values: str) -> models.Q:
    """A filter for rows whose ``field`` indexes ``values``; nothing matches an empty value
    (blank sources have an empty index, and must not all match each other)."""
    value = index_value(kind, *values)
    return models.Q(**{field: value}) if value else models.Q(pk__in=[])


def _hidden(value: str) -> str:
    # The audit trail keeps no blind index: an index value in an append-only table would link
    # records for as long as the trail is kept, even after the index key has been changed.
    return ""


class BlindIndexField(models.CharField):
    """A keyed HMAC of other fields (``sources``) normalised by ``kind``, kept in step on
    every save and bulk_create. ``QuerySet.update()`` and ``bulk_update()`` of a source do not
    recompute it: set it there with `index_value`."""

    audit_mask = staticmethod(_hidden)

    def __init__(
        self, *args: Any, sources: Sequence[str] = (), kind: str = "", **kwargs: Any
    ) -> None:
        if kind and kind not in INDEX_KINDS:
            raise ValueError(f"unknown blind index kind {kind!r}")
        self.sources = tuple(sources)
        self.kind = kind
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = list(self.sources)
        kwargs["kind"] = self.kind
        kwargs.pop("editable", None)
        for key, default in (("max_length", 32), ("blank", True), ("default", "")):
            if kwargs.get(key) == default:
                del kwargs[key]
        return name, path, args, kwargs

    def value_for(self, instance: models.Model) -> str:
        return index_value(self.kind, *(getattr(instance, name) for name in self.sources))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self.value_for(model_instance)
        setattr(model_instance, self.attname, value)
        return value


@functools.cache
def blind_indexes(model: type[models.Model]) -> tuple[BlindIndexField, ...]:
    return tuple(f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField))


@receiver(pre_save, dispatch_uid="arrears_blind_index_update_fields")
def _index_follows_its_sources(
    sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any
) -> None:
    """save(update_fields=[a source]) without the index would leave a stale index, and a stale
    index silently breaks search and duplicate detection: refuse it."""
    update_fields = kwargs.get("update_fields")
    if raw or update_fields is None:
        return
    for field in blind_indexes(sender):
        if field.name not in update_fields and set(field.sources) & set(update_fields):
            raise FieldError(
                f"save(update_fields=...) changes a source of {sender.__name__}.{field.name}: "
                "include the index in update_fields"
            )
