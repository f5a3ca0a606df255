"""Two-factor sign-in in a real Chromium, without the demo shortcut: the city office types the
authenticator code of the demo secret, as scripts/smoke_prod_browser.py does under production
settings."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp

from arrears.demo import DEMO_PASSWORD, DEMO_TOTP_KEY

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which("chromium")),
        reason="no Chromium installed (apt-get install chromium fonts-noto-cjk)",
    ),
]


def test_city_office_types_the_code_after_the_password(
    browser: Any, live_server: Any, demo_city: None, settings: Any
) -> None:
    settings.ARREARS_DEMO = False
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/inbox/")
    page.fill("#id_username", "cityoffice")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    # the password alone leads to the verify step, keeping where the user was going
    page.wait_for_selector("[data-testid=two-factor-verify-title]")
    assert "/accounts/two-factor/verify/" in page.url
    page.goto(f"{live_server.url}/reports/")
    page.wait_for_selector("[data-testid=two-factor-verify-title]")
    page.screenshot(path=str(ARTIFACTS / "two-factor-verify.png"), full_page=True)
    page.fill("#id_code", "000000")
    page.click("[data-testid=two-factor-verify] button[type=submit]")
    page.wait_for_selector(".invalid-feedback, .alert-danger")
    # django-otp makes the next try wait a second after a failure
    page.wait_for_timeout(1100)
    page.fill("#id_code", f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}")
    page.click("[data-testid=two-factor-verify] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reports/**")
    page.goto(f"{live_server.url}/accounts/two-factor/")
    assert "身份验证器应用" in page.inner_text("[data-testid=two-factor-devices]")
    assert not errors
