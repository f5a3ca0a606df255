"""The enrolment QR code, drawn here as inline SVG (no image service: the intranet has none,
and the secret must not leave the server)."""

from __future__ import annotations

import base64
from binascii import unhexlify

import segno
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice


def qr_svg(device: TOTPDevice, *, title: str) -> SafeString:
    # Error level M and a 4-module quiet zone scan well from a screen; dark on white whatever
    # the page's colours. segno escapes the title and writes no style attribute or script, so
    # the markup passes a Content-Security-Policy without 'unsafe-inline'.
    code = segno.make(device.config_url, error="m")
    svg = code.svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title=title, svgclass="two-factor-qr"
    )
    return mark_safe(svg)  # noqa: S308 - segno's own SVG output, the only text in it escaped


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for an app that cannot scan."""
    text = base64.b32encode(unhexlify(device.key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
