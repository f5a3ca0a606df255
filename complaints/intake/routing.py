"""Routing (属地 + 行业): which county and which department must handle a complaint. The rules
are data: county names and short names, RoutingKeyword rows, and the industries each
department supervises (Department.industries), all edited in the admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django.db import models

from arrears import config
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


@dataclass(frozen=True)
class Route:
    county: County | None
    department: Department | None
    rule: str  # which rule decided, for the timeline
    # The city whose office answers for it: the county's, else the one the text named or the
    # referring system belongs to; None leaves it in the province office's queue.
    city: City | None = None


def match_project(
    *, code: str = "", name: str = "", county: County | None = None
) -> Project | None:
    """A registered project by its code, else by its exact name (within the county if known,
    and only when the name is unambiguous)."""
    if code:
        return _projects.select_related("county", "industry").filter(code=code).first()
    if name:
        candidates = _projects.select_related("county", "industry").filter(name=name)
        if county is not None:
            candidates = candidates.filter(county=county)
        found = list(candidates[:2])
        if len(found) == 1:
            return found[0]
    return None


def _names(place: City | County, text: str) -> bool:
    return place.name in text or bool(place.short_name and place.short_name in text)


def city_from_text(*texts: str) -> City | None:
    """The one city an address names by name or short name (江城市, 江城); none if it names
    none or several."""
    cities = list(City.objects.all())
    for text in texts:
        named = [c for c in cities if text and _names(c, text)]
        if len(named) == 1:
            return named[0]
    return None


def county_from_text(*texts: str, city: City | None = None) -> County | None:
    """The county an address names: a RoutingKeyword first (the longest match wins, so a
    town beats a district), then county names and short names — within `city` when it is
    known, else across the province, where a county name two cities share (城关区) counts
    only beside its city's name. Ambiguous text routes nowhere; the office dispatches it."""
    keywords_all = RoutingKeyword.objects.select_related("county")
    counties_all = County.objects.select_related("city")
    if city is not None:
        keywords_all = keywords_all.filter(county__city=city)
        counties_all = counties_all.filter(city=city)
    keyword_rows, county_rows = list(keywords_all), list(counties_all)
    for text in texts:
        if not text:
            continue
        keywords = [k for k in keyword_rows if k.keyword in text]
        if keywords:
            longest = max(len(k.keyword) for k in keywords)
            best = {k.county_id: k.county for k in keywords if len(k.keyword) == longest}
            if len(best) == 1:
                return next(iter(best.values()))
        named = {c.pk: c for c in county_rows if _names(c, text)}
        if len(named) > 1 and city is None:
            # The same county name in two cities: the text's city decides.
            named = {pk: c for pk, c in named.items() if _names(c.city, text)}
        if len(named) == 1:
            return next(iter(named.values()))
    return None


def department_for(county: County, industry: Industry | None) -> Department | None:
    """The county department supervising the industry; otherwise the configured lead
    department (human resources & social security by default)."""
    departments = Department.objects.filter(county=county)
    if industry is not None:
        supervising = departments.filter(industries=industry).order_by("kind").first()
        if supervising is not None:
            return supervising
    kind = config.get("complaints.default_department_kind", city=county.city_id)
    return departments.filter(kind=kind).first()


def route(
    *,
    county: County | None,
    project: Project | None,
    industry: Industry | None,
    addresses: dict[str, str],
    city: City | None = None,
) -> Route:
    """`addresses` by whose they are, in the order to try them (project_address,
    employer_address, complainant_address): the key becomes the rule, so the timeline can say
    "按用人单位地址匹配到东湖区" (complaints.intake.explain words every rule). `city` is where
    the complaint is known to belong (a city's own referring system, its duty officer, a
    city code in the referral): the county is looked for there only. Without one (a
    province-wide system), the addresses name the city too, or the province office
    dispatches it."""
    rule = "county"
    if (
        county is None
        and project is not None
        and (city is None or project.county.city_id == city.pk)
    ):
        county, rule = project.county, "project"
    for source, text in addresses.items():
        if county is not None:
            break
        county, rule = county_from_text(text, city=city), source
    if county is None:
        if city is None:
            city = city_from_text(*addresses.values())
        return Route(None, None, "dispatch", city)
    return Route(county, department_for(county, industry), rule, county.city)


def match_employer(*, credit_code: str, name: str) -> Employer | None:
    """The registered employer by credit code, else by a name only one employer has."""

    if credit_code:
        found = _employers.filter(credit_code=credit_code).first()
        if found is not None:
            return found
    if name:
        candidates = list(_employers.filter(name=name)[:2])
        if len(candidates) == 1:
            return candidates[0]
    return None
