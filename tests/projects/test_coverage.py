"""5+3 coverage against a hand-counted fixture, and scoped to the user."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from arrears.models import Industry, Role
from arrears.reference import ensure_industries
from projects import selectors, services
from projects.models import CORE_ITEMS, Project
from tests.factories import CountyFactory, UserFactory


def test_coverage_per_county_by_hand(db: Any) -> None:
    ensure_industries(Industry)
    housing = Industry.objects.get(code="housing")
    a = CountyFactory.create(code="369902", name="东湖区")
    b = CountyFactory.create(code="369903", name="西江区")
    officer = UserFactory.create(city_office=True)

    def project(code: str, county: Any, status: str = "in_construction") -> Project:
        return Project.objects.create(
            code=code, name=code, county=county, industry=housing, status=status
        )

    def mark(p: Project, items: list[str], state: str = "compliant") -> None:
        for item in items:
            services.checklist_set(project=p, item=item, state=state, user=officer)

    # County A: four projects in construction (and one completed, not counted)
    a1, a2, a3, a4 = (project(f"A{i}", a) for i in range(1, 5))
    done = project("A5", a, status="completed")
    mark(done, CORE_ITEMS)
    mark(a1, [*CORE_ITEMS, "injury_insurance", "notice_board"])  # all core + 两金一牌
    mark(a2, CORE_ITEMS[:4])
    mark(a2, ["monitoring"], state="not_applicable")  # core complete (n/a counts)
    mark(a3, ["deposit", "notice_board"])
    mark(a3, ["injury_insurance"], state="not_compliant")
    mark(a4, ["real_name"], state="not_compliant")
    # County B: one project, nothing verified
    project("B1", b)

    rows = {r["county__code"]: r for r in selectors.coverage(user=officer)}
    assert rows["369902"]["projects"] == 4
    assert rows["369902"]["core_rate"] == Decimal("50.0")  # a1, a2
    assert rows["369902"]["two_funds_one_board_rate"] == Decimal("25.0")  # a1 only
    assert rows["369902"]["items"]["deposit"] == Decimal("75.0")  # a1, a2, a3
    assert rows["369902"]["items"]["real_name"] == Decimal("50.0")  # a1, a2 (a4 not)
    assert rows["369902"]["items"]["contracts"] == Decimal("0.0")
    assert rows["369903"]["projects"] == 1 and rows["369903"]["core_rate"] == Decimal("0.0")

    # a county official sees their county only
    official = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=b)
    assert [r["county__code"] for r in selectors.coverage(user=official)] == ["369903"]
