"""The wage deposit (工资保证金) of a project as a history of events, and the clocks they start
and stop (人社部发〔2021〕65号): lodged within 20 working days of the start of works, a payout
ordered for a case made within 5, the balance topped up within 10 after a payout, and a bank
guarantee letter (保函) renewed or replaced before it expires. The verified state of the
deposit stays the "deposit" item of the 5+3 checklist, which these events update."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel
from arrears.scoping import ScopePaths

# Deadline kinds (arrears.models.Deadline.kind) of the deposit's clocks.
DEPOSIT_LODGE = "deposit.lodge"  # subject: the project
DEPOSIT_PAYOUT = "deposit.payout"  # subject: the draw (动用决定) it must be paid for
DEPOSIT_TOPUP = "deposit.topup"  # subject: the project
DEPOSIT_GUARANTEE = "deposit.guarantee"  # subject: the project (the letter in force)


class DepositEventKind(models.TextChoices):
    LODGED = "lodged", _("存储保证金")
    GUARANTEE = "guarantee", _("提交银行保函")
    DRAWN = "drawn", _("决定动用保证金")
    PAID_OUT = "paid_out", _("保证金支付")
    TOPPED_UP = "topped_up", _("补足保证金")


class DepositEvent(AuditedModel):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="deposit_events"
    )
    kind = models.CharField(_("事项"), max_length=12, choices=DepositEventKind.choices)
    occurred_on = models.DateField(_("日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=15, decimal_places=2)
    # The bank holding the deposit, or issuing the letter.
    bank = models.CharField(_("银行"), max_length=100, blank=True)
    # A guarantee letter's end of validity.
    expires_on = models.DateField(_("保函到期日期"), null=True, blank=True)
    # The case whose arrears a draw pays.
    case = models.ForeignKey(
        "complaints.Case",
        verbose_name=_("案件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deposit_draws",
    )
    # The draw a payout pays (its 5-day clock is the draw's).
    draw = models.ForeignKey(
        "self",
        verbose_name=_("动用决定"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payouts",
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="project__county", department="project__department"
    )

    class Meta:
        verbose_name = _("工资保证金事项")
        verbose_name_plural = _("工资保证金事项")
        ordering = ["project", "-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="deposit_amount_positive", condition=models.Q(amount__gt=0)
            ),
            # A letter has its end date; nothing else has one.
            models.CheckConstraint(
                name="deposit_expiry_only_for_letters",
                condition=models.Q(kind="guarantee", expires_on__isnull=False)
                | (~models.Q(kind="guarantee") & models.Q(expires_on__isnull=True)),
            ),
            models.CheckConstraint(
                name="deposit_case_only_for_draws",
                condition=models.Q(case__isnull=True) | models.Q(kind="drawn"),
            ),
            # A payout names the draw it pays; nothing else names one.
            models.CheckConstraint(
                name="deposit_draw_only_for_payouts",
                condition=models.Q(kind="paid_out", draw__isnull=False)
                | (~models.Q(kind="paid_out") & models.Q(draw__isnull=True)),
            ),
        ]
        indexes = [
            # The project page's history and the balance: WHERE project_id = ? (by date).
            models.Index(fields=["project", "occurred_on"], name="deposit_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.get_kind_display()} {self.amount}"

    def get_absolute_url(self) -> str:
        return f"/projects/{self.project_id}/"
