"""The admin pages of the intake load, keep identifiers masked, and issue keys once."""

from __future__ import annotations

from django.test import Client

from complaints.intake import services
from complaints.models import ApiKey
from tests.complaints.conftest import City, complaint_data


def test_admin_lists_mask_phones_and_issue_keys(city: City) -> None:
    services.complaint_create(data=complaint_data(), channel="web_form")
    city.office.is_superuser = True
    city.office.save()
    admin = Client()
    admin.force_login(city.office)
    page = admin.get("/admin/complaints/complaint/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    for url in (
        "/admin/complaints/integrationclient/",
        "/admin/complaints/apikey/",
        "/admin/complaints/routingkeyword/",
        "/admin/complaints/reveallog/",
        "/admin/complaints/callbackdelivery/",
        "/admin/projects/project/",
    ):
        assert admin.get(url).status_code == 200, url
    before = ApiKey.objects.count()
    response = admin.post(
        "/admin/complaints/integrationclient/",
        {"action": "issue_key", "_selected_action": [city.client.pk]},
        follow=True,
    )
    assert ApiKey.objects.count() == before + 1
    assert "ak_" in response.content.decode()
