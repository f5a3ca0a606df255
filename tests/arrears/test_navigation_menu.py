"""The user menu leads each administrator to their own pages, and nobody else to them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from arrears.models import Role
from tests.factories import UserFactory


def _menu(user: Any) -> str:
    web = Client()
    web.force_login(user)
    return web.get("/jobs/").content.decode()


@pytest.mark.django_db
def test_each_administrator_sees_their_own_pages() -> None:
    auditor = _menu(UserFactory.create(role=Role.AUDIT_ADMIN))
    security = _menu(UserFactory.create(role=Role.SECURITY_ADMIN))
    office = _menu(UserFactory.create(city_office=True))
    assert 'href="/audit/"' in auditor and "/security/lockouts/" not in auditor
    assert "/security/lockouts/" in security and 'href="/audit/"' not in security
    assert "/accounts/two-factor/users/" in security
    assert 'href="/audit/"' not in office and "/security/lockouts/" not in office
    for page in (auditor, security, office):
        assert 'data-testid="two-factor-link"' in page
