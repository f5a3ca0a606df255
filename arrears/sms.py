"""Pluggable SMS sending. The default backend only logs: a real gateway is a deployment
choice (settings.SMS_BACKEND names a class with a `send(phone, text)` method)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from arrears.identifiers import mask_phone

logger = logging.getLogger("arrears.sms")


class BaseSmsBackend:
    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class LoggingSmsBackend(BaseSmsBackend):
    sent: list[tuple[str, str]] = []  # kept for inspection in tests and in the dev console

    def send(self, phone: str, text: str) -> None:
        # The log holds the masked number only: logs are not a place for personal data.
        logger.info("SMS to %s: %s", mask_phone(phone), text)
        self.sent.append((phone, text))


def get_sms_backend() -> BaseSmsBackend:
    backend: BaseSmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
