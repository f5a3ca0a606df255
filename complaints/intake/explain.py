"""The codes the intake side stores (which routing rule decided, why two complaints look
alike, which identifier was revealed) → the words people read, in one place.

The codes stay in the database: they are stable, searchable and language-free, and a reader
gets them in their own language when the page is drawn. Nothing shows a code itself; a code
this module does not know (a row older than a rule's rename) is shown as "other", never raw."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The phrases are lazy (translated when shown, in the reader's language): str() gives the
# text in the active language; gettext() would look the translated text up a second time.
from complaints.models import EventKind
from complaints.tracking import format_tracking_no

# Which rule put a complaint in a county (complaints.intake.routing.route). "address" is
# the rule's name before the address was told apart by whose it was; old timelines hold it.
ROUTE_RULES: dict[str, Promise] = {
    "county": _("按投诉所填县（区）确定为%(county)s"),
    "project": _("按登记项目匹配到%(county)s"),
    "project_address": _("按项目地址匹配到%(county)s"),
    "employer_address": _("按用人单位地址匹配到%(county)s"),
    "complainant_address": _("按投诉人住址匹配到%(county)s"),
    "address": _("按地址匹配到%(county)s"),
}
# The complaint reached the dispatch queue instead of a unit.
NO_COUNTY = _("未能按所填县（区）、登记项目或地址确定属地，转市根治欠薪办分派")
NO_DEPARTMENT = _("已确定属地，但该县（区）没有对应的承办单位，转市根治欠薪办分派")
BY_CITY_OFFICE = _("由市根治欠薪办人工分派")
UNKNOWN_RULE = _("按其他规则确定")

# Why a new complaint looks like an open one (complaints.intake.duplicates).
DUPLICATE_REASONS: dict[str, Promise] = {
    "employer_credit_code": _("统一社会信用代码相同"),
    "employer_name": _("被投诉单位名称相同"),
    "project": _("同一登记项目"),
    "complainant_phone": _("投诉人手机号码相同"),
}
UNKNOWN_REASON = _("其他相似之处")

# Which identifier an officer revealed in full (complaints.intake.services.REVEALABLE).
REVEALED_FIELDS: dict[str, Promise] = {
    "complainant_phone": _("查看了完整联系电话"),
    "complainant_id_number": _("查看了完整身份证号码"),
}


def route_reason(rule: str, county: Any = None) -> str:
    """How a complaint was placed, e.g. "按地址匹配到东湖区"."""
    if rule == "dispatch":
        return str(BY_CITY_OFFICE)
    phrase = ROUTE_RULES.get(rule)
    if phrase is None:
        return str(UNKNOWN_RULE)
    name = str(county) if county is not None else "—"
    return str(phrase) % {"county": name}


def unrouted_reason(rule: str) -> str:
    """Why a complaint went to the city office's dispatch queue: no county found, or (a
    configuration gap) a county without the unit that should handle it."""
    return str(NO_DEPARTMENT if rule in ROUTE_RULES else NO_COUNTY)


def duplicate_reasons(codes: list[str] | tuple[str, ...]) -> str:
    """The reasons of a possible duplicate in words, joined as a list in the language."""
    words = [str(DUPLICATE_REASONS.get(code, UNKNOWN_REASON)) for code in codes]
    return gettext("、").join(dict.fromkeys(words))


def _duplicate_note(note: str) -> str:
    """The flagged event's note ("SJ6CZ4STZC: employer_name, complainant_phone; …")."""
    parts = []
    for item in note.split(";"):
        number, _sep, codes = item.strip().partition(":")
        if not number:
            continue
        reasons = [c.strip() for c in codes.split(",") if c.strip()]
        parts.append(
            gettext("%(n)s（%(r)s）")
            % {"n": format_tracking_no(number.strip()), "r": duplicate_reasons(reasons)}
        )
    return gettext("；").join(parts)


def event_note(event: Any) -> str:
    """The note of a complaint's timeline event as shown to officials ("" for none)."""
    note = event.note or ""
    if event.kind == EventKind.ROUTED:
        county = event.department.county if event.department_id else None
        return route_reason(note, county)
    if event.kind == EventKind.DISPATCH:
        return unrouted_reason(note)
    if event.kind == EventKind.DUPLICATE_FLAGGED:
        return _duplicate_note(note)
    if event.kind in (EventKind.MERGED, EventKind.DUPLICATE_DISMISSED):
        return format_tracking_no(note) if note else ""
    if event.kind == EventKind.REVEALED:
        phrase = REVEALED_FIELDS.get(note)
        return str(phrase) if phrase is not None else ""
    return note
