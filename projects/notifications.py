"""The names this app gives the kernel's kinds: its deadline clocks (rectification orders) and
its messages (a new early warning). Registered when the app is ready."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from arrears.deadlines import KIND_LABELS
from arrears.notifications import kind_register
from projects.models.inspections import RECTIFICATION
from projects.models.supervision import INTERVIEW

KIND_LABELS[RECTIFICATION] = _("整改期限")
KIND_LABELS[INTERVIEW] = _("约谈限期")
kind_register("warning.opened", _("欠薪预警"))
kind_register("circular.issued", _("通报"))
