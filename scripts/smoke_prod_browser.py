"""The browser half of scripts/smoke-prod.sh: a real Chromium against the production-settings
server (gunicorn, whitenoise, PostgreSQL, Redis). Logs in as the city office (password, then
the authenticator code of the demo secret: production settings exempt nobody), opens the city
dashboard and fails on any 4xx/5xx response, failed or off-site request, JavaScript error, or an
ECharts chart that was not drawn.

    python scripts/smoke_prod_browser.py --base-url http://127.0.0.1:8000 [--artifacts DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from django_otp.oath import totp
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
USERNAME = "cityoffice"
PASSWORD = "arrears-demo-2026"  # noqa: S105 - the demo city's published password
# The demo city's published authenticator secret (arrears.demo.DEMO_TOTP_KEY, kept equal by
# tests/arrears/test_two_factor.py): production settings ask cityoffice for a code like anyone.
DEMO_TOTP_KEY = "617272656172732064656d6f20746f7470203236"

# Every chart container on the dashboard, and what a drawn one holds: ECharts draws into a
# <canvas> (or an <svg> with the SVG renderer) inside it, which has a size once laid out.
CHARTS_DRAWN_JS = """
() => Array.from(document.querySelectorAll('.report-chart, .report-chart-small')).map(el => {
  const surfaces = Array.from(el.querySelectorAll('canvas, svg')).map(s => {
    const r = s.getBoundingClientRect();
    return {w: r.width, h: r.height};
  });
  return {
    id: el.id,
    rendered: el.getAttribute('data-rendered') === '1',
    drawn: surfaces.some(s => s.w > 0 && s.h > 0),
  };
})
"""


def demo_code() -> str:
    """The authenticator code of this moment for the demo secret (django-otp's own TOTP)."""

    return f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--artifacts", type=Path, default=Path("test-artifacts"))
    args = parser.parse_args()
    base = args.base_url.rstrip("/")

    problems: list[str] = []
    seen: list[str] = []

    def on_response(response: Any) -> None:
        seen.append(f"{response.status} {response.request.method} {response.url}")
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def on_request(request: Any) -> None:
        # A government intranet has no CDN: everything comes from the application.
        if not request.url.startswith(base + "/") and not request.url.startswith("data:"):
            problems.append(f"off-site request: {request.url}")

    def on_failed(request: Any) -> None:
        problems.append(f"request failed ({request.failure}): {request.url}")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.on("response", on_response)
        page.on("request", on_request)
        page.on("requestfailed", on_failed)
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        try:
            page.goto(f"{base}/accounts/login/")
            page.wait_for_selector("#id_username")
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            if "/accounts/login/" in page.url:
                problems.append(f"login as {USERNAME} did not succeed (still on {page.url})")
            elif "/accounts/two-factor/verify/" in page.url:
                page.fill("#id_code", demo_code())
                with page.expect_navigation():
                    page.click("[data-testid=two-factor-verify] button[type=submit]")
                if "/accounts/two-factor/" in page.url:
                    problems.append(f"two-factor step as {USERNAME} did not pass ({page.url})")
            else:
                problems.append(f"{USERNAME} was not asked for a second factor ({page.url})")

            page.goto(f"{base}/reports/")
            page.wait_for_load_state("networkidle")
            title = page.inner_text("[data-testid=report-title]")
            if "全市" not in title:
                problems.append(f"/reports/ is not the city dashboard: {title!r}")
            try:
                page.wait_for_function(
                    "() => { const c = document.querySelectorAll("
                    "'.report-chart, .report-chart-small');"
                    " return c.length > 0 && Array.from(c).every("
                    "el => el.getAttribute('data-rendered') === '1'); }",
                    timeout=20_000,
                )
            except PlaywrightTimeout:  # reported below with each chart's state
                problems.append("charts did not all report data-rendered within 20 s")
            charts = page.evaluate(CHARTS_DRAWN_JS)
            if not charts:
                problems.append("no chart containers on /reports/")
            for chart in charts:
                if not chart["drawn"]:
                    problems.append(f"chart #{chart['id']} has no drawn canvas/svg")
            print(f"charts drawn: {', '.join(c['id'] for c in charts if c['drawn'])}")
        finally:
            args.artifacts.mkdir(parents=True, exist_ok=True)
            shot = args.artifacts / "smoke-prod-dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            browser.close()

    print(f"{len(seen)} responses, screenshot in {shot}")
    if problems:
        print("smoke-prod browser check FAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print("responses:", *seen, sep="\n  ", file=sys.stderr)
        return 1
    print("browser: login and city dashboard clean (no 4xx/5xx, every chart drawn)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
