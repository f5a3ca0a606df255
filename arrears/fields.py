"""Model fields for Chinese identifiers: validated on input, masked in the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import models

from arrears.identifiers import (
    mask_phone,
    mask_resident_id,
    normalize_phone,
    normalize_resident_id,
    validate_phone,
    validate_resident_id,
)


class PhoneField(models.CharField):
    """A mobile or landline number (personal information: masked in the audit trail)."""

    audit_mask = staticmethod(mask_phone)
    default_validators = [validate_phone]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalize_phone(value) if value else value


class ResidentIdField(models.CharField):
    """A resident ID number (GB 11643; personal information: masked in the audit trail)."""

    audit_mask = staticmethod(mask_resident_id)
    default_validators = [validate_resident_id]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 18)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalize_resident_id(value) if value else value
