"""The user menu leads each administrator to their own pages, and nobody else to them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from arrears.audit import security_event
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


@pytest.mark.django_db
def test_the_audit_administrator_reads_security_events_in_the_admin_and_changes_nothing() -> None:
    auditor = UserFactory.create(role=Role.AUDIT_ADMIN, is_staff=True)
    security_event(kind="login", actor=auditor, address="127.0.0.1")
    web = Client()
    web.force_login(auditor)
    listing = web.get("/admin/arrears/securityevent/")
    assert listing.status_code == 200 and "127.0.0.1" in listing.content.decode()
    assert web.get("/admin/arrears/securityevent/add/").status_code == 403
    office = Client()
    office.force_login(UserFactory.create(city_office=True))
    assert office.get("/admin/arrears/securityevent/").status_code in (302, 403, 404)
