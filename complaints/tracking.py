"""Tracking numbers (查询码): how they are drawn, stored and shown — one format for everyone.

Stored as 10 characters without separators; shown as two groups of five with a dash
(SJ6CZ-4STZC) to workers and officials alike, on pages, in exports, API output and
callbacks; accepted as people type them (with or without the dash, lower case, spaces,
full-width characters) in the tracking form, URLs, search boxes and the API."""

from __future__ import annotations

import secrets
import unicodedata

# 10 characters from the 31 that cannot be confused when read over the phone (no 0/O,
# 1/I/L): ~49.5 bits, so guessing one is hopeless and numbers show no order.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10


def new_tracking_no() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalize_tracking_no(value: str | None) -> str:
    """What people type or paste (SJ6CZ-4STZC, sj6cz 4stzc, ＳＪ６ＣＺ…) → the stored form."""
    value = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in value.upper() if ch.isascii() and ch.isalnum())


def format_tracking_no(value: str | None) -> str:
    """The one display form: two groups of five joined by a dash."""
    value = normalize_tracking_no(value)
    if len(value) != TRACKING_LENGTH:
        return value
    return f"{value[:5]}-{value[5:]}"
