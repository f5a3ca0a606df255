"""Routing (属地 + 行业): which county and which department must handle a complaint. The rules
are data: county names and short names, RoutingKeyword rows, and the industries each
department supervises (Department.industries), all edited in the admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from arrears import config
from arrears.models import City, County, Department, Industry
from complaints.intake.lookups import Lookups

if TYPE_CHECKING:
    from projects.models import Employer, Project


@dataclass(frozen=True)
class Route:
    county: County | None
    department: Department | None
    rule: str  # which rule decided, for the timeline
    # The city whose office answers for it: the county's, else the one the text named or the
    # referring system belongs to; None leaves it in the province office's queue.
    city: City | None = None


def match_project(
    *, code: str = "", name: str = "", county: County | None = None, lookups: Lookups | None = None
) -> Project | None:
    """A registered project by its code, else by its exact name (within the county if known,
    and only when the name is unambiguous)."""
    lookups = lookups or Lookups()
    if code:
        return lookups.project_by_code(code)
    if name:
        found = [
            p for p in lookups.projects_named(name) if county is None or p.county_id == county.pk
        ]
        if len(found) == 1:
            return found[0]
    return None


def _names(place: City | County, text: str) -> bool:
    return place.name in text or bool(place.short_name and place.short_name in text)


def city_from_text(*texts: str, lookups: Lookups | None = None) -> City | None:
    """The one city an address names by name or short name (江城市, 江城); none if it names
    none or several."""
    cities = (lookups or Lookups()).cities()
    for text in texts:
        named = [c for c in cities if text and _names(c, text)]
        if len(named) == 1:
            return named[0]
    return None


def county_from_text(
    *texts: str, city: City | None = None, lookups: Lookups | None = None
) -> County | None:
    """The county an address names: a RoutingKeyword first (the longest match wins, so a
    town beats a district), then county names and short names — within `city` when it is
    known, else across the province, where a county name two cities share (城关区) counts
    only beside its city's name. Ambiguous text routes nowhere; the office dispatches it."""
    lookups = lookups or Lookups()
    keyword_rows, county_rows = lookups.keywords(city), lookups.counties(city)
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


def department_for(
    county: County, industry: Industry | None, lookups: Lookups | None = None
) -> Department | None:
    """The county department supervising the industry; otherwise the configured lead
    department (human resources & social security by default)."""
    lookups = lookups or Lookups()
    departments = lookups.departments(county)  # in kind order
    if industry is not None:
        for department in departments:
            if lookups.supervises(department, industry):
                return department
    kind = config.get("complaints.default_department_kind", city=county.city_id)
    return next((d for d in departments if d.kind == kind), None)


def route(
    *,
    county: County | None,
    project: Project | None,
    industry: Industry | None,
    addresses: dict[str, str],
    city: City | None = None,
    lookups: Lookups | None = None,
) -> Route:
    """`addresses` by whose they are, in the order to try them (project_address,
    employer_address, complainant_address): the key becomes the rule, so the timeline can say
    "按用人单位地址匹配到东湖区" (complaints.intake.explain words every rule). `city` is where
    the complaint is known to belong (a city's own referring system, its duty officer, a
    city code in the referral): the county is looked for there only. Without one (a
    province-wide system), the addresses name the city too, or the province office
    dispatches it."""
    lookups = lookups or Lookups()
    rule = "county"
    if (
        county is None
        and project is not None
        and (city is None or project.county.city_id == city.pk)
    ):
        county, rule = lookups.county_by_pk(project.county_id), "project"
    for source, text in addresses.items():
        if county is not None:
            break
        county, rule = county_from_text(text, city=city, lookups=lookups), source
    if county is None:
        if city is None:
            city = city_from_text(*addresses.values(), lookups=lookups)
        return Route(None, None, "dispatch", city)
    return Route(county, department_for(county, industry, lookups), rule, county.city)


def match_employer(
    *, credit_code: str, name: str, lookups: Lookups | None = None
) -> Employer | None:
    """The registered employer by credit code, else by a name only one employer has."""
    lookups = lookups or Lookups()
    if credit_code:
        found = lookups.employer_by_code(credit_code)
        if found is not None:
            return found
    if name:
        candidates = lookups.employers_named(name)
        if len(candidates) == 1:
            return candidates[0]
    return None
