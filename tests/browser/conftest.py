"""Shared browser fixtures: Debian's Chromium driven by Playwright, and the demo city."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM
    # calls from the test body; the live server answers from its own thread, so it is safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def demo_city(transactional_db: None, settings: Any) -> None:

    # As in `make run`: demo users enrolled with the published secret are verified at login,
    # so the screens' tests sign in with the password alone. The live server runs in this
    # process and reads the same settings. tests/browser/test_two_factor.py turns it off.
    settings.ARREARS_DEMO = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
