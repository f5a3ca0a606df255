"""The schema check the test client applies (tests/openapi.py) fails where it should, and says
where: the operation, the status and the part of the body."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from arrears.api.fields import DecimalStringExtension
from tests import openapi


def _response(method: str, path: str, status: int, body: Any, content_type: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body) if content_type == "application/json" else body,
        status=status,
        content_type=content_type,
    )
    response.wsgi_request = RequestFactory().generic(method, path)  # type: ignore[attr-defined]
    return response


def _check(method: str, path: str, status: int, body: Any, ct: str = "application/json") -> None:
    openapi.check_response(_response(method, path, status, body, ct), path)


ME = {"id": 1, "username": "u1", "display_name": "用户", "role": "inspector"}


def test_a_documented_body_passes() -> None:
    _check("GET", "/api/v1/me/", 403, {"detail": "身份认证信息未提供。"})


def test_an_undocumented_operation_fails() -> None:
    with pytest.raises(openapi.SchemaMismatch, match=r"PUT /api/v1/me/ → 200: no such operation"):
        _check("PUT", "/api/v1/me/", 200, ME)


def test_a_body_off_the_schema_fails_naming_the_field() -> None:
    with pytest.raises(openapi.SchemaMismatch) as info:
        _check("GET", "/api/v1/counties/", 200, {"results": {"code": "369902"}})
    message = str(info.value)
    assert message.startswith("GET /api/v1/counties/ → 200: the body does not match")
    assert "at results: {'code': '369902'} is not of type 'array'" in message


def test_an_undocumented_content_type_fails() -> None:
    with pytest.raises(openapi.SchemaMismatch, match="content type 'text/html' is not documented"):
        _check("GET", "/api/v1/me/", 200, "<html></html>", "text/html")


def test_a_literal_segment_wins_over_a_parameter_and_slashes_reach_a_slash_parameter() -> None:
    assert openapi.find_operation("POST", "/api/v1/referrals/batch/").template == (  # type: ignore[union-attr]
        "/api/v1/referrals/batch/"
    )
    slashed = openapi.find_operation("GET", "/api/v1/referrals/GD/1/2/")
    assert slashed is not None and slashed.template == "/api/v1/referrals/{external_id}/"
    assert openapi.find_operation("GET", "/api/v1/cases/1/2/close/") is None


def test_nullable_is_spelled_as_json_schema_and_objects_are_closed() -> None:
    assert openapi._as_json_schema({"type": "string", "nullable": True}) == {
        "type": ["string", "null"]
    }
    assert openapi._as_json_schema({"allOf": [{"$ref": "#/x"}], "nullable": True}) == {
        "anyOf": [{"allOf": [{"$ref": "#/x"}]}, {"type": "null"}]
    }
    assert openapi._as_json_schema({"type": "string", "enum": ["a"], "nullable": True}) == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }


def test_a_field_the_schema_does_not_list_fails() -> None:
    path = "/api/v1/calendar/is-working-day/"
    _check("GET", path, 200, {"provisional": False})
    with pytest.raises(openapi.SchemaMismatch, match=r"\('secret' was unexpected\)"):
        _check("GET", path, 200, {"provisional": False, "secret": 1})


def test_no_response_is_excluded_and_objects_are_closed() -> None:
    """Nothing is exempt from the check (the one mismatch it found, the two-factor hold's
    `code`, is documented now), and a documented object admits no undocumented field."""
    hold = {"detail": "请先完成两步验证。", "code": "two_factor_required"}
    response = _response("GET", "/api/v1/complaints/", 403, hold, "application/json")
    openapi.check_response(response, "/api/v1/complaints/")
    assert openapi.EXCLUDED == {}
    assert openapi._as_json_schema(
        {"type": "object", "properties": {"type": {"type": "string"}}}
    ) == {
        "type": "object",
        "properties": {"type": {"type": "string"}},
        "additionalProperties": False,
    }


@pytest.mark.parametrize(
    ("min_value", "places", "accepted", "refused"),
    [
        (None, 2, ["-1.5", "0", "12.34", ".5"], ["", "-", "1.234"]),
        ("0", 2, ["0", "0.00", "12.34"], ["-1", "-0.01"]),
        ("0.01", 2, ["0.01", ".01", "007.5", "1.", "9999999999.99"], ["0", "0.00", ".0", "0."]),
        ("1", 0, ["1", "0042"], ["0", "000"]),
    ],
)
def test_a_decimal_pattern_admits_what_the_field_admits(
    min_value: str | None, places: int, accepted: list[str], refused: list[str]
) -> None:
    """The pattern the schema gives a decimal string is what a fuzzer generates from: every
    string it matches must pass the field (a positive amount's pattern needs a non-zero digit,
    or "0" is sent and refused), and what it refuses the field refuses too."""
    field = serializers.DecimalField(
        max_digits=10 + places,
        decimal_places=places,
        min_value=None if min_value is None else Decimal(min_value),
    )
    field.bind("amount", serializers.Serializer())
    pattern = DecimalStringExtension(field).map_serializer_field(AutoSchema(), "request")["pattern"]
    for text in accepted:
        assert re.search(pattern, text), (pattern, text)
        assert field.run_validation(text) is not None
    for text in refused:
        assert not re.search(pattern, text), (pattern, text)
        with pytest.raises(serializers.ValidationError):
            field.run_validation(text)
