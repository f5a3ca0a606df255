"""The names this app gives the kernel's kinds: its deadline clocks (rectification orders, the
wage deposit's four) and its messages (a new early warning). Registered when the app is
ready."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from arrears.deadlines import KIND_LABELS
from arrears.notifications import kind_register
from projects.models.deposits import (
    DEPOSIT_GUARANTEE,
    DEPOSIT_LODGE,
    DEPOSIT_PAYOUT,
    DEPOSIT_TOPUP,
)
from projects.models.inspections import RECTIFICATION

KIND_LABELS[RECTIFICATION] = _("整改期限")
KIND_LABELS[DEPOSIT_LODGE] = _("工资保证金存储期限")
KIND_LABELS[DEPOSIT_PAYOUT] = _("动用保证金支付期限")
KIND_LABELS[DEPOSIT_TOPUP] = _("工资保证金补足期限")
KIND_LABELS[DEPOSIT_GUARANTEE] = _("银行保函到期（续保或改存）")
kind_register("warning.opened", _("欠薪预警"))
