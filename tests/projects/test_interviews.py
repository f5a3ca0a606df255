"""约谈 with its clock across a weekend, escalated and closed by the result; zero tolerance
escalated once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client

from arrears import deadlines
from arrears.errors import Conflict
from arrears.models import Deadline, DeadlineState, Notification, Role, User
from complaints.intake import batch
from complaints.intake import services as intake_services
from complaints.models import Case, Complaint
from projects import services
from projects import supervision_selectors as reads
from projects.models import (
    Circular,
    Employer,
    Interview,
    InterviewState,
    InvestmentType,
    Project,
    ProjectParty,
    Warning,
)
from tests.complaints.conftest import complaint_data
from tests.factories import UserFactory

# Moves the clock itself: also run on a year's last minute and the next one's first.
pytestmark = pytest.mark.dates

TZ = dt.timezone(dt.timedelta(hours=8))


def at(y: int, m: int, d: int, h: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=TZ)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft_all(user: Any) -> Circular:
    """A draft naming every unit with overdue work now, each with all of it."""
    units = [
        services.UnitDraft(
            county=c.county,
            department=c.department,
            reason=c.reason(),
            cases=c.cases,
            orders=c.orders,
        )
        for c in reads.circular_candidates(user=user)
    ]
    return services.circular_create(user=user, title="关于超期未办结的通报", units=units)


# --- Interviews -----------------------------------------------------------------------------


@pytest.fixture
def interviewed(project: Project, calendar_2026: None) -> tuple[Employer, Any]:
    employer = Employer.objects.create(
        name="江城建工集团有限公司", credit_code="914403001922038216"
    )
    ProjectParty.objects.create(project=project, employer=employer, role="general_contractor")
    inspector = UserFactory.create(
        role=Role.INSPECTOR, county=project.county, department=project.department
    )
    UserFactory.create(role=Role.COUNTY_OFFICIAL, county=project.county)
    return employer, inspector


def _interview(project: Project, employer: Employer, inspector: Any) -> Interview:
    return services.interview_create(
        user=inspector,
        kind="employer",
        employer=employer,
        county=project.county,
        department=project.department,
        project=project,
        held_on=dt.date(2026, 11, 26),  # a Thursday
        matter="连续2个月未发工资，责令3日内解决",
    )


def test_an_interview_clock_runs_over_the_weekend_and_escalates(
    project: Project, interviewed: tuple[Employer, Any]
) -> None:
    employer, inspector = interviewed
    with time_machine.travel(at(2026, 11, 26, 15), tick=False):
        interview = _interview(project, employer, inspector)
    clock = Deadline.objects.for_subject(interview).get()
    # 3 working days from Thursday 26 Nov: Fri 27, Mon 30, Tue 1 Dec (the weekend not counted)
    assert (clock.kind, interview.working_days) == ("interview", 3)
    assert clock.due_date == dt.date(2026, 12, 1)
    assert deadlines.KIND_LABELS["interview"] == "约谈限期"
    # Monday evening: not yet late; Tuesday evening: the county's official is told
    assert deadlines.deadlines_sweep(now=at(2026, 11, 30, 18))["escalated"] == 0
    assert deadlines.deadlines_sweep(now=at(2026, 12, 1, 18))["escalated"] == 1
    clock.refresh_from_db()
    assert clock.escalation_level == 1
    # the result recorded late closes the clock as missed
    with time_machine.travel(at(2026, 12, 2, 10), tick=False):
        services.interview_record_result(
            interview=interview, user=inspector, resolved=True, result="已足额支付"
        )
    clock.refresh_from_db()
    interview.refresh_from_db()
    assert clock.state == DeadlineState.MISSED
    assert interview.state == InterviewState.RESOLVED and interview.result_on == dt.date(
        2026, 12, 2
    )
    with pytest.raises(Conflict):
        services.interview_record_result(
            interview=interview, user=inspector, resolved=False, result="again"
        )
    # nothing more is escalated after the result
    assert deadlines.deadlines_sweep(now=at(2026, 12, 10, 18))["escalated"] == 0


def test_a_result_in_time_meets_the_clock_through_the_page(
    project: Project, interviewed: tuple[Employer, Any]
) -> None:
    employer, inspector = interviewed
    with time_machine.travel(at(2026, 11, 26, 15), tick=False):
        interview = _interview(project, employer, inspector)
    with time_machine.travel(at(2026, 11, 30, 11), tick=False):
        page = _client(inspector).get(f"/interviews/{interview.pk}/")
        assert page.status_code == 200 and "2026-12-01 17:30" in page.content.decode()
        response = _client(inspector).post(
            f"/interviews/{interview.pk}/result/", {"resolved": "yes", "result": "已支付"}
        )
    assert response.status_code == 302
    assert Deadline.objects.for_subject(interview).get().state == DeadlineState.MET


def test_the_interview_page_form_defaults_to_the_configured_days(
    project: Project, interviewed: tuple[Employer, Any]
) -> None:
    employer, inspector = interviewed
    with time_machine.travel(at(2026, 11, 26, 15), tick=False):
        client = _client(inspector)
        assert client.get(f"/interviews/new/?project={project.pk}").status_code == 200
        response = client.post(
            "/interviews/new/",
            {
                "project": project.pk,
                "kind": "employer",
                "county": project.county_id,
                "department": project.department_id,
                "employer_code": employer.credit_code,
                "held_on": "2026-11-26",
                "matter": "约谈",
            },
        )
    interview = Interview.objects.get()
    assert response.status_code == 302
    assert interview.working_days == 3 and interview.project == project
    # a unit interview is not an inspector's to hold
    with pytest.raises(PermissionDenied):
        services.interview_create(
            user=inspector,
            kind="unit",
            county=project.county,
            held_on=dt.date(2026, 11, 26),
            matter="m",
        )


# --- Zero tolerance -------------------------------------------------------------------------


def test_a_complaint_about_a_government_project_reaches_the_city_office_once(
    project: Project,
) -> None:
    project.investment_type = InvestmentType.GOVERNMENT
    project.save()
    office = UserFactory.create(city_office=True)
    # when a complaint names it, the office hears at once (urgent: no digest)
    complaint = intake_services.complaint_create(
        data=complaint_data(project_code=project.code), channel="web_form"
    )
    sent = Notification.objects.filter(recipient=office, kind="complaint.zero_tolerance")
    assert sent.count() == 1 and sent.get().urgent
    # signing it (the other moment a project is seen) sends nothing again
    signer = User.objects.filter(role=Role.INSPECTOR, department=project.department).first()
    intake_services.complaint_sign(complaint=complaint, user=signer)
    assert sent.count() == 1
    # the badge on the complaint, its case and the project; the 通报 page lists it
    client = _client(office)
    complaint.refresh_from_db()
    for url in (
        f"/complaints/{complaint.tracking_no}/",
        f"/cases/{complaint.case_id}/",
        f"/projects/{project.pk}/",
    ):
        assert 'data-testid="zero-tolerance"' in client.get(url).content.decode(), url
    assert complaint.case_id is not None
    case = Case.objects.get(pk=complaint.case_id)
    assert case.number and case.number in client.get("/circulars/").content.decode()


def test_a_private_project_is_not_escalated(project: Project) -> None:
    office = UserFactory.create(city_office=True)
    intake_services.complaint_create(
        data=complaint_data(project_code=project.code), channel="web_form"
    )
    assert not Notification.objects.filter(recipient=office, kind="complaint.zero_tolerance")
    assert Project(investment_type=InvestmentType.STATE_OWNED).zero_tolerance
    assert not project.zero_tolerance


def test_an_interview_from_a_warning_links_it_and_its_project(
    project: Project, interviewed: tuple[Employer, Any]
) -> None:
    employer, inspector = interviewed
    warning = Warning.objects.create(
        project=project,
        rule="fewer_paid",
        level="yellow",
        county=project.county,
        department=project.department,
        detail="连续2个月未发工资",
    )
    with time_machine.travel(at(2026, 11, 26, 15), tick=False):
        client = _client(inspector)
        form = client.get(f"/interviews/new/?warning={warning.pk}").content.decode()
        assert f'name="warning" value="{warning.pk}"' in form
        client.post(
            "/interviews/new/",
            {
                "warning": warning.pk,
                "kind": "employer",
                "county": project.county_id,
                "department": project.department_id,
                "employer_code": employer.credit_code,
                "held_on": "2026-11-26",
                "matter": "预警约谈",
            },
        )
    interview = Interview.objects.get()
    assert (interview.warning, interview.project) == (warning, project)


def test_a_batch_of_referrals_escalates_each_zero_tolerance_complaint_once(
    project: Project,
) -> None:
    project.investment_type = InvestmentType.STATE_OWNED
    project.save()
    office = UserFactory.create(city_office=True)
    entries = [
        batch.Entry(data=complaint_data(project_code=project.code), external_id="Z-1"),
        batch.Entry(data=complaint_data(), external_id="Z-2"),  # no project: not escalated
    ]
    saved = batch.complaints_create_many(entries=entries, channel="web_form")
    sent = Notification.objects.filter(recipient=office, kind="complaint.zero_tolerance")
    first = saved[0]
    assert isinstance(first, Complaint)
    assert [n.subject_id for n in sent] == [str(first.pk)]
