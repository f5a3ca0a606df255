"""What the complaints app connects once Django's app registry is ready (ComplaintsConfig.ready):
its configuration defaults, how the inbox names its messages, the case figures recomputed
after a calendar change, and its part of `manage.py security_check`."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from arrears import deadlines, security_check
from arrears.notifications import kind_register
from arrears.signals import calendar_changed
from complaints import checks
from complaints import settings as complaint_settings  # noqa: F401 - defines the config keys
from complaints.cases.services import POLICE_APPROVAL, POLICE_HANDOVER, case_days_recompute
from complaints.integration.work_orders import KIND_LABELS as WORK_ORDER_LABELS


def connect() -> None:
    deadlines.KIND_LABELS.update(
        {
            POLICE_APPROVAL: _("移送公安审批时限（自然日）"),
            POLICE_HANDOVER: _("移送公安移交时限（24小时）"),
            **WORK_ORDER_LABELS,
        }
    )
    calendar_changed.connect(_recompute_case_days, dispatch_uid="complaints.case_days")
    security_check.provide("api_keys", checks.api_keys)
    kind_register(
        "complaint.incoming",
        _("新投诉"),
        subject_type="complaints.complaint",
        list_label=_("待签收投诉"),
        list_url=lambda: reverse("intake-inbox"),
    )
    kind_register(
        "deadline.reminder",
        "",
        subject_type="complaints.case",
        list_label=_("我的待办案件"),
        list_url=lambda: reverse("case-worklist"),
    )


def _recompute_case_days(**kwargs: Any) -> None:
    case_days_recompute()
