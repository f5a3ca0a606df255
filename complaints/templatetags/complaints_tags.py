"""Template tags and filters of the complaints app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from arrears.templatetags.arrears_tags import status_badge, yuan
from complaints.tracking import format_tracking_no

if TYPE_CHECKING:
    from complaints.models import Case

register = template.Library()


@register.filter
def tracking(value: str | None) -> str:
    """A tracking number as people read it (SJ6CZ-4STZC), whatever form it was stored in."""
    return format_tracking_no(value) if value else ""


@register.simple_tag
def worklist_rows(cases: Iterable[Case]) -> str:
    """The worklist's table rows, written out here rather than by the template's loop: fifty
    rows of ten cells each were ~20 variable lookups and two badge tags a row, about half the
    time of the page an inspector opens most. The same markup the loop wrote; every value
    escaped by format_html."""
    criminal = format_html(
        ' <span class="badge text-bg-dark" title="{}">{}</span>',
        _("达到拒不支付劳动报酬罪数额标准"),
        _("刑"),
    )
    rows = [
        format_html(
            '<tr data-testid="case-{pk}" data-urgency="{urgency}">\n'
            "<td>{badge}</td>\n"
            '<td><a href="{link}">{number}</a>{criminal}</td>\n'
            "<td>{employer}</td><td>{state}</td><td>{triage}</td>\n"
            '<td class="text-end">{workers}</td><td class="text-end">{owed}</td>'
            '<td class="text-end">{recovered}</td>\n'
            "<td>{due}</td><td>{owner}</td></tr>\n",
            pk=case.pk,
            urgency=getattr(case, "urgency", ""),
            badge=status_badge(getattr(case, "urgency", "")),
            link=reverse("case-page", args=[case.pk]),
            number=case.number,
            criminal=criminal if case.criminal_flag else "",
            employer=case.employer_name,
            state=status_badge(case.state, case.get_state_display()),
            triage=case.get_triage_class_display() or "—",
            workers=case.workers_owed,
            owed=yuan(case.amount_owed),
            recovered=yuan(case.recovered_amount),
            due=_minute(getattr(case, "next_due_at", None)),
            owner=case.owner,
        )
        for case in cases
    ]
    return mark_safe("".join(rows))  # noqa: S308 - each row built by format_html


def _minute(moment: dt.datetime | None) -> str:
    """A time as the worklist shows it (2026-12-03 09:30, the city's time), "—" for none."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"
