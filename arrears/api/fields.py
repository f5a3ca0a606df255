"""JSON types as the schema states them. DRF's CharField takes a number for a string (3 →
"3") and DecimalField a JSON number for a decimal string; the schema says "string" for both,
and a float would lose fen. The API refuses them instead, so a client's wrong type is a 400 and
not a silently converted value. Installed once, when the API's URLconf (config/api_router.py)
is loaded: fields outside the API are not DRF's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

_NOT_A_STRING = _("应为字符串")

_char_to_internal = serializers.CharField.to_internal_value
_decimal_to_internal = serializers.DecimalField.to_internal_value


def _strict_char(self: serializers.CharField, data: Any) -> Any:
    if not isinstance(data, str):
        raise serializers.ValidationError(_NOT_A_STRING, code="invalid")
    return _char_to_internal(self, data)


def _strict_decimal(self: serializers.DecimalField, data: Any) -> Any:
    if not isinstance(data, str):
        raise serializers.ValidationError(_NOT_A_STRING, code="invalid")
    return _decimal_to_internal(self, data)


def install() -> None:
    serializers.CharField.to_internal_value = _strict_char  # type: ignore[method-assign,assignment]
    serializers.DecimalField.to_internal_value = _strict_decimal  # type: ignore[method-assign,assignment]


class NonBlankStringExtension(OpenApiSerializerFieldExtension):
    """A required text the field trims refuses one made only of what Python's str.strip()
    removes, which includes characters (U+001C–U+001F, U+0085) a JSON Schema "\\s" does not
    match; the request schema says a non-blank text needs one other character."""

    target_class = "rest_framework.serializers.CharField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        plain = not ({"pattern", "format", "enum"} & schema.keys())
        if direction == "request" and plain and not field.allow_blank and field.trim_whitespace:
            schema["pattern"] = r"[^\s\x1c-\x1f\x85]"
        return schema


class DecimalStringExtension(OpenApiSerializerFieldExtension):
    """The decimal string pattern drf-spectacular writes admits "" and "-", which the field
    refuses, and a minus sign where min_value forbids one; this one says what is accepted."""

    target_class = "rest_framework.serializers.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        if schema.get("type") != "string" or field.max_whole_digits is None:
            return schema
        sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
        whole, places = field.max_whole_digits, field.decimal_places
        # A max_value of all nines (999999999.99) allows fewer whole digits than max_digits.
        if field.max_value is not None and field.max_value > 0:
            digits = len(str(int(field.max_value)))
            if Decimal(10) ** digits - Decimal(10) ** -places == field.max_value:
                whole = min(whole, digits)
        if field.min_value is not None and 0 < field.min_value <= Decimal(10) ** -places:
            number = _positive_decimal(whole, places)
        elif places:
            number = rf"(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})"
        else:
            number = rf"\d{{1,{max(whole, 1)}}}"
        schema["pattern"] = rf"^{sign}{number}$"
        return schema


def _positive_decimal(whole: int, places: int) -> str:
    """A decimal with a non-zero digit, without a lookahead (the fuzzers' regex generators do not
    all honour one). Leading zeros are free: the field counts digits of the parsed value, so
    "007.5" has one whole digit. The field's min_value (e.g. 0.01) then holds for any match
    whose smallest step is 10 ** -places (the caller checks min_value is no larger)."""
    whole = max(whole, 1)
    integral = rf"0*[1-9]\d{{0,{whole - 1}}}"
    if not places:
        return integral
    fractions = "|".join(
        "0" * i + "[1-9]" + (rf"\d{{0,{places - 1 - i}}}" if i < places - 1 else "")
        for i in range(places)
    )
    return rf"(?:{integral}(?:\.\d{{0,{places}}})?|0*\.(?:{fractions}))"
