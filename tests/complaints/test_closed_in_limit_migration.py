"""Migration complaints 0025: the cases already closed are judged against the statutory limit
of their city (its own, else the province's), the others left without a verdict. On
PostgreSQL the verdicts come from one rewrite of the table (ALTER … USING), not an UPDATE of
every closed case (docs/deployment.md, Upgrades); SQLite keeps the UPDATE."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from complaints.models import Case

BEFORE = [("complaints", "0024_complaint_rating")]
AFTER = [("complaints", "0025_case_closed_in_limit")]
KEY = "case.close_days.statutory"


@pytest.mark.django_db(transaction=True)
def test_closed_cases_are_judged_against_their_citys_limit() -> None:
    # given the schema before, two cities — one with a limit of its own (30 working days),
    # one under the province's (45) — and cases closed in more or fewer days, or still open
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps: Any = executor.loader.project_state(BEFORE).apps
    City, County, Department, User, ConfigValue = (
        apps.get_model("arrears", name)
        for name in ("City", "County", "Department", "User", "ConfigValue")
    )
    OldCase = apps.get_model("complaints", "Case")
    owner = User.objects.create(username="migration-inspector")
    own = City.objects.create(code="369900", name="江城市")
    other = City.objects.create(code="369800", name="河城市")
    ConfigValue.objects.create(key=KEY, value="30", city=own)
    ConfigValue.objects.create(key=KEY, value="45", city=None)
    made: dict[str, int] = {}

    def case(name: str, city: Any, days: int | None, state: str = "closed") -> None:
        county = County.objects.create(
            city=city, code=f"{city.code[:4]}{len(made):02d}", name=name, short_name=name
        )
        department = Department.objects.create(
            city=city, county=county, level="county", name=f"{name}人社局", kind="hrss"
        )
        made[name] = OldCase.objects.create(
            county=county,
            department=department,
            owner=owner,
            employer_name=name,
            workers_owed=1,
            amount_owed=Decimal("1000.00"),
            state=state,
            outcome="recovered" if state == "closed" else "",
            working_days_taken=days,
        ).pk

    case("own-30", own, 30)
    case("own-31", own, 31)
    case("other-45", other, 45)
    case("other-46", other, 46)
    case("closed-untimed", own, None)
    case("open", other, None, state="filed")
    try:
        # when migrated
        executor.loader.build_graph()
        executor.migrate(AFTER)
        # then
        verdicts = dict(
            Case.objects.filter(pk__in=made.values()).values_list("pk", "closed_in_limit")
        )
        assert {name: verdicts[pk] for name, pk in made.items()} == {
            "own-30": True,
            "own-31": False,
            "other-45": True,
            "other-46": False,
            "closed-untimed": None,
            "open": None,
        }
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
