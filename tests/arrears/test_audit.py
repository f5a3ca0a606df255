"""The audit trail records creates, updates (single and bulk) and deletes, names the actor,
and never stores personal identifiers unmasked."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.test import Client

from arrears import audit
from arrears.models import AuditEvent, CalendarDay, County, Industry, User
from arrears.reference import ensure_industries
from projects.models import ChecklistItem, Project
from tests.conftest import TwoCounties
from tests.factories import CityFactory, CountyFactory, UserFactory


def _events(obj: Any) -> list[AuditEvent]:
    ct = ContentType.objects.get_for_model(obj)
    return list(
        AuditEvent.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by(
            "occurred_at", "id"
        )
    )


def test_create_update_delete_are_recorded_with_actor(db: None) -> None:
    actor = UserFactory.create(username="clerk")
    with audit.acting_as(user=actor):
        county = County.objects.create(
            city=CityFactory.create(), code="369931", name="测试县", short_name="测试"
        )
        county.name = "改名县"
        county.save()
        county.save()  # no change: nothing recorded
        pk = county.pk
        county.delete()
    events = list(
        AuditEvent.objects.filter(
            object_id=str(pk), content_type=ContentType.objects.get_for_model(County)
        ).order_by("id")
    )
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert events[1].changes == {"name": ["测试县", "改名县"]}
    assert {e.actor_id for e in events} == {actor.pk}
    assert events[0].actor_label == "user:clerk"


def test_bulk_update_records_each_row_with_old_and_new_values(db: None) -> None:
    a, b = CountyFactory.create(sort_order=1), CountyFactory.create(sort_order=2)
    with audit.acting_as(label="task:test"):
        assert County.objects.filter(pk__in=[a.pk, b.pk]).update(sort_order=9) == 2
    for county, old in ((a, 1), (b, 2)):
        last = _events(county)[-1]
        assert (last.action, last.bulk, last.actor_label) == ("update", True, "task:test")
        assert last.changes == {"sort_order": [old, 9]}


def test_bulk_update_with_expression_records_resulting_values(db: None) -> None:
    county = CountyFactory.create(sort_order=4)
    County.objects.filter(pk=county.pk).update(sort_order=F("sort_order") + 3)
    assert _events(county)[-1].changes == {"sort_order": [4, 7]}


def test_conditional_update_keeps_its_row_count(db: None) -> None:
    county = CountyFactory.create(sort_order=1)
    assert County.objects.filter(pk=county.pk, sort_order=1).update(sort_order=2) == 1
    assert County.objects.filter(pk=county.pk, sort_order=1).update(sort_order=3) == 0
    assert len([e for e in _events(county) if e.action == "update"]) == 1


def test_personal_identifiers_are_masked_in_the_trail(db: None) -> None:
    user = UserFactory.create(phone="13812345678")
    User.objects.filter(pk=user.pk).update(phone="13987654321")
    user.refresh_from_db()
    user.phone = "13700001111"
    user.save(update_fields=["phone"])
    stored = str([e.changes for e in _events(user)])
    for full in ("13812345678", "13987654321", "13700001111"):
        assert full not in stored
    assert "138****5678" in stored and "137****1111" in stored
    # hashes are never copied into the trail (password_changed_at is, as any other field)
    assert "'password'" not in stored and "md5$" not in stored


def test_web_request_names_the_logged_in_user(
    two_counties: TwoCounties,
    calendar_2026: None,
) -> None:
    client = Client()
    client.force_login(two_counties.city_office)
    response = client.post(
        "/calendar/2026/day/", {"date": "2026-12-31", "kind": "holiday", "name": "测试"}
    )
    assert response.status_code == 302

    event = _events(CalendarDay.objects.get(date="2026-12-31"))[-1]
    assert event.actor_id == two_counties.city_office.pk
    assert event.changes["kind"] == ["workday", "holiday"]


def test_suspended_records_nothing(db: None) -> None:
    before = AuditEvent.objects.count()
    with audit.suspended():
        CountyFactory.create()
    assert AuditEvent.objects.count() == before


def test_loaded_rows_record_changes_even_to_json_changed_in_place(db: None) -> None:
    """The snapshot of a loaded row is made lazily (exports load millions and save none);
    a JSON value changed in place must still show up as a change."""

    ensure_industries(Industry)
    county = CountyFactory.create()
    project = Project.objects.create(
        code="A-1", name="甲", county=county, industry=Industry.objects.get(code="housing")
    )
    item = ChecklistItem.objects.create(project=project, item="deposit", facts={"form": "cash"})
    loaded = ChecklistItem.objects.get(pk=item.pk)
    loaded.facts["form"] = "guarantee"  # in place
    loaded.state = "compliant"
    loaded.save()
    change = _events(item)[-1]
    assert change.action == "update"
    assert change.changes["facts"] == [{"form": "cash"}, {"form": "guarantee"}]
    assert change.changes["state"][1] == "compliant"
    # a row loaded and saved unchanged records nothing
    again = ChecklistItem.objects.get(pk=item.pk)
    again.save()
    assert _events(item)[-1].pk == change.pk


def test_a_change_after_refresh_from_db_is_recorded(db: None) -> None:
    county = CountyFactory.create(name="甲县")
    loaded = County.objects.get(pk=county.pk)
    County.objects.filter(pk=county.pk).update(name="乙县")  # recorded by the queryset
    loaded.refresh_from_db()
    loaded.name = "甲县"
    loaded.save()
    last = _events(county)[-1]
    assert (last.action, last.changes) == ("update", {"name": ["乙县", "甲县"]})
    # refreshing only some fields keeps what was known of the others
    County.objects.filter(pk=county.pk).update(name="丙县", short_name="丙")
    loaded.refresh_from_db(fields=["name"])
    loaded.short_name = "丙"
    loaded.save()  # short_name is "丙" in the database already, but this row did not know
    assert _events(county)[-1].changes == {"short_name": [county.short_name, "丙"]}
