"""Wages recovered and the amount owed: payments never beyond what is owed, revisions
never below what was recovered (docs/case-rules.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config, deadlines
from arrears.models import Deadline, User
from complaints.cases.services.core import (
    ORDER,
    _acting_on,
    _check_scope,
    _city,
    _close_clock,
    _entry,
    _open_or,
    _tell_complainants,
    _yuan,
    criminal_flag,
    refresh_case_totals,
    suggest_class,
)
from complaints.integration import sms
from complaints.models import (
    Case,
    CaseEntry,
    CasePayment,
    CaseState,
    EntryKind,
    Payer,
)
from complaints.models.complaint import MAX_AMOUNT
from complaints.timeline import texts_send

# The clock of an emergency-fund advance: the employer repays the fund.
FUND_REPAYMENT = "payment.fund_repayment"


def _payable(case: Case) -> str | None:
    if case.state == CaseState.REFUSED:
        return _("不予受理的案件不能登记支付")
    if case.state == CaseState.CLOSED:
        return _("案件已结案，请先重新办理")
    return None


def case_record_payment(
    *,
    case: Case,
    user: User,
    paid_on: datetime.date,
    amount: Decimal,
    workers_paid: int,
    note: str = "",
    payer: str = Payer.EMPLOYER,
) -> CasePayment:
    """Wages recovered (one installment); totals and the criminal flag follow. Never more
    than is still owed: a larger sum needs the amount owed revised first (case_revise_owed).
    The check reads the totals under the case's row lock, so two payments at once cannot
    together exceed it (the database's case_recovered_within_owed is the last guard).
    `payer`: who paid (Payer); an advance from the emergency fund starts the clock of its
    repayment (case.fund_repayment_days working days from the day paid)."""
    _check_scope(case, user)
    errors: dict[str, list[str]] = {}
    if payer not in Payer.values:
        errors["payer"] = [_("请选择支付方")]
    if amount is None or amount <= 0:
        errors["amount"] = [_("支付金额必须大于0")]
    if paid_on > timezone.localdate():
        errors["paid_on"] = [_("支付日期不能晚于今天")]
    if workers_paid < 0:
        errors["workers_paid"] = [_("支付人数应在0到涉及人数之间")]
    if errors:
        raise ValidationError(errors)
    with _acting_on(case, _payable) as case:
        outstanding = case.amount_owed - case.recovered_amount
        if amount > outstanding:
            errors["amount"] = [
                _(
                    "支付金额超过尚欠工资 %(o)s 元（欠薪 %(w)s 元，已追回 %(r)s 元）；"
                    "如调查核实的欠薪金额增加，请先核定欠薪金额"
                )
                % {
                    "o": _yuan(outstanding),
                    "w": _yuan(case.amount_owed),
                    "r": _yuan(case.recovered_amount),
                }
            ]
        if workers_paid > case.workers_owed:
            errors["workers_paid"] = [_("支付人数应在0到涉及人数之间")]
        if errors:
            raise ValidationError(errors)
        entry = _entry(
            case,
            EntryKind.PAYMENT,
            user,
            note.strip(),
            data={"amount": str(amount), "workers_paid": workers_paid, "payer": payer},
        )
        payment = CasePayment.objects.create(
            case=case,
            entry=entry,
            paid_on=paid_on,
            amount=amount,
            workers_paid=workers_paid,
            payer=payer,
        )
        if payer == Payer.EMERGENCY_FUND:
            deadlines.deadline_open(
                subject=payment,
                kind=FUND_REPAYMENT,
                started_on=paid_on,
                working_days=config.get("case.fund_repayment_days", city=_city(case)),
                county_id=case.county_id,
                department_id=case.department_id,
                owner=case.owner,
            )
        _close_clock(case, ORDER)  # paid: the order to pay is answered
        refresh_case_totals(case)
        _tell_complainants(case, _("已追回工资 %(a)s 元") % {"a": _yuan(amount)})
        # Keyed by the payment: saving the same installment again texts nobody twice.
        texts_send([sms.paid(c, payment.pk) for c in case.complaints.all()])
    return payment


def payment_record_fund_repayment(
    *,
    payment: CasePayment,
    user: User,
    amount: Decimal,
    repaid_on: datetime.date,
    note: str = "",
) -> CasePayment:
    """The employer repaid (part of) an advance of the emergency fund. Never more than is
    still owed to the fund; repaid in full, the repayment clock closes (met, or missed if
    late). Recorded on the case's timeline; the payment's row lock orders two at once."""
    case = payment.case
    _check_scope(case, user)
    errors: dict[str, list[str]] = {}
    if payment.payer != Payer.EMERGENCY_FUND:
        errors["amount"] = [_("只有应急周转金垫付的工资需要归还")]
    if amount is None or amount <= 0:
        errors.setdefault("amount", []).append(_("归还金额必须大于0"))
    if repaid_on > timezone.localdate():
        errors["repaid_on"] = [_("归还日期不能晚于今天")]
    elif repaid_on < payment.paid_on:
        errors["repaid_on"] = [_("归还日期不能早于垫付日期")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        payment = CasePayment.objects.select_for_update().get(pk=payment.pk)
        outstanding = payment.amount - payment.fund_repaid
        if amount > outstanding:
            raise ValidationError(
                {"amount": [_("归还金额超过尚未归还的周转金 %(o)s 元") % {"o": _yuan(outstanding)}]}
            )
        payment.fund_repaid += amount
        payment.fund_repaid_on = repaid_on
        payment.save(update_fields=["fund_repaid", "fund_repaid_on"])
        _entry(
            case,
            EntryKind.FUND_REPAID,
            user,
            note.strip(),
            data={"payment": payment.pk, "amount": str(amount), "repaid_on": str(repaid_on)},
        )
        if payment.fund_repaid == payment.amount:
            clock = (
                Deadline.objects.for_subject(payment)
                .filter(kind=FUND_REPAYMENT, state__in=deadlines.RUNNING)
                .first()
            )
            if clock is not None:
                deadlines.deadline_close(deadline=clock)
    return payment


def _check_revision_input(
    reason: str, amount_owed: Decimal | None, workers_owed: int | None
) -> None:
    """What the officer typed: a reason, and an amount (to the fen, within range) or a number."""
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("请填写核定欠薪金额的理由")]
    if amount_owed is None and workers_owed is None:
        errors["amount_owed"] = [_("请填写核定后的欠薪金额或涉及人数")]
    if amount_owed is not None and not (
        Decimal("0") <= amount_owed <= MAX_AMOUNT
        and amount_owed == amount_owed.quantize(Decimal("0.01"))
    ):
        errors["amount_owed"] = [_("欠薪金额应在0至999,999,999.99元之间，最多两位小数")]
    if workers_owed is not None and workers_owed < 1:
        errors["workers_owed"] = [_("涉及人数至少为1")]
    if errors:
        raise ValidationError(errors)


def _check_revision_against(case: Case, new_amount: Decimal, new_workers: int) -> None:
    """Against the locked case: never below what was recovered or paid, and a real change."""
    errors: dict[str, list[str]] = {}
    if new_amount < case.recovered_amount:
        errors["amount_owed"] = [
            _("欠薪金额不能低于已追回工资 %(r)s 元") % {"r": _yuan(case.recovered_amount)}
        ]
    if new_workers < case.workers_paid:
        errors["workers_owed"] = [
            _("涉及人数不能少于已支付人数 %(n)s 人") % {"n": case.workers_paid}
        ]
    if (new_amount, new_workers) == (case.amount_owed, case.workers_owed):
        errors.setdefault("amount_owed", []).append(_("欠薪金额和涉及人数均未变化"))
    if errors:
        raise ValidationError(errors)


def case_revise_owed(
    *,
    case: Case,
    user: User,
    reason: str,
    amount_owed: Decimal | None = None,
    workers_owed: int | None = None,
) -> CaseEntry:
    """核定欠薪金额: the investigation established a different amount owed or number of
    workers (often more than the complaints claimed). A reason is required and the change is
    a timeline entry, old → new; never below what was already recovered or paid."""
    _check_scope(case, user)
    reason = reason.strip()
    _check_revision_input(reason, amount_owed, workers_owed)
    with _acting_on(case, _open_or(_("案件已结束，请先重新办理"))) as case:
        new_amount = case.amount_owed if amount_owed is None else amount_owed
        new_workers = case.workers_owed if workers_owed is None else workers_owed
        _check_revision_against(case, new_amount, new_workers)
        old_amount, old_workers = case.amount_owed, case.workers_owed
        claimed = case.complaints.aggregate(w=Sum("workers_owed"), a=Sum("amount_owed"))
        case.owed_adjustment = new_amount - (
            claimed["a"] if claimed["a"] is not None else new_amount
        )
        case.workers_adjustment = new_workers - (claimed["w"] or new_workers)
        case.amount_owed, case.workers_owed = new_amount, new_workers
        case.criminal_flag = criminal_flag(case)
        case.suggested_class = suggest_class(case)
        case.save(
            update_fields=[
                "amount_owed",
                "workers_owed",
                "owed_adjustment",
                "workers_adjustment",
                "criminal_flag",
                "suggested_class",
            ]
        )
        change = _("欠薪金额：%(a0)s → %(a1)s 元；涉及人数：%(w0)s → %(w1)s 人") % {
            "a0": _yuan(old_amount),
            "a1": _yuan(new_amount),
            "w0": old_workers,
            "w1": new_workers,
        }
        return _entry(
            case,
            EntryKind.REVISE_OWED,
            user,
            _("%(c)s\n理由：%(r)s") % {"c": change, "r": reason},
            data={
                "amount_owed": [str(old_amount), str(new_amount)],
                "workers_owed": [old_workers, new_workers],
                "reason": reason,
            },
        )
