"""Production settings pass `check --deploy` and refuse to start without their secrets."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "FIELD_ENCRYPTION_KEYS",
            "FIELD_ENCRYPTION_KEY_FILE",
            "FIELD_BLIND_INDEX_KEY",
            "AUDIT_HMAC_KEY",
        }
    }
    # Production refuses to start without an audit key too; tests about other settings get one.
    base["AUDIT_HMAC_KEY"] = secrets.token_urlsafe(48)
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--settings",
            "config.settings.production",
        ],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _field_keys() -> dict[str, str]:
    return {
        "FIELD_ENCRYPTION_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "FIELD_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
    }


def test_production_settings_pass_check_deploy() -> None:
    result = _check(
        {"SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "arrears.gov", **_field_keys()}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_missing_or_public_field_keys() -> None:
    secret = {"SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "arrears.gov"}
    missing = _check(secret)
    assert missing.returncode != 0 and "FIELD_ENCRYPTION_KEYS" in missing.stderr
    no_index = _check({**secret, **_field_keys(), "FIELD_BLIND_INDEX_KEY": ""})
    assert no_index.returncode != 0 and "FIELD_BLIND_INDEX_KEY" in no_index.stderr
    dev = "dev:YXJyZWFycy1kZXZlbG9wbWVudC1maWVsZC1rZXktMDE="
    public = _check({**secret, **_field_keys(), "FIELD_ENCRYPTION_KEYS": dev})
    assert public.returncode != 0 and "development keys" in public.stderr
    short = _check({**secret, **_field_keys(), "FIELD_ENCRYPTION_KEYS": "k1:c2hvcnQ="})
    assert short.returncode != 0 and "32 bytes" in short.stderr


def test_production_refuses_a_missing_secret() -> None:
    result = _check({"ALLOWED_HOSTS": "arrears.gov"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_missing_audit_key() -> None:
    result = _check(
        {
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "arrears.gov",
            **_field_keys(),
            "AUDIT_HMAC_KEY": "",
        }
    )
    assert result.returncode != 0 and "AUDIT_HMAC_KEY" in result.stderr
