"""Scoping: what each user may see. A county-A official cannot see county-B objects through
any URL; every URL that names an object is listed here, and a guard test fails when a new one
is added without being listed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import partial
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from arrears.models import CalendarDay, County, Department, Industry, Job, JobState, User
from arrears.reference import ensure_industries
from arrears.scoping import Scope, for_user, scope_of
from complaints.cases import services as case_services
from complaints.intake import referrals
from complaints.intake import services as intake_services
from complaints.intake.services import _save_files
from complaints.models import (
    Attachment,
    CallbackDelivery,
    Case,
    CaseAttachment,
    Complaint,
    DuplicateLink,
    IntegrationClient,
)
from complaints.tracking import format_tracking_no
from projects.models import (
    Circular,
    CircularUnit,
    Employer,
    Interview,
    Project,
    ProjectParty,
    Warning,
)
from tests.complaints.conftest import complaint_data
from tests.conftest import TwoCities, TwoCounties
from tests.factories import UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

# Every non-admin URL pattern that takes a parameter, with how to build it for county B's
# objects. A pattern missing from here fails test_every_object_url_is_covered.
OBJECT_URLS: dict[str, Callable[[InB], str]] = {
    "org/counties/<str:code>/": lambda d: f"/org/counties/{d.b.code}/",
    "org/departments/<int:pk>/": lambda d: f"/org/departments/{d.b_hrss.pk}/",
    "api/v1/counties/<code>/": lambda d: f"/api/v1/counties/{d.b.code}/",
    "api/v1/departments/<pk>/": lambda d: f"/api/v1/departments/{d.b_hrss.pk}/",
    "complaints/<str:tracking_no>/": lambda d: f"/complaints/{d.cb.tracking_no}/",
    "api/v1/complaints/<tracking_no>/": lambda d: f"/api/v1/complaints/{d.cb.tracking_no}/",
    "cases/<int:pk>/": lambda d: f"/cases/{d.case_b.pk}/",
    "projects/<int:pk>/": lambda d: f"/projects/{d.project_b.pk}/",
    "api/v1/projects/<pk>/": lambda d: f"/api/v1/projects/{d.project_b.pk}/",
    "api/v1/projects/<pk>/checklist/": (lambda d: f"/api/v1/projects/{d.project_b.pk}/checklist/"),
    "api/v1/warnings/<pk>/": lambda d: f"/api/v1/warnings/{d.warning_b.pk}/",
    "employers/<int:pk>/": lambda d: f"/employers/{d.employer_b.pk}/",
    "reports/counties/<str:code>/": lambda d: f"/reports/counties/{d.b.code}/",
    "reports/cities/<str:code>/": lambda d: f"/reports/cities/{d.b.city.code}/",
    "api/v1/reports/cities/<str:code>/": lambda d: f"/api/v1/reports/cities/{d.b.city.code}/",
    "api/v1/reports/counties/<str:code>/": lambda d: f"/api/v1/reports/counties/{d.b.code}/",
    # The assessment (考核): a city's table of its counties, and one county's indicators.
    "reports/assessment/cities/<str:code>/": (
        lambda d: f"/reports/assessment/cities/{d.b.city.code}/"
    ),
    "reports/assessment/counties/<str:code>/": (
        lambda d: f"/reports/assessment/counties/{d.b.code}/"
    ),
    "api/v1/employers/<pk>/": lambda d: f"/api/v1/employers/{d.employer_b.pk}/",
    "complaints/<str:tracking_no>/evidence/<int:pk>/": (
        lambda d: f"/complaints/{d.cb.tracking_no}/evidence/{d.evidence_b.pk}/"
    ),
    "cases/<int:pk>/evidence/<int:attachment_pk>/": (
        lambda d: f"/cases/{d.case_b.pk}/evidence/{d.case_evidence_b.pk}/"
    ),
    # An issued 通报 naming county B, and an interview of county B's.
    "circulars/<int:pk>/": lambda d: f"/circulars/{d.circular_b.pk}/",
    "circulars/<int:pk>/print/": lambda d: f"/circulars/{d.circular_b.pk}/print/",
    "interviews/<int:pk>/": lambda d: f"/interviews/{d.interview_b.pk}/",
    # A job (and its file) is its owner's alone: county B's official's export.
    "jobs/<int:pk>/download/": lambda d: f"/jobs/{d.job_b.pk}/download/",
}
# The same for endpoints that only accept POST.
POST_URLS: dict[str, Callable[[InB], str]] = {
    "jobs/<int:pk>/cancel/": lambda d: f"/jobs/{d.job_b.pk}/cancel/",
    "jobs/<int:pk>/retry/": lambda d: f"/jobs/{d.job_b.pk}/retry/",
    "complaints/<str:tracking_no>/sign/": lambda d: f"/complaints/{d.cb.tracking_no}/sign/",
    "complaints/<str:tracking_no>/return/": lambda d: f"/complaints/{d.cb.tracking_no}/return/",
    "complaints/<str:tracking_no>/dispatch/": (
        lambda d: f"/complaints/{d.cb.tracking_no}/dispatch/"
    ),
    "complaints/<str:tracking_no>/reveal/": lambda d: f"/complaints/{d.cb.tracking_no}/reveal/",
    "api/v1/complaints/<tracking_no>/sign/": (
        lambda d: f"/api/v1/complaints/{d.cb.tracking_no}/sign/"
    ),
    "api/v1/complaints/<tracking_no>/return/": (
        lambda d: f"/api/v1/complaints/{d.cb.tracking_no}/return/"
    ),
    "api/v1/complaints/<tracking_no>/dispatch/": (
        lambda d: f"/api/v1/complaints/{d.cb.tracking_no}/dispatch/"
    ),
    "api/v1/complaints/<tracking_no>/reveal/": (
        lambda d: f"/api/v1/complaints/{d.cb.tracking_no}/reveal/"
    ),
    "intake/duplicates/<int:pk>/<str:decision>/": (
        lambda d: f"/intake/duplicates/{d.link_b.pk}/merge/"
    ),
    "intake/deliveries/<int:pk>/resend/": (
        lambda d: f"/intake/deliveries/{d.delivery_b.pk}/resend/"
    ),
    "cases/<int:pk>/<str:action>/": lambda d: f"/cases/{d.case_b.pk}/accept/",
    "warnings/<int:pk>/dispose/": lambda d: f"/warnings/{d.warning_b.pk}/dispose/",
    "warnings/<int:pk>/new-case/": lambda d: f"/warnings/{d.warning_b.pk}/new-case/",
    "projects/<int:pk>/wage-records/new/": (
        lambda d: f"/projects/{d.project_b.pk}/wage-records/new/"
    ),
    "projects/<int:pk>/checklist/": lambda d: f"/projects/{d.project_b.pk}/checklist/",
    "projects/<int:pk>/inspections/new/": (
        lambda d: f"/projects/{d.project_b.pk}/inspections/new/"
    ),
    "api/v1/warnings/<pk>/dispose/": (lambda d: f"/api/v1/warnings/{d.warning_b.pk}/dispose/"),
    "circulars/<int:pk>/edit/": lambda d: f"/circulars/{d.circular_b.pk}/edit/",
    "circulars/<int:pk>/issue/": lambda d: f"/circulars/{d.circular_b.pk}/issue/",
    "circulars/<int:pk>/discard/": lambda d: f"/circulars/{d.circular_b.pk}/discard/",
    "circulars/<int:pk>/correct/": lambda d: f"/circulars/{d.circular_b.pk}/correct/",
    "interviews/<int:pk>/result/": lambda d: f"/interviews/{d.interview_b.pk}/result/",
    "api/v1/warnings/<pk>/cases/": (lambda d: f"/api/v1/warnings/{d.warning_b.pk}/cases/"),
    "projects/<int:pk>/deposit/events/": (lambda d: f"/projects/{d.project_b.pk}/deposit/events/"),
    "employers/<int:pk>/listings/": lambda d: f"/employers/{d.employer_b.pk}/listings/",
    "employers/<int:pk>/early-removal/": (lambda d: f"/employers/{d.employer_b.pk}/early-removal/"),
    "employers/<int:pk>/early-removal/decide/": (
        lambda d: f"/employers/{d.employer_b.pk}/early-removal/decide/"
    ),
    "employers/<int:pk>/listings/remove/": (
        lambda d: f"/employers/{d.employer_b.pk}/listings/remove/"
    ),
    "api/v1/employers/<pk>/listings/": (lambda d: f"/api/v1/employers/{d.employer_b.pk}/listings/"),
    "api/v1/employers/<pk>/listings/remove/": (
        lambda d: f"/api/v1/employers/{d.employer_b.pk}/listings/remove/"
    ),
}


def _case_action_url(action: str, d: InB) -> str:
    return f"/api/v1/cases/{d.case_b.pk}/{action}/"


OBJECT_URLS["api/v1/cases/<pk>/"] = lambda d: f"/api/v1/cases/{d.case_b.pk}/"
for _action in (
    "accept",
    "refuse",
    "file",
    "triage",
    "entries",
    "payments",
    "owed-revision",
    "fund-repayments",
    "extend",
    "extension-decision",
    "police-proposal",
    "police-decision",
    "police-transfer",
    "close",
    "reopen",
    "feedback",
):
    POST_URLS[f"api/v1/cases/<pk>/{_action}/"] = partial(_case_action_url, _action)

# Parameterised URLs that do not show scoped objects (the calendar is the same city-wide).
NOT_SCOPED = {
    "calendar/<int:year>/",
    "calendar/<int:year>/load/",
    "calendar/<int:year>/announce/",
    "calendar/<int:year>/day/",
    "calendar/<int:year>/mark/",
    "api/v1/calendar/years/<year>/",
    "i18n/setlang/",
    # The e-mail/SMS delivery log is the city office's alone (404 for anyone else, tested in
    # tests/arrears/test_outbox.py):
    "notifications/deliveries/<int:pk>/resend/",
    # A campaign is city-wide; its inspections and figures are scoped on its page:
    # tests/projects/test_campaigns.py.
    "campaigns/<int:pk>/",
    # Drawing a campaign's inspection list: the campaign's city office (another city's gets
    # 404, as for the page); the list is drawn from the drawer's scope and shown through
    # for_user: tests/projects/test_risk.py.
    "campaigns/<int:pk>/draw/",
    # Exports of the dashboards (a format, not an object), scoped like the pages:
    # tests/reporting/test_pages.py.
    "reports/rows.<str:fmt>",
    "reports/table.<str:fmt>",
    # Scoped by the calling integration client: tests/complaints/test_referrals_api.py.
    "api/v1/referrals/<external_id>/",
    # The security administrator's (city-wide by role) reset of a user's two-factor sign-in,
    # 404 for anyone else: tests/arrears/test_two_factor.py.
    "accounts/two-factor/users/<int:pk>/reset/",
    # The import templates: an empty CSV with the column headers, the same for everyone.
    "projects/import/<slug:kind>-template.csv",
    # The public rating page: no login, no scope; the tracking number and the phone's last
    # four digits decide, as on the tracking page, and it shows no personal data:
    # tests/complaints/test_rating_page.py.
    "track/<str:tracking_no>/rate/",
}


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith("admin/"):
                continue  # the admin is for staff with city-wide scope
            found.extend(_patterns(entry, route))
        elif isinstance(entry, URLPattern) and "<" in route and "format" not in route:
            # Router patterns are regexes: "(?P<pk>[^/.]+)" reads as "<pk>".
            route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route)
            found.append(route.replace("^", "").replace("$", "").replace("\\", ""))
    return found


def test_every_object_url_is_covered() -> None:
    routes = {r for r in _patterns(get_resolver()) if not r.startswith(("admin/", "static/"))}
    assert routes - set(OBJECT_URLS) - set(POST_URLS) - NOT_SCOPED == set()


def _project_in(county: Any, department: Any) -> tuple[Project, Warning, Employer]:
    ensure_industries(Industry)
    project = Project.objects.create(
        code="B-P1",
        name="西江滨江花园",
        county=county,
        department=department,
        industry=Industry.objects.get(code="housing"),
    )
    warning = Warning.objects.create(
        project=project,
        rule="fewer_paid",
        level="yellow",
        county=county,
        department=department,
        detail="B",
    )
    # An employer working only in county B: visible through B's project alone.
    employer = Employer.objects.create(name="西江建工有限公司", credit_code="91330100799655058B")
    ProjectParty.objects.create(project=project, employer=employer, role="general_contractor")
    return project, warning, employer


def _evidence(complaint: Any) -> Any:
    _save_files(complaint, [SimpleUploadedFile("b.pdf", b"%PDF-1.4 b", "application/pdf")])
    return complaint.attachments.get()


def _finished_job(owner: Any) -> Any:
    """A finished export of `owner`'s, with its file."""

    job = Job.objects.create(owner=owner, kind="reporting.rows", summary="西江区 · 明细")
    job.result.save("rows.csv", ContentFile("\ufeff编号\n".encode()), save=False)
    job.state, job.result_name, job.done, job.total = JobState.DONE, "rows.csv", 1, 1
    job.save()
    return job


def _case_evidence(case: Any, user: Any) -> Any:
    photo = SimpleUploadedFile("b.jpg", b"\xff\xd8\xff\xe0 b", "image/jpeg")
    entry = case_services.case_record(case=case, user=user, kind="visit", text="b", files=[photo])
    return entry.attachments.get()


@dataclass(frozen=True)
class InB(TwoCounties):
    """County B's objects, one of each kind a URL can name."""

    cb: Complaint  # referred by a channel, with its evidence
    case_b: Case  # another complaint, signed into a case
    project_b: Project
    warning_b: Warning
    employer_b: Employer
    evidence_b: Attachment
    case_evidence_b: CaseAttachment
    link_b: DuplicateLink  # the flag between the two complaints
    delivery_b: CallbackDelivery  # the channel's callback
    job_b: Job  # a finished export of B's official
    circular_b: Circular  # an issued 通报 naming county B
    interview_b: Interview  # county B's interview of its housing department


# Pages about a whole city: no county's people see them, so in the county test only A's
# refusal is checked; the city test checks both sides.
CITY_ROUTES = {
    "reports/cities/<str:code>/",
    "api/v1/reports/cities/<str:code>/",
    "reports/assessment/cities/<str:code>/",
}
# A job is its owner's alone (county B's official), whichever city looks.
OWNER_ROUTES = {"jobs/<int:pk>/download/", "jobs/<int:pk>/cancel/", "jobs/<int:pk>/retry/"}


@pytest.fixture
def in_b(two_counties: TwoCounties) -> InB:
    """County B's complaints, a duplicate flag and a callback, next to county A's people."""
    return _in_b(two_counties)


@pytest.fixture
def in_city_b(two_cities: TwoCities) -> InB:
    """The same objects, with county B in another city (云岭市)."""
    return _in_b(two_cities)


def _in_b(two_counties: TwoCounties) -> InB:

    client = IntegrationClient.objects.create(
        user=UserFactory.create(role="integration_client"),
        name="热线",
        channel="hotline_12345",
        callback_url="http://127.0.0.1:9/",
        callback_secret="s",
    )
    data = complaint_data(county_code=two_counties.b.code)
    first, _ = referrals.referral_submit(client=client, external_id="B-1", data=data)
    second = intake_services.complaint_create(data=data, channel="web_form")
    b_staff = UserFactory.create(
        role="inspector", county=two_counties.b, department=two_counties.b_hrss
    )
    intake_services.complaint_sign(complaint=second, user=b_staff)
    second.refresh_from_db()
    assert second.case is not None
    project_b, warning_b, employer_b = _project_in(two_counties.b, two_counties.b_housing)
    evidence_b = _evidence(first)
    case_evidence_b = _case_evidence(second.case, b_staff)
    delivery = CallbackDelivery.objects.filter(complaint=first).first()
    assert delivery is not None
    return InB(
        **{f.name: getattr(two_counties, f.name) for f in fields(TwoCounties)},
        case_b=second.case,
        project_b=project_b,
        warning_b=warning_b,
        employer_b=employer_b,
        evidence_b=evidence_b,
        case_evidence_b=case_evidence_b,
        cb=first,
        link_b=DuplicateLink.objects.get(complaint=second),
        delivery_b=delivery,
        job_b=_finished_job(two_counties.official_b),
        circular_b=_circular_naming(two_counties.b, two_counties.b_housing),
        interview_b=Interview.objects.create(
            kind="unit",
            county=two_counties.b,
            department=two_counties.b_housing,
            held_on=dt.date(2026, 11, 26),
            held_by=b_staff,
            matter="B",
            working_days=3,
        ),
    )


def _circular_naming(county: Any, department: Any) -> Circular:
    """An issued circular of county B's city naming its housing department."""
    circular = Circular.objects.create(
        city=county.city,
        title="B",
        state="issued",
        year=2026,
        sequence=1,
        number="B〔2026〕1号",
        issued_on=dt.date(2026, 11, 30),
        drafted_by=UserFactory.create(city_office=True, city=county.city),
    )
    CircularUnit.objects.create(circular=circular, county=county, department=department, reason="B")
    return circular


@pytest.mark.parametrize("route", sorted(POST_URLS))
def test_county_a_official_gets_404_posting_to_county_b_objects(in_b: InB, route: str) -> None:
    url = POST_URLS[route](in_b)
    assert _client(in_b.official_a).post(url, {"reason": "x"}).status_code == 404
    # …and B's own official reaches the action (whatever it then decides)
    assert _client(in_b.official_b).post(url, {"reason": "x"}).status_code != 404


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("route", sorted(OBJECT_URLS))
def test_county_a_official_gets_404_for_county_b_objects(in_b: InB, route: str) -> None:
    url = OBJECT_URLS[route](in_b)
    assert _client(in_b.official_a).get(url).status_code == 404
    if route in CITY_ROUTES:
        assert _client(in_b.city_office).get(url).status_code == 200
        return
    # …while county B's own official sees them (so the 404 is about scope, not a broken URL)
    assert _client(in_b.official_b).get(url).status_code == 200


@pytest.mark.parametrize("route", sorted(OBJECT_URLS))
def test_city_a_office_and_leader_get_404_for_city_b_objects(
    in_city_b: InB, two_cities: TwoCities, route: str
) -> None:
    url = OBJECT_URLS[route](in_city_b)
    assert _client(two_cities.city_office).get(url).status_code == 404
    assert _client(two_cities.city_leader_a).get(url).status_code == 404
    # …while city B's office sees them (a job, its owner), and the province office too
    owner = two_cities.official_b if route in OWNER_ROUTES else two_cities.city_office_b
    assert _client(owner).get(url).status_code == 200
    if route not in OWNER_ROUTES:
        assert _client(two_cities.province_office).get(url).status_code == 200


@pytest.mark.parametrize("route", sorted(POST_URLS))
def test_city_a_office_gets_404_posting_to_city_b_objects(
    in_city_b: InB, two_cities: TwoCities, route: str
) -> None:
    url = POST_URLS[route](in_city_b)
    assert _client(two_cities.city_office).post(url, {"reason": "x"}).status_code == 404
    owner = two_cities.official_b if route in OWNER_ROUTES else two_cities.city_office_b
    assert _client(owner).post(url, {"reason": "x"}).status_code != 404


LISTS = [
    "/org/counties/",
    "/api/v1/counties/",
    "/api/v1/departments/",
    "/",
    "/api/v1/complaints/",
    "/intake/inbox/",
    "/intake/dispatch/",
    "/intake/deliveries/",
    "/cases/?view=all",
    "/api/v1/cases/",
    "/projects/",
    "/warnings/",
    "/api/v1/projects/",
    "/api/v1/warnings/",
    "/api/v1/wage-records/",
    "/employers/",
    "/campaigns/",
    "/circulars/",
    "/interviews/",
    "/api/v1/employers/",
    "/reports/rows/?subset=received",
    "/reports/rows/?subset=accepted",
    "/reports/print/",
    "/api/v1/reports/dashboard/",
    "/jobs/",
    "/reports/assessment/",
    # County A's (369902 in both fixtures) rows behind an indicator.
    "/reports/assessment/rows/?indicator=overdue&unit=369902",
]


@pytest.mark.parametrize("url", LISTS)
def test_lists_do_not_mention_county_b(in_b: InB, url: str) -> None:
    response = _client(in_b.official_a).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    # the number as stored (links) and as shown (SJ6CZ-4STZC)
    tracking = (in_b.cb.tracking_no, format_tracking_no(in_b.cb.tracking_no))
    assert in_b.b.name not in body
    assert not any(t in body for t in tracking)
    assert in_b.case_b.number
    assert in_b.case_b.number not in body
    # the same list shows county B's records to county B's official
    body_b = _client(in_b.official_b).get(url).content.decode()
    if url.startswith(("/api/v1/complaints", "/intake/deliveries")):
        assert any(t in body_b for t in tracking)
    if url.startswith(("/cases/", "/api/v1/cases/")):
        assert in_b.case_b.number in body_b


def test_scope_rules(two_counties: TwoCounties) -> None:
    d = two_counties
    assert scope_of(d.city_office) == Scope(city_id=d.a.city_id)
    assert scope_of(d.official_a) == Scope(county_id=d.a.pk)
    assert scope_of(d.inspector_a) == Scope(county_id=d.a.pk, department_id=d.a_hrss.pk)
    assert scope_of(d.city_housing_official) == Scope(
        city_id=d.a.city_id, department_kind="housing"
    )
    # a county-level inspector sees only their own department
    visible = set(for_user(Department.objects.all(), d.inspector_a))
    assert visible == {d.a_hrss}
    # the city housing bureau sees every county's housing department, and no HRSS one
    visible = set(for_user(Department.objects.all(), d.city_housing_official))
    assert visible == {d.a_housing, d.b_housing, d.city_housing}
    assert set(for_user(County.objects.all(), d.official_a)) == {d.a}
    assert for_user(County.objects.all(), d.city_office).count() == 2


def test_unbound_and_machine_users_see_nothing(two_counties: TwoCounties) -> None:
    nobody = UserFactory.create(role="inspector")
    machine = UserFactory.create(role="integration_client")
    for user in (nobody, machine):
        assert scope_of(user).nothing
        assert not for_user(County.objects.all(), user).exists()
        assert _client(user).get(f"/org/counties/{two_counties.a.code}/").status_code == 404


def test_anonymous_users_are_sent_to_login(two_counties: TwoCounties) -> None:
    response = Client().get(f"/org/counties/{two_counties.a.code}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Client().get("/api/v1/counties/").status_code == 403


def test_only_the_city_office_edits_the_calendar(
    two_counties: TwoCounties, calendar_2026: None
) -> None:
    d = two_counties
    for user in (d.official_a, d.inspector_a, d.city_housing_official):
        response = _client(user).post(
            "/calendar/2026/day/", {"date": "2026-12-31", "kind": "holiday"}
        )
        assert response.status_code == 403

    assert CalendarDay.objects.get(date="2026-12-31").kind == "workday"


@pytest.mark.parametrize("url", LISTS)
def test_city_a_lists_do_not_mention_city_b(
    in_city_b: InB, two_cities: TwoCities, url: str
) -> None:
    body = _client(two_cities.city_office).get(url).content.decode()
    tracking = (in_city_b.cb.tracking_no, format_tracking_no(in_city_b.cb.tracking_no))
    assert two_cities.city_b.name not in body
    assert in_city_b.b.name not in body
    assert not any(t in body for t in tracking)
    assert in_city_b.case_b.number and in_city_b.case_b.number not in body
    body_b = _client(two_cities.city_office_b).get(url).content.decode()
    if url.startswith(("/cases/", "/api/v1/cases/")):
        assert in_city_b.case_b.number in body_b


def test_province_and_city_scope_rules(two_cities: TwoCities) -> None:
    d = two_cities
    assert scope_of(d.province_office) == Scope(everything=True)
    assert scope_of(d.city_office_b) == Scope(city_id=d.city_b.pk)
    assert set(for_user(County.objects.all(), d.city_office)) == {d.a}
    assert set(for_user(County.objects.all(), d.city_office_b)) == {d.b}
    assert for_user(County.objects.all(), d.province_office).count() == 2
    # the city housing bureau of city A sees no housing department of city B
    assert d.b_housing not in set(for_user(Department.objects.all(), d.city_housing_official))
    # a city role without a city sees nothing (the database refuses such a row; an
    # unsaved one, as a form may hold, is judged the same way)
    assert scope_of(User(role="city_office", is_active=True)).nothing
