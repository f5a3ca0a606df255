"""The browser policies: a Content-Security-Policy with scripts and styles from this site only,
a Permissions-Policy, and templates that need nothing inline (no <script> body, no on*
handler, no style attribute) — checked on every template, on served pages and in Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import UserFactory

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)


def _policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_needs_an_inline_script_handler_or_style(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # JSON data blocks (json_script) are not run and are allowed.
    scripts = [m for m in INLINE_SCRIPT.findall(text) if "application/json" not in m]
    assert scripts == [], f"{path}: inline <script>"
    assert not HANDLER.search(text), f"{path}: an on* event handler"
    assert not STYLE_ATTRIBUTE.search(text), f"{path}: a style attribute"
    assert not STYLE_ELEMENT.search(text), f"{path}: a <style> element"


def test_pages_carry_the_policies(db: Any) -> None:
    response = Client().get("/accounts/login/")
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    # the API answers carry them too
    api = Client().get("/api/v1/does-not-exist/")
    assert "Content-Security-Policy" in api and "Permissions-Policy" in api


@pytest.mark.parametrize("path", ["/", "/reports/", "/jobs/", "/inbox/", "/cases/"])
def test_served_pages_have_no_inline_script(db: Any, path: str) -> None:
    web = Client()
    web.force_login(UserFactory.create(city_office=True))
    html = web.get(path, follow=True).content.decode()
    scripts = [m for m in INLINE_SCRIPT.findall(html) if "application/json" not in m]
    assert scripts == [] and not HANDLER.search(html)


def test_the_api_documentation_runs_without_inline_script(db: Any) -> None:
    web = Client()
    web.force_login(UserFactory.create(city_office=True))
    response = web.get("/api/docs/")
    assert response.status_code == 200
    assert INLINE_SCRIPT.findall(response.content.decode()) == []
    assert _policy(response)["script-src"] == ["'self'"]
