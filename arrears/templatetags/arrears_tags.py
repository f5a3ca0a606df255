"""Template filters for personal identifiers: pages show them masked (PIPL)."""

from django import template

from arrears.identifiers import mask_bank_account, mask_phone, mask_resident_id

register = template.Library()
register.filter("mask_phone", mask_phone)
register.filter("mask_id", mask_resident_id)
register.filter("mask_account", mask_bank_account)


@register.filter
def deadline_label(kind: str) -> str:
    from arrears.deadlines import KIND_LABELS

    return str(KIND_LABELS.get(kind, kind))


@register.filter
def get_item(mapping: dict[object, object] | None, key: object) -> object:
    """mapping[key] in a template (None when absent)."""
    return mapping.get(key) if mapping else None
