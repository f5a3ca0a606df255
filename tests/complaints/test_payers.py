"""Who paid: each payment records its payer; an advance of the emergency fund starts the clock
of its repayment, which repayments close once the fund has all of it back; the dashboards
split wages recovered by payer and the parts add up to the whole (live and from the facts).
The case: 12 workers owed ¥86,400 (tests.complaints.test_cases.signed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from arrears.models import Deadline, Role
from complaints.cases import services as case_services
from complaints.cases.services.money import FUND_REPAYMENT
from complaints.models import Case, CasePayment, Payer
from reporting import facts, periods
from reporting.selectors import Filters, dashboard
from tests.complaints.test_cases import (
    Signed,
    signed,  # noqa: F401 - the fixture
)
from tests.factories import UserFactory


def _pay(signed: Signed, amount: str, payer: str, days_ago: int = 0) -> CasePayment:  # noqa: F811
    return case_services.case_record_payment(
        case=Case.objects.get(pk=signed.case.pk),
        user=signed.housing_a,
        paid_on=timezone.localdate() - dt.timedelta(days=days_ago),
        amount=Decimal(amount),
        workers_paid=1,
        payer=payer,
    )


def _clock(payment: CasePayment) -> Deadline | None:
    return Deadline.objects.for_subject(payment).filter(kind=FUND_REPAYMENT).first()


def test_each_payment_records_its_payer_and_only_the_fund_owes_a_repayment(
    signed: Signed,  # noqa: F811
) -> None:
    made = {payer: _pay(signed, "1000.00", payer) for payer in Payer.values}
    assert {p.payer for p in CasePayment.objects.all()} == set(Payer.values)
    for payer, payment in made.items():
        clock = _clock(payment)
        if payer == Payer.EMERGENCY_FUND:
            assert clock is not None and clock.state == "open"
            assert clock.working_days == 60  # case.fund_repayment_days
            assert clock.county_id == signed.case.county_id
        else:
            assert clock is None
    entry = made[Payer.CONSTRUCTION_UNIT].entry
    assert entry.data["payer"] == "construction_unit"
    with pytest.raises(ValidationError) as info:
        _pay(signed, "1.00", "neighbour")
    assert "请选择支付方" in info.value.message_dict["payer"][0]


def test_repaying_the_fund_in_parts_closes_its_clock_and_never_beyond(
    signed: Signed,  # noqa: F811
) -> None:
    advance = _pay(signed, "20000.00", Payer.EMERGENCY_FUND, days_ago=3)
    user = signed.housing_a
    today = timezone.localdate()
    with pytest.raises(ValidationError) as info:
        case_services.payment_record_fund_repayment(
            payment=advance, user=user, amount=Decimal("5000"), repaid_on=today - dt.timedelta(5)
        )
    assert "不能早于垫付日期" in info.value.message_dict["repaid_on"][0]
    case_services.payment_record_fund_repayment(
        payment=advance, user=user, amount=Decimal("15000.00"), repaid_on=today
    )
    advance.refresh_from_db()
    assert advance.fund_repaid == Decimal("15000.00") and advance.fund_outstanding == 5000
    assert _clock(advance).state == "open"  # type: ignore[union-attr]
    with pytest.raises(ValidationError) as info:
        case_services.payment_record_fund_repayment(
            payment=advance, user=user, amount=Decimal("5000.01"), repaid_on=today
        )
    assert "尚未归还的周转金 5,000.00 元" in info.value.message_dict["amount"][0]
    case_services.payment_record_fund_repayment(
        payment=advance, user=user, amount=Decimal("5000.00"), repaid_on=today, note="还清"
    )
    assert _clock(advance).state == "met"  # type: ignore[union-attr]
    assert signed.case.entries.filter(kind="fund_repaid").count() == 2
    # The employer's own payment owes the fund nothing; the database refuses it too.
    own = _pay(signed, "100.00", Payer.EMPLOYER)
    with pytest.raises(ValidationError):
        case_services.payment_record_fund_repayment(
            payment=own, user=user, amount=Decimal("1"), repaid_on=today
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CasePayment.objects.filter(pk=own.pk).update(fund_repaid=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CasePayment.objects.filter(pk=advance.pk).update(fund_repaid=Decimal("20000.01"))


def test_the_repayment_from_another_county_is_refused(signed: Signed) -> None:  # noqa: F811
    advance = _pay(signed, "100.00", Payer.EMERGENCY_FUND)
    stranger = UserFactory.create(role=Role.INSPECTOR)
    with pytest.raises(Exception) as info:
        case_services.payment_record_fund_repayment(
            payment=advance, user=stranger, amount=Decimal("1"), repaid_on=timezone.localdate()
        )
    assert "PermissionDenied" in type(info.value).__name__
    advance.refresh_from_db()
    assert advance.fund_repaid == 0


def test_page_and_api_record_the_payer_and_the_repayment(signed: Signed) -> None:  # noqa: F811
    case = signed.case
    web = Client()
    web.force_login(signed.housing_a)
    today = timezone.localdate().isoformat()
    r = web.post(
        f"/cases/{case.pk}/payment/",
        {"paid_on": today, "amount": "3000.00", "workers_paid": "2", "payer": "emergency_fund"},
    )
    assert r.status_code == 302
    advance = CasePayment.objects.get(case=case)
    assert advance.payer == "emergency_fund"
    page = web.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="action-fund_repaid"' in page and "尚欠 3000.00 元" in page
    r = web.post(
        f"/cases/{case.pk}/fund_repaid/",
        {"payment": str(advance.pk), "amount": "1000.00", "repaid_on": today},
    )
    assert r.status_code == 302
    api = APIClient()
    api.force_authenticate(signed.housing_a)
    a = api.post(
        f"/api/v1/cases/{case.pk}/fund-repayments/",
        {"payment": advance.pk, "amount": "2000.00", "repaid_on": today},
        format="json",
    )
    assert a.status_code == 200, a.content
    advance.refresh_from_db()
    assert advance.fund_repaid == Decimal("3000.00") and _clock(advance).state == "met"  # type: ignore[union-attr]
    a = api.post(
        f"/api/v1/cases/{case.pk}/fund-repayments/",
        {"payment": advance.pk, "amount": "1.00", "repaid_on": today},
        format="json",
    )
    assert a.status_code == 422 and "周转金" in a.content.decode()
    a = api.post(
        f"/api/v1/cases/{case.pk}/payments/",
        {"paid_on": today, "amount": "10.00", "workers_paid": 1, "payer": "neighbour"},
        format="json",
    )
    assert a.status_code == 400 and "payer" in a.content.decode()


@pytest.mark.parametrize("live", [True, False])
def test_wages_recovered_by_payer_add_up_to_the_whole(
    signed: Signed,  # noqa: F811
    live: bool,
) -> None:
    for amount, payer in [
        ("1000.10", Payer.EMPLOYER),
        ("2000.20", Payer.GENERAL_CONTRACTOR),
        ("3000.30", Payer.CONSTRUCTION_UNIT),
        ("4000.40", Payer.EMERGENCY_FUND),
        ("500.05", Payer.EMERGENCY_FUND),
    ]:
        _pay(signed, amount, payer)
    facts.fold()
    today = timezone.localdate()
    user = UserFactory.create(role=Role.CITY_OFFICE, city=signed.case.county.city, is_staff=True)
    with override_settings(REPORTING_FACTS=not live):
        board = dashboard(
            user=user, filters=Filters(periods.year(today.year)), dim="county", now=timezone.now()
        )
    values: dict[str, Any] = board.total.values
    assert values["recovered_employer"] == Decimal("1000.10")
    assert values["recovered_general_contractor"] == Decimal("2000.20")
    assert values["recovered_construction_unit"] == Decimal("3000.30")
    assert values["recovered_emergency_fund"] == Decimal("4500.45")
    parts = sum(values[f"recovered_{p}"] for p in Payer.values)
    assert parts == values["recovered"] == Decimal("10501.05")
