"""Early removal from the dishonest-employer list (人社部令45号): a request recorded for the
employer, refused while it has been listed less than 6 months or still owes wages in an open
case (the reasons shown), approved after, the removal recorded on the listing; the pages on
the employer page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from arrears.errors import Conflict
from complaints.cases import services as case_services
from complaints.models import Case, Channel
from projects import services
from projects.models import EmployerListing, ListingRemovalRequest, Project
from tests.projects.conftest import Employers

TZ = dt.timezone(dt.timedelta(hours=8))
D = dt.date


def at(y: int, m: int, d: int) -> Any:
    return time_machine.travel(dt.datetime(y, m, d, 10, tzinfo=TZ), tick=False)


def _list(d: Employers, on: D) -> EmployerListing:
    return services.employer_listing_add(
        employer=d.ours,
        kind="dishonest",
        reason="拒不支付农民工工资",
        listed_on=on,
        user=d.city_office,
    )


def _owing_case(d: Employers, project: Project) -> Case:
    return case_services.case_open(
        user=d.inspector,
        county=project.county,
        department=project.department,
        employer_name=d.ours.name,
        employer_credit_code=d.ours.credit_code,
        project=project,
        industry_id=project.industry_id,
        workers_owed=12,
        amount_owed=Decimal("86000"),
        channel=Channel.INSPECTION,
        note="检查发现欠薪",
    )


def _request(d: Employers) -> ListingRemovalRequest:
    return services.listing_removal_request(
        employer=d.ours,
        user=d.inspector,
        applicant="江城建工（委托人 张明）",
        statement="欠薪已全部清偿",
    )


def test_refused_before_six_months_and_while_wages_are_owed_then_approved(
    employers: Employers, project: Project
) -> None:
    d = employers
    with at(2026, 3, 2):
        listing = _list(d, D(2026, 3, 2))
        case = _owing_case(d, project)
    # given a request five months after listing, with the case's wages unpaid
    with at(2026, 8, 3):
        request = _request(d)
        # when the office approves, both conditions fail and nothing is recorded
        with pytest.raises(ValidationError) as refused:
            services.listing_removal_decide(
                employer=d.ours, user=d.city_office, approve=True, reason=""
            )
        assert refused.value.message_dict == {
            "reason": [
                "列入未满6个月（2026-09-02 起方可提前移出）",
                "该单位尚有1件未结案件仍欠工资86000.00元",
            ]
        }
    request.refresh_from_db()
    listing.refresh_from_db()
    assert (request.state, listing.removed_on) == ("pending", None)
    # six months on, the wages still owed: refused for that reason alone
    with at(2026, 9, 2):
        assert services.early_removal_problems(listing=listing) == [
            "该单位尚有1件未结案件仍欠工资86000.00元"
        ]
        case_services.case_record_payment(
            case=case,
            user=d.inspector,
            paid_on=D(2026, 9, 2),
            amount=Decimal("86000"),
            workers_paid=12,
        )
        # then approved: the listing is removed today with the reason recorded
        decided = services.listing_removal_decide(
            employer=d.ours, user=d.city_office, approve=True, reason="经核实已清偿"
        )
    listing.refresh_from_db()
    assert (decided.state, decided.decided_by, decided.decided_on) == (
        "approved",
        d.city_office,
        D(2026, 9, 2),
    )
    assert listing.removed_on == D(2026, 9, 2)
    assert (
        listing.removal_reason == "清偿欠薪后提前移出（江城建工（委托人 张明）申请）：经核实已清偿"
    )
    assert not listing.is_current


def test_the_office_refuses_with_a_reason_and_a_new_request_may_follow(
    employers: Employers,
) -> None:
    d = employers
    with at(2026, 1, 5):
        _list(d, D(2026, 1, 5))
    with at(2026, 9, 1):
        _request(d)
        with pytest.raises(Conflict):
            _request(d)  # one request under review at a time
        with pytest.raises(ValidationError):
            services.listing_removal_decide(
                employer=d.ours, user=d.city_office, approve=False, reason=""
            )
        with pytest.raises(PermissionDenied):
            services.listing_removal_decide(
                employer=d.ours, user=d.inspector, approve=False, reason="不是本人"
            )
        refused = services.listing_removal_decide(
            employer=d.ours, user=d.city_office, approve=False, reason="申请材料不全"
        )
        assert (refused.state, refused.decision_reason) == ("refused", "申请材料不全")
        assert _request(d).state == "pending"


def test_only_a_current_dishonest_listing_may_be_asked_off(employers: Employers) -> None:
    d = employers
    with at(2026, 9, 1), pytest.raises(Conflict):
        _request(d)
    with at(2026, 9, 1):
        services.employer_listing_add(
            employer=d.ours,
            kind="key_supervision",
            reason="重点监管",
            listed_on=D(2026, 1, 5),
            user=d.city_office,
        )
        with pytest.raises(Conflict):
            _request(d)


def test_the_employer_page_shows_the_conditions_and_takes_the_decision(
    employers: Employers, project: Project
) -> None:
    d = employers
    with at(2026, 3, 2):
        _list(d, D(2026, 3, 2))
    office, inspector = Client(), Client()
    office.force_login(d.city_office)
    inspector.force_login(d.inspector)
    url = f"/employers/{d.ours.pk}/"
    with at(2026, 8, 3):
        page = inspector.get(url).content.decode()
        assert 'data-testid="early-removal-request"' in page
        response = inspector.post(
            f"{url}early-removal/",
            {"applicant": "江城建工", "statement": "欠薪已清偿", "requested_on": "2026-08-03"},
        )
        assert response.status_code == 302
        page = office.get(url).content.decode()
        assert 'data-testid="early-removal-decide"' in page
        assert "列入未满6个月（2026-09-02 起方可提前移出）" in page  # the conditions, shown
        refused = office.post(f"{url}early-removal/decide/", {"decision": "approve"}, follow=True)
        assert "列入未满6个月" in refused.content.decode()
        assert ListingRemovalRequest.objects.get().state == "pending"
    with at(2026, 9, 2):
        done = office.post(
            f"{url}early-removal/decide/", {"decision": "approve", "reason": "已核实"}, follow=True
        )
        assert "已准予提前移出" in done.content.decode()
    assert ListingRemovalRequest.objects.get().state == "approved"
    assert EmployerListing.objects.get().removed_on == D(2026, 9, 2)
