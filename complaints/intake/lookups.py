"""The rows intake looks things up in, read once per request or batch instead of once per
complaint and per address tried.

The organisation's own tables (cities, counties, industries, departments with the industries
they supervise, routing keywords) are small — a province has a few hundred rows of each — and
are read whole, each in one query, the first time a lookup needs them. The registries
(projects, employers) are large: `preload` fetches the codes and names a batch names in one
query each; a key not preloaded is fetched alone and remembered. A batch of 500 referrals so
costs the same handful of queries as one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django.db import models

from arrears.identifiers import normalize_credit_code
from arrears.models import City, County, Department, Industry
from complaints.models import Complaint, RoutingKeyword

if TYPE_CHECKING:
    from projects.models import Employer, Project

# The registries of projects and employers, reached through the complaint's own foreign keys:
# the projects app sits above this one (its supervision reads cases), so intake never imports
# it; it only looks rows up in the tables a complaint already refers to.
_projects = cast(
    "models.Manager[Project]",
    Complaint._meta.get_field("project").related_model._default_manager,
)
_employers = cast(
    "models.Manager[Employer]",
    Complaint._meta.get_field("employer").related_model._default_manager,
)

# A name is matched only when one registered row has it: two are enough to know it is not.
_AMBIGUOUS = 2


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value).strip()


class Lookups:
    """Reference rows for one request or batch (never kept longer: an administrator's edit
    applies to the next request)."""

    def __init__(self) -> None:
        self._cities: list[City] | None = None
        self._counties: list[County] | None = None
        self._industries: dict[str, Industry] | None = None
        self._keywords: list[RoutingKeyword] | None = None
        self._departments: dict[int, list[Department]] | None = None
        self._supervises: dict[int, set[int]] = {}
        self._project_by_code: dict[str, Project | None] = {}
        self._projects_by_name: dict[str, list[Project]] = {}
        self._employer_by_code: dict[str, Employer | None] = {}
        self._employers_by_name: dict[str, list[Employer]] = {}

    # --- the organisation, read whole --------------------------------------------------------

    def cities(self) -> list[City]:
        if self._cities is None:
            self._cities = list(City.objects.all())
        return self._cities

    def city(self, code: str) -> City | None:
        return next((c for c in self.cities() if c.code == code), None)

    def counties(self, city: City | None = None) -> list[County]:
        if self._counties is None:
            by_pk = {c.pk: c for c in self.cities()}
            self._counties = list(County.objects.all())
            for county in self._counties:  # the same City objects as cities(): no query each
                county.city = by_pk[county.city_id]
        if city is None:
            return self._counties
        return [c for c in self._counties if c.city_id == city.pk]

    def county(self, code: str) -> County | None:
        return next((c for c in self.counties() if c.code == code), None)

    def industry(self, code: str) -> Industry | None:
        if self._industries is None:
            self._industries = {i.code: i for i in Industry.objects.all()}
        return self._industries.get(code)

    def keywords(self, city: City | None = None) -> list[RoutingKeyword]:
        if self._keywords is None:
            counties = {c.pk: c for c in self.counties()}
            self._keywords = list(RoutingKeyword.objects.all())
            for keyword in self._keywords:
                keyword.county = counties[keyword.county_id]
        if city is None:
            return self._keywords
        return [k for k in self._keywords if k.county.city_id == city.pk]

    def county_by_pk(self, pk: int) -> County:
        return next(c for c in self.counties() if c.pk == pk)

    def departments(self, county: County) -> list[Department]:
        """The county's departments, in kind order."""
        return self._all_departments().get(county.pk, [])

    def _all_departments(self) -> dict[int, list[Department]]:
        if self._departments is None:
            through = Department.industries.through
            for department_id, industry_id in through.objects.values_list(
                "department_id", "industry_id"
            ):
                self._supervises.setdefault(department_id, set()).add(industry_id)
            grouped: dict[int, list[Department]] = defaultdict(list)
            for department in Department.objects.filter(county__isnull=False).order_by(
                "kind", "pk"
            ):
                grouped[department.county_id].append(department)
            self._departments = dict(grouped)
        return self._departments

    def supervises(self, department: Department, industry: Industry) -> bool:
        self._all_departments()  # loads the (department, industry) pairs with them
        return industry.pk in self._supervises.get(department.pk, set())

    # --- the registries, by the keys a batch names ------------------------------------------

    def preload(self, items: Iterable[dict[str, Any]]) -> None:
        """Fetch every project and employer the inputs name, in one query per key kind."""
        items = list(items)
        codes = {_text(d, "project_code") for d in items} - {""} - set(self._project_by_code)
        names = {_text(d, "project_name") for d in items if not _text(d, "project_code")}
        names = names - {""} - set(self._projects_by_name)
        credit = {_text(d, "employer_credit_code") for d in items} - {""}
        credit -= set(self._employer_by_code)
        employers = {_text(d, "employer_name") for d in items} - {""}
        employers -= set(self._employers_by_name)
        projects = _projects.select_related("county", "industry")
        if codes:
            self._project_by_code.update(dict.fromkeys(codes))
            self._project_by_code.update({p.code: p for p in projects.filter(code__in=codes)})
        if names:
            self._projects_by_name.update({n: [] for n in names})
            for project in projects.filter(name__in=names).order_by("pk"):
                self._projects_by_name[project.name].append(project)
        # Credit codes as stored: the normalised form the complaint will carry.
        if credit:
            normalised = {normalize_credit_code(c) for c in credit}
            self._employer_by_code.update(dict.fromkeys(normalised))
            self._employer_by_code.update(
                {e.credit_code: e for e in _employers.filter(credit_code__in=normalised)}
            )
        if employers:
            self._employers_by_name.update({n: [] for n in employers})
            for employer in _employers.filter(name__in=employers).order_by("pk"):
                self._employers_by_name[employer.name].append(employer)

    def project_by_code(self, code: str) -> Project | None:
        if code not in self._project_by_code:
            self._project_by_code[code] = (
                _projects.select_related("county", "industry").filter(code=code).first()
            )
        return self._project_by_code[code]

    def projects_named(self, name: str) -> list[Project]:
        if name not in self._projects_by_name:
            self._projects_by_name[name] = list(
                _projects.select_related("county", "industry").filter(name=name).order_by("pk")
            )
        return self._projects_by_name[name]

    def employer_by_code(self, credit_code: str) -> Employer | None:
        if credit_code not in self._employer_by_code:
            self._employer_by_code[credit_code] = _employers.filter(credit_code=credit_code).first()
        return self._employer_by_code[credit_code]

    def employers_named(self, name: str) -> list[Employer]:
        if name not in self._employers_by_name:
            self._employers_by_name[name] = list(
                _employers.filter(name=name).order_by("pk")[:_AMBIGUOUS]
            )
        return self._employers_by_name[name]
