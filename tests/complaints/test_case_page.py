"""The case page offers the actions that apply now, grouped (办理 / 记录 / 结案), each form
with its own ids and its own success message; a refused form comes back with what was typed
(fixture: test_cases.signed, a complaint signed by 东湖's housing inspector)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from django.test import Client

from complaints.cases import actions as case_actions
from complaints.models import Case
from tests.complaints.test_cases import (
    Signed,
    signed,  # noqa: F401 - the fixture
)


def _web(user: Any) -> Client:
    web = Client()
    web.force_login(user)
    return web


def _offered(html: str) -> set[str]:
    return set(re.findall(r'data-testid="action-([a-z_]+)"', html))


def _ids(html: str) -> Counter[str]:
    return Counter(re.findall(r'\sid="([^"]+)"', html))


def _filed(signed: Signed) -> tuple[Client, Case]:  # noqa: F811
    web = _web(signed.housing_a)
    case = signed.case
    web.post(f"/cases/{case.pk}/accept/")
    web.post(f"/cases/{case.pk}/file/", {"filed_on": "2026-09-30"})
    return web, Case.objects.get(pk=case.pk)


def test_a_new_case_offers_acceptance_not_closure_or_resuming(signed: Signed) -> None:  # noqa: F811
    html = _web(signed.housing_a).get(f"/cases/{signed.case.pk}/").content.decode()
    offered = _offered(html)
    assert {"accept", "refuse", "payment", "record"} <= offered
    assert not offered & {"resume", "file", "reopen", "feedback", "decide"}
    # grouped in tabs, the one with the next step shown first
    assert 'data-testid="tab-handle"' in html and 'data-testid="tab-record"' in html
    assert re.search(r'class="nav-link active"[^>]*data-testid="tab-handle"', html)


def test_a_filed_case_page_has_unique_ids_and_no_resume_until_paused(
    signed: Signed,  # noqa: F811
) -> None:
    web, case = _filed(signed)
    html = web.get(f"/cases/{case.pk}/").content.decode()
    offered = _offered(html)
    assert {"payment", "close", "police_propose", "arbitration", "extension"} <= offered
    assert "police" not in offered  # handed over only once proposed and approved
    assert "resume" not in offered and "accept" not in offered
    duplicated = [i for i, n in _ids(html).items() if n > 1]
    assert not duplicated, duplicated
    assert 'id="id_payment_note"' in html and 'id="id_close_note"' in html
    # arbitration pauses the closing clock (the default): now, and only now, 恢复计时
    web.post(f"/cases/{case.pk}/arbitration/", {"note": "已申请劳动仲裁"})
    assert "resume" in _offered(web.get(f"/cases/{case.pk}/").content.decode())
    response = web.post(f"/cases/{case.pk}/resume/", {"note": "仲裁已裁决"}, follow=True)
    assert "已恢复计时" in response.content.decode()
    assert "resume" not in _offered(response.content.decode())


def test_extension_is_decided_only_by_a_head_and_a_requester_is_refused_in_words(
    signed: Signed,  # noqa: F811
) -> None:
    web, case = _filed(signed)
    response = web.post(
        f"/cases/{case.pk}/extension/",
        {"working_days": "10", "reason": "需调取银行流水"},
        follow=True,
    )
    html = response.content.decode()
    assert "已申请延期 10 个工作日" in html
    assert not _offered(html) & {"extension", "decide"}  # asked once; not theirs to decide
    refused = web.post(f"/cases/{case.pk}/decide/", {"approve": "yes"}, follow=True)
    assert refused.status_code == 200
    assert "延期须由承办单位负责人" in refused.content.decode()
    head = _web(signed.head_a)
    assert "decide" in _offered(head.get(f"/cases/{case.pk}/").content.decode())
    approved = head.post(f"/cases/{case.pk}/decide/", {"approve": "yes"}, follow=True)
    assert "已批准延期" in approved.content.decode()


def test_each_action_says_what_it_did(signed: Signed) -> None:  # noqa: F811
    web = _web(signed.housing_a)
    case = signed.case
    assert "已受理" in web.post(f"/cases/{case.pk}/accept/", follow=True).content.decode()
    paid = web.post(
        f"/cases/{case.pk}/payment/",
        {"paid_on": "2026-10-09", "amount": "20000.00", "workers_paid": "3"},
        follow=True,
    ).content.decode()
    assert "已记录付款 2 万元" in paid and "已保存" not in paid


def test_a_refused_form_comes_back_with_what_was_typed(signed: Signed) -> None:  # noqa: F811
    web, case = _filed(signed)
    response = web.post(
        f"/cases/{case.pk}/extension/", {"working_days": "999", "reason": "需调取银行流水"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-extension-working_days"' in html
    assert 'value="需调取银行流水"' in html
    # its section is open and its tab shown, the others folded
    assert re.search(r'<details[^>]*open[^>]*data-testid="fold-extension"', html)
    assert re.search(r'class="nav-link active"[^>]*data-testid="tab-handle"', html)
    assert not re.search(r'<details[^>]*open[^>]*data-testid="fold-payment"', html)


def test_a_closed_case_offers_feedback_and_reopening_only(signed: Signed) -> None:  # noqa: F811
    web, case = _filed(signed)
    web.post(
        f"/cases/{case.pk}/payment/",
        {"paid_on": "2026-10-09", "amount": "86400.00", "workers_paid": "12"},
    )
    closed = web.post(
        f"/cases/{case.pk}/close/", {"outcome": "paid_in_full", "note": "已全部支付"}, follow=True
    ).content.decode()
    assert "已结案：全额支付" in closed
    assert _offered(closed) == {"feedback", "reopen"}
    assert set(case_actions.available(Case.objects.get(pk=case.pk), signed.housing_a)) == {
        "feedback",
        "reopen",
    }
