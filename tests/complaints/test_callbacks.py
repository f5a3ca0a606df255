"""Status callbacks: written with the status change, signed, retried with backoff, never sent
again once acknowledged, resent from the delivery log; nothing lost while the receiver is
down. A real HTTP receiver on 127.0.0.1 answers them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from arrears.services import config_set
from complaints.intake import referrals
from complaints.intake import services as intake_services
from complaints.integration import callbacks
from complaints.integration.callbacks import LEASE, _claim_one, sign
from complaints.models import CallbackDelivery, Complaint, DeliveryState
from complaints.tracking import format_tracking_no
from tests.complaints.conftest import City, complaint_data

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


class Receiver:
    def __init__(self) -> None:
        self.status = 200
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def hooked(city: City, receiver: Receiver) -> City:
    client = city.client
    client.callback_url, client.callback_secret = receiver.url, "shared-secret"
    client.save()
    return city


def _referral(city: City, ref: str = "CB-1") -> Complaint:
    complaint, _ = referrals.referral_submit(
        client=city.client,
        external_id=ref,
        data=complaint_data(county_code="369902", industry_code="housing"),
    )
    return complaint


def test_status_change_writes_a_delivery_in_the_same_transaction(hooked: City) -> None:
    complaint = _referral(hooked)
    assert CallbackDelivery.objects.filter(complaint=complaint).count() == 2  # received, routed
    intake_services.complaint_sign(complaint=complaint, user=hooked.housing_a)
    assert CallbackDelivery.objects.filter(complaint=complaint).count() == 3
    # a refused transition writes nothing
    with pytest.raises(Exception):  # noqa: B017 - ValidationError, whatever its text
        intake_services.complaint_sign(complaint=complaint, user=hooked.housing_a)
    assert CallbackDelivery.objects.filter(complaint=complaint).count() == 3


def test_delivery_is_signed_and_sent_once(hooked: City, receiver: Receiver) -> None:
    complaint = _referral(hooked)
    assert callbacks.callback_deliver_due() == 2
    assert callbacks.callback_deliver_due() == 0  # delivered rows are never sent again
    assert len(receiver.received) == 2
    first = receiver.received[0]
    headers, body = first["headers"], first["body"]
    expected = (
        "sha256="
        + hmac.new(
            b"shared-secret", headers["X-Arrears-Timestamp"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
    )
    assert headers["X-Arrears-Signature"] == expected
    payload = json.loads(body)
    assert payload["external_id"] == "CB-1"
    assert payload["tracking_no"] == format_tracking_no(complaint.tracking_no)  # one format
    assert payload["event_id"] == headers["X-Arrears-Event-Id"]
    assert {d.state for d in CallbackDelivery.objects.all()} == {DeliveryState.DELIVERED}


def test_receiver_down_means_retry_with_backoff_then_give_up(
    hooked: City,
    receiver: Receiver,
) -> None:
    config_set(key="complaints.callback_max_attempts", value=3)
    receiver.status = 503
    _referral(hooked)
    CallbackDelivery.objects.exclude(payload__event__kind="received").delete()
    now = timezone.now()
    assert callbacks.callback_deliver_due(now=now) == 0
    delivery = CallbackDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 503)
    first_wait = delivery.next_attempt_at - now
    assert dt.timedelta(seconds=25) < first_wait < dt.timedelta(seconds=60)
    # not due yet: nothing sent
    assert callbacks.callback_deliver_due(now=now) == 0
    assert len(receiver.received) == 1
    callbacks.callback_deliver_due(now=delivery.next_attempt_at + dt.timedelta(seconds=1))
    delivery.refresh_from_db()
    second_wait = delivery.next_attempt_at - timezone.now()
    assert second_wait > first_wait  # exponential
    callbacks.callback_deliver_due(now=delivery.next_attempt_at + dt.timedelta(seconds=1))
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 3)
    # the receiver comes back; an officer resends from the delivery log
    receiver.status = 200
    office = Client()
    office.force_login(hooked.office)
    log = office.get("/intake/deliveries/")
    assert f"delivery-{delivery.pk}" in log.content.decode()
    assert office.post(f"/intake/deliveries/{delivery.pk}/resend/").status_code == 302
    assert callbacks.callback_deliver_due() == 1
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    # and a delivered callback is not resent
    office.post(f"/intake/deliveries/{delivery.pk}/resend/")
    assert callbacks.callback_deliver_due() == 0


def test_unreachable_receiver_loses_nothing(hooked: City) -> None:
    client = hooked.client
    client.callback_url = "http://127.0.0.1:9/closed"
    client.save()
    _referral(hooked)
    assert callbacks.callback_deliver_due() == 0
    assert CallbackDelivery.objects.filter(state="pending").count() == 2
    assert all(d.last_error for d in CallbackDelivery.objects.all())


def test_signature_helper_matches_the_documented_scheme() -> None:
    assert (
        sign("k", "1700000000", b"{}")
        == "sha256=" + hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    )


def test_no_callback_url_no_outbox(city: City) -> None:
    _referral(city)
    assert CallbackDelivery.objects.count() == 0


def test_commit_kicks_the_delivery_task(
    hooked: City, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _referral(hooked)
    assert len(receiver.received) == 2  # sent by the task the commit enqueued
    # …and beat drains whatever a broken broker left behind, every minute
    schedule = settings.CELERY_BEAT_SCHEDULE["complaints-deliver-callbacks"]
    assert (schedule["task"], schedule["schedule"]) == ("complaints.tasks.deliver_callbacks", 60)


def test_a_slow_send_past_its_lease_cannot_send_twice_or_undo_a_delivery(
    hooked: City,
    receiver: Receiver,
) -> None:
    _referral(hooked)
    CallbackDelivery.objects.exclude(payload__event__kind="received").delete()
    now = timezone.now()
    # worker A takes the row; its POST hangs
    claimed = _claim_one(now)
    assert claimed is not None
    delivery_id, token_a = claimed
    # within the lease nobody else takes it
    assert _claim_one(now) is None
    # after the lease worker B takes it and delivers
    assert callbacks.callback_deliver_due(now=timezone.now() + LEASE) == 1
    # worker A's late failure finds the row no longer its own: nothing changes
    late = CallbackDelivery.objects.filter(
        pk=delivery_id, claim_token=token_a, state="pending"
    ).update(state="pending")
    assert late == 0
    assert CallbackDelivery.objects.get(pk=delivery_id).state == "delivered"
    assert callbacks.callback_deliver_due(now=timezone.now() + 2 * LEASE) == 0
    assert len(receiver.received) == 1
