"""Each role's daily path in a real Chromium at the four screen sizes people use (a 1366×768
office screen, 1920×1080, a tablet at 1024×768, a phone at 390×844): no page is wider than the
window, no raw code shows in the visible text, and a screenshot of every page goes to
test-artifacts/roles/ for people to look at.

One browser for the whole module and one page per role and size: a viewport is resized in
place and the login cookie kept, so the suite stays within a few minutes on two cores."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from arrears.demo import DEMO_PASSWORD
from arrears.models import County, User
from complaints.cases.selectors import case_list
from complaints.models import Complaint
from projects.selectors import project_list

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "roles"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which("chromium")),
        reason="no Chromium installed (apt-get install chromium fonts-noto-cjk)",
    ),
]

SIZES = {
    "1366": (1366, 768),
    "1920": (1920, 1080),
    "tablet": (1024, 768),
    "phone": (390, 844),
}

# Codes that must never reach a person's eyes, in either language: field and choice names,
# routing reasons, a Python None, "?" where a value was missing.
RAW_CODES = [
    re.compile(r"\b(employer_name|complainant_phone|complainant_name|project_address)\b"),
    re.compile(
        r"\b(paid_in_full|partly_paid|pending_signature|pending_dispatch|in_construction)\b"
    ),
    re.compile(r"\bdeposit:"),
    re.compile(r"\bhrss\b", re.IGNORECASE),
    re.compile(r"(^|\s)\?(\s*[—–-]\s*\?)?(\s|$)"),
]
# Plain English words that are raw codes only on a Chinese page.
# (In English "None yet" is a sentence; in Chinese "None" is Python's.)
RAW_CODES_ZH = [re.compile(r"\b(address|custom|county|department|None)\b")]


def _visible_problems(page: Any, language: str) -> list[str]:
    text = page.evaluate("document.body.innerText")
    patterns = RAW_CODES + (RAW_CODES_ZH if language == "zh" else [])
    found = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            start = max(0, match.start() - 40)
            found.append(f"{match.group(0)!r} in …{text[start : match.end() + 40]!r}…")
    return found


def _overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


# The elements that stick out past the window's right edge (not those inside a scrolling box),
# named so that a failure says what to fix.
_CULPRITS = """() => {
  const scrolls = (el) => ['auto', 'hidden', 'scroll'].includes(getComputedStyle(el).overflowX);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim()
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right <= window.innerWidth + 1 || r.width === 0) continue;
    let p = el.parentElement;
    while (p && !scrolls(p)) p = p.parentElement;
    if (!p) out.push(name(el) + ' ' + Math.round(r.right));
  }
  return out.slice(0, 6);
}"""


def _login(browser: Any, live_server: Any, username: str, language: str) -> Any:
    context = browser.new_context(
        viewport={"width": 1366, "height": 768},
        locale="zh-CN" if language == "zh" else "en-US",
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-testid=home-title]")
    if language == "en":
        page.select_option("select[name=language]", "en")
        page.wait_for_selector("html[lang=en]")
    return page


def _walk(
    browser: Any,
    live_server: Any,
    username: str,
    paths: list[tuple[str, str]],
    *,
    languages: dict[str, list[str]],
) -> None:
    """Every page of `paths` (name, URL) at every size of each language; all problems of the
    whole walk are reported together."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for language, sizes in languages.items():
        page = _login(browser, live_server, username, language)
        for size in sizes:
            width, height = SIZES[size]
            page.set_viewport_size({"width": width, "height": height})
            for name, path in paths:
                response = page.goto(f"{live_server.url}{path}")
                assert response is not None and response.status == 200, (path, response)
                where = f"{username} {language} {size} {name} ({path})"
                if (extra := _overflow(page)) > 0:
                    culprits = ", ".join(page.evaluate(_CULPRITS))
                    problems.append(f"{where}: {extra}px wider than the window ({culprits})")
                problems.extend(f"{where}: {p}" for p in _visible_problems(page, language))
                page.screenshot(
                    path=str(ARTIFACTS / f"{username}-{language}-{size}-{name}.png"),
                    full_page=True,
                )
        page.context.close()
    assert not problems, "\n".join(problems)


ALL_SIZES = list(SIZES)
# Chinese at every size; English on the office screen and the phone (its words are longer).
BOTH = {"zh": ALL_SIZES, "en": ["1366", "phone"]}


def _first(model: Any, **lookup: Any) -> Any:
    found = model.objects.filter(**lookup).order_by("pk").first()
    assert found is not None, (model, lookup)
    return found


def _case_of(user: Any) -> Any:
    found = case_list(user=user).order_by("pk").first()
    assert found is not None, user
    return found


def _user(username: str) -> Any:
    return User.objects.get(username=username)


Paths = Callable[[], list[tuple[str, str]]]


def test_city_office_daily_path(browser: Any, live_server: Any, demo_city: None) -> None:
    """Home, the complaints to dispatch, the dashboard, a complaint, the calendar."""

    complaint = _first(Complaint)
    paths = [
        ("home", "/"),
        ("dispatch", "/intake/dispatch/"),
        ("reports", "/reports/"),
        ("complaint", f"/complaints/{complaint.tracking_no}/"),
        ("calendar", "/calendar/2026/"),
    ]
    _walk(browser, live_server, "cityoffice", paths, languages=BOTH)


def test_city_leader_daily_path(browser: Any, live_server: Any, demo_city: None) -> None:
    """Home, the city dashboard, a county's page, the print view."""

    county = _first(County)
    paths = [
        ("home", "/"),
        ("reports", "/reports/"),
        ("county", f"/reports/counties/{county.code}/"),
        ("print", "/reports/print/"),
    ]
    _walk(browser, live_server, "leader", paths, languages=BOTH)


def test_county_official_daily_path(browser: Any, live_server: Any, demo_city: None) -> None:
    """Home, the county's cases, one case, the warnings to dispose."""
    case = _case_of(_user("county"))
    paths = [
        ("home", "/"),
        ("cases", "/cases/?view=all"),
        ("case", f"/cases/{case.pk}/"),
        ("warnings", "/warnings/"),
    ]
    _walk(browser, live_server, "county", paths, languages=BOTH)


def test_department_official_daily_path(browser: Any, live_server: Any, demo_city: None) -> None:
    """Home, the complaints to sign for, the department's projects, one project."""

    project = project_list(user=_user("dept")).order_by("pk").first()
    assert project is not None
    paths = [
        ("home", "/"),
        ("inbox", "/intake/inbox/"),
        ("projects", "/projects/"),
        ("project", f"/projects/{project.pk}/"),
    ]
    _walk(browser, live_server, "dept", paths, languages={"zh": ALL_SIZES})


def test_inspector_daily_path(browser: Any, live_server: Any, demo_city: None) -> None:
    """Home, my worklist, a case, the inspection form (laid out 1,575 px wide on a tablet)."""

    inspector = _user("inspector")
    case = _case_of(inspector)
    project = project_list(user=inspector).order_by("pk").first()
    assert project is not None
    paths = [
        ("home", "/"),
        ("worklist", "/cases/"),
        ("case", f"/cases/{case.pk}/"),
        ("inspection", f"/projects/{project.pk}/inspections/new/"),
    ]
    _walk(browser, live_server, "inspector", paths, languages=BOTH)


def test_duty_officer_daily_path(browser: Any, live_server: Any, demo_city: None) -> None:
    """Home and the entry form for a call or a visit."""
    paths = [("home", "/"), ("register", "/intake/new/")]
    _walk(browser, live_server, "duty", paths, languages=BOTH)
