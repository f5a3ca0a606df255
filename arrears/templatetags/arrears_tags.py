"""Template tags and filters of the shell: identifiers masked (PIPL), status badges, sortable
column headers, amounts."""

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from arrears.deadlines import KIND_LABELS
from arrears.identifiers import mask_bank_account, mask_phone, mask_resident_id

register = template.Library()
register.filter("mask_phone", mask_phone)
register.filter("mask_id", mask_resident_id)
register.filter("mask_account", mask_bank_account)


@register.filter
def deadline_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@register.filter
def get_item(mapping: dict[object, object] | None, key: object) -> object:
    """mapping[key] in a template (None when absent)."""
    return mapping.get(key) if mapping else None


# Status colours that mean the same on every page: red is late or refused, amber needs action
# soon, green is done, grey is paused or set aside; anything else is a neutral blue-grey.
_TONES = {
    "danger": {"overdue", "missed", "failed", "refused", "red", "dishonest", "not_compliant"},
    "warning": {
        "today",
        "soon",
        "pending",
        "pending_signature",
        "pending_dispatch",
        "yellow",
        "open",
        "provisional",
        "running",
        "queued",
    },
    "success": {
        "closed",
        "resolved",
        "completed",
        "done",
        "met",
        "compliant",
        "official",
        "approved",
    },
    "secondary": {
        "paused",
        "suspended",
        "cancelled",
        "merged",
        "not_started",
        "not_applicable",
        "unknown",
        "none",
        "later",
    },
}
TONE_OF = {value: tone for tone, values in _TONES.items() for value in values}


# Marked for translation here, translated when drawn: only the badge's own label (a worklist
# draws fifty badges, and translating all three labels for each was measurable).
_URGENCY_LABELS = {
    "overdue": gettext_noop("已逾期"),
    "today": gettext_noop("今日到期"),
    "soon": gettext_noop("即将到期"),
}


@register.simple_tag
def status_badge(value: str, label: object = "", testid: str = "") -> str:
    """{% status_badge case.state case.get_state_display %}; for a worklist's urgency the label
    may be left out ({% status_badge c.urgency %}). Nothing is drawn without a label.

    Written out here rather than by an inclusion tag's template: a worklist draws a hundred
    badges, and a template per badge (its own context, four lookups) was a third of the
    page's rendering."""
    value = str(value or "")
    text = label or (_(_URGENCY_LABELS[value]) if value in _URGENCY_LABELS else "")
    if not text:
        return ""
    tone = TONE_OF.get(value, "light")
    return format_html(
        '<span class="badge text-bg-{}{}" data-status="{}"{}>{}</span>',
        tone,
        " border" if tone == "light" else "",
        value,
        format_html(' data-testid="{}"', testid) if testid else "",
        text,
    )


@register.inclusion_tag("arrears/_sort_header.html")
def sort_header(sorting: Any, key: str, label: object) -> dict[str, object]:
    """A column header that sorts its list by `key` (arrears.sorting), the other way when it
    already does; the list's filters are kept, the page is not."""
    active = sorting is not None and sorting.key == key
    target = f"-{key}" if active and not sorting.descending else key
    params = dict(sorting.params) if sorting is not None else {}
    params["sort"] = [target]
    return {
        "href": "?" + urlencode(params, doseq=True),
        "label": label,
        "active": active,
        "descending": active and sorting.descending,
        "key": key,
    }


@register.filter
def yuan(value: object) -> str:
    """An amount with thousands separators and two decimals (1,234,567.00); "" for none."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)
