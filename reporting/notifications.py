"""The lists an inbox summary of escalations leads to: the drill-down of the overdue cases and
of the rectification orders still running past their due time (the same subsets as the
dashboards' and 通报's numbers). Registered when the app is ready."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from arrears.notifications import kind_register
from reporting.presentation import drill_url

kind_register(
    "deadline.escalation",
    "",
    subject_type="complaints.case",
    list_label=_("逾期案件"),
    list_url=lambda: drill_url("overdue", {}),
)
kind_register(
    "deadline.escalation",
    "",
    subject_type="projects.rectificationorder",
    list_label=_("超期未整改"),
    list_url=lambda: drill_url("orders_late", {}),
)
