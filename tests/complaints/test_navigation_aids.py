"""Small aids on the officials' screens: breadcrumbs on detail pages, the dispatch picker
grouped by county, the dashboards' quarter names in the reader's language."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import translation

from complaints.intake.forms import DispatchForm
from complaints.intake.services import complaint_create
from reporting.forms import ReportFilterForm
from tests.complaints.conftest import City, complaint_data


def test_detail_pages_show_where_they_are(city: City) -> None:
    complaint = complaint_create(data=complaint_data(), channel="web_form")
    web = Client()
    web.force_login(city.office)
    html = web.get(f"/complaints/{complaint.tracking_no}/").content.decode()
    crumbs = html.split('data-testid="breadcrumbs"')[1].split("</nav>")[0]
    assert 'href="/"' in crumbs and 'href="/intake/inbox/"' in crumbs
    project = web.get(f"/projects/{city.project.pk}/").content.decode()
    assert 'data-testid="breadcrumbs"' in project and 'href="/projects/"' in project


def test_the_dispatch_picker_groups_departments_by_county(city: City) -> None:
    html = str(DispatchForm()["department"])
    assert html.index('<optgroup label="东湖区">') < html.index('<optgroup label="西江区">')
    east = html.split('<optgroup label="东湖区">')[1].split("</optgroup>")[0]
    assert f'value="{city.a_hrss.pk}"' in east and f'value="{city.b_hrss.pk}"' not in east


def test_quarter_names_follow_the_readers_language(city: City) -> None:
    field: Any = ReportFilterForm(user=city.office).fields["quarter"]
    with translation.override("en"):
        english = [str(label) for _value, label in field.choices]
    with translation.override("zh-hans"):
        chinese = [str(label) for _value, label in field.choices]
    assert chinese[0] == "第1季度"
    assert english[0] != chinese[0] or "Q" in english[0]  # English once the catalogue has it


def test_the_complaint_lists_sort_by_a_column_and_badge_the_status(city: City) -> None:
    where = {"county_code": "369902", "industry_code": "housing"}  # 东湖区住建局's inbox
    small = complaint_create(
        data=complaint_data(amount_owed="1000.00", **where), channel="web_form"
    )
    large = complaint_create(
        data=complaint_data(amount_owed="90000.00", complainant_phone="13900000009", **where),
        channel="web_form",
    )
    web = Client()
    web.force_login(city.housing_a)
    html = web.get("/intake/inbox/?sort=owed").content.decode()
    assert html.index(f"row-{small.tracking_no}") < html.index(f"row-{large.tracking_no}")
    html = web.get("/intake/inbox/?sort=-owed").content.decode()
    assert html.index(f"row-{large.tracking_no}") < html.index(f"row-{small.tracking_no}")
    assert 'aria-sort="descending"' in html and "90,000.00" in html
    assert "badge" in html.split(f"row-{large.tracking_no}")[1].split("</tr>")[0]
