"""Encryption at rest of personal identifiers (PIPL; 等保 数据保密性) and their blind indexes.

Stored format of an encrypted value, version 1 (AES-256-GCM)::

    enc1$<key id>$<base64 of nonce (12 bytes) || ciphertext || tag (16 bytes)>

The header ``enc1$<key id>`` is the associated data, so a value cannot be passed off under
another key id or format version. The key id says which key of the ring decrypts it, which is
what lets keys rotate: new values use the current (first) key, old ones still decrypt with
theirs until ``manage.py rotate_field_keys`` has rewritten them.

Why AES-256-GCM and not SM4: SM4 is present in ``cryptography`` only when its OpenSSL build has
it (distribution and FIPS builds often do not), and GCM is an AEAD where SM4 would need a MAC
of our own. The version prefix leaves room for an ``enc2`` (SM4-GCM) if an assessment asks for
national algorithms; both would decrypt side by side during the rotation.

A blind index is HMAC-SHA-256 under a separate key (``FIELD_BLIND_INDEX_KEY``) over the
normalised value, truncated to 128 bits: enough that distinct values never collide in
practice, and without the key nobody can test guesses against it (there are only ~10^10
mobile numbers, so an unkeyed hash would be reversed by enumeration in minutes).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = [
    "PREFIX",
    "DecryptionError",
    "KeyRing",
    "blind_index",
    "decrypt",
    "encrypt",
    "is_encrypted",
    "key_id_of",
    "key_ring",
    "parse_blind_index_key",
    "parse_key_ring",
]

PREFIX: Final = "enc1"
_SEP: Final = "$"
_NONCE_BYTES: Final = 12  # the GCM standard nonce; random, see the note in docs/security.md
_KEY_BYTES: Final = 32  # AES-256
_INDEX_BYTES: Final = 16  # blind index length before hex encoding (32 characters stored)
_KEY_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,16}")


class DecryptionError(Exception):
    """A stored value that cannot be decrypted: unknown key id, wrong key, altered or not an
    encrypted value at all. Never swallowed: a wrong key must not look like empty data."""


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: dict[str, bytes]


def _b64key(text: str, what: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{what}: not valid base64") from None
    if len(key) != _KEY_BYTES:
        raise ImproperlyConfigured(f"{what}: must be {_KEY_BYTES} bytes, got {len(key)}")
    return key


def parse_key_ring(text: str) -> KeyRing:
    """``id:base64key`` entries separated by commas or newlines; the first is current."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for entry in re.split(r"[,\n]", text):
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID_RE.fullmatch(key_id):
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS: each entry is id:base64key, the id 1-16 of A-Z a-z 0-9 _ -"
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS: key id {key_id!r} given twice")
        keys[key_id] = _b64key(encoded, f"FIELD_ENCRYPTION_KEYS key {key_id!r}")
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS: no key given")
    return KeyRing(current=order[0], keys=keys)


def parse_blind_index_key(text: str) -> bytes:
    return _b64key(text, "FIELD_BLIND_INDEX_KEY")


def key_ring_text(keys: str, key_file: str) -> str:
    """The ring's text from the variable or, when it is empty, from the key file."""
    if keys.strip():
        return keys
    if key_file:
        try:
            return Path(key_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY_FILE: {exc}") from None
    return ""


@functools.cache
def key_ring() -> KeyRing:
    text = key_ring_text(
        getattr(settings, "FIELD_ENCRYPTION_KEYS", ""),
        getattr(settings, "FIELD_ENCRYPTION_KEY_FILE", ""),
    )
    return parse_key_ring(text)


@functools.cache
def _index_key() -> bytes:
    text = getattr(settings, "FIELD_BLIND_INDEX_KEY", "")
    if not text:
        raise ImproperlyConfigured("FIELD_BLIND_INDEX_KEY is not set")
    return parse_blind_index_key(text)


@functools.cache
def _cipher(key_id: str) -> AESGCM:
    return AESGCM(key_ring().keys[key_id])


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    # Tests swap keys with override_settings; the cached ring must follow.
    if setting.startswith("FIELD_"):
        key_ring.cache_clear()
        _index_key.cache_clear()
        _cipher.cache_clear()


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX + _SEP)


def key_id_of(stored: str) -> str:
    parts = stored.split(_SEP)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not an encrypted value")
    return parts[1]


def encrypt(plaintext: str) -> str:
    ring = key_ring()
    header = f"{PREFIX}{_SEP}{ring.current}"
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(ring.current).encrypt(nonce, plaintext.encode(), header.encode())
    return f"{header}{_SEP}{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt(stored: str) -> str:
    key_id = key_id_of(stored)
    if key_id not in key_ring().keys:
        raise DecryptionError(f"no key {key_id!r} in FIELD_ENCRYPTION_KEYS")
    try:
        blob = base64.b64decode(stored.rsplit(_SEP, 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("encrypted value is not valid base64") from None
    header = f"{PREFIX}{_SEP}{key_id}".encode()
    try:
        plain = _cipher(key_id).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], header)
    except InvalidTag:
        raise DecryptionError(f"key {key_id!r} does not decrypt this value") from None
    return plain.decode()


def blind_index(kind: str, value: str) -> str:
    """The keyed index of an already normalised value; ``kind`` separates the domains, so a
    phone number and an ID number never share an index value."""
    message = kind.encode() + b"\x00" + value.encode()
    return hmac.new(_index_key(), message, hashlib.sha256).digest()[:_INDEX_BYTES].hex()
