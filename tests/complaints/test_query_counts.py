"""Lists cost a constant number of queries, however many rows they show."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from complaints.intake import referrals as services
from tests.complaints.conftest import City, complaint_data


def _count(fetch: Any) -> int:
    fetch()  # warm per-process caches (content types, configuration, calendar)
    with CaptureQueriesContext(connection) as ctx:
        response = fetch()
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_lists_do_not_query_per_row(city: City) -> None:
    api = APIClient()
    api.force_authenticate(city.office)
    web = Client()
    web.force_login(city.office)
    referrals = APIClient()
    referrals.credentials(HTTP_AUTHORIZATION=f"Api-Key {city.key}")
    pages = [
        lambda: api.get("/api/v1/complaints/"),
        lambda: web.get("/intake/inbox/"),
        lambda: web.get("/intake/dispatch/"),
        lambda: web.get("/intake/deliveries/"),
        lambda: referrals.get("/api/v1/referrals/"),
    ]

    def add(n: int, offset: int) -> None:
        for i in range(n):
            services.referral_submit(
                client=city.client,
                external_id=f"Q-{offset + i}",
                data=complaint_data(
                    complainant_phone=f"1380000{offset + i:04d}",
                    employer_name=f"单位{offset + i}",
                    employer_credit_code="",
                    county_code="369902" if i % 2 else "",
                ),
            )

    add(2, 0)
    few = [_count(page) for page in pages]
    add(10, 100)
    many = [_count(page) for page in pages]
    assert few == many
