"""One exception handler, so every endpoint reports a refusal the same way: 400 for a request
that does not match the schema (a serializer's errors, malformed JSON), 422 for a well-formed
request the rules refuse (a service's Django ValidationError, a reference to a record that does
not exist), 409 for an action the record's state does not allow. Each body has the shape of
DRF's errors: one entry per field, or `detail`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from arrears.errors import Conflict

# Error codes that say "well-formed, but refused by the data": the schema cannot know which
# ids exist or which dates the system takes (from 2000 on), so a request naming an unknown
# record or a date before 2000 is valid by the schema and refused (422), not malformed (400).
REFUSED_CODES = {"does_not_exist", "out_of_range"}


def _leaf_codes(codes: Any) -> set[str]:
    if isinstance(codes, dict):
        return set().union(*(_leaf_codes(v) for v in codes.values())) if codes else set()
    if isinstance(codes, list):
        return set().union(*(_leaf_codes(v) for v in codes)) if codes else set()
    return {str(codes)}


def refused_by_data(errors: Any) -> bool:
    """True when a serializer's errors (with their codes) all say "well-formed, refused"."""
    codes = _leaf_codes(exceptions.ValidationError(errors).get_codes())
    return bool(codes) and codes <= REFUSED_CODES


def rule_refusal(detail: Any) -> Response:
    """422 with field errors (or `detail`): the request was well-formed, the rules refused it."""
    set_rollback()  # as DRF's own handler does: nothing of a refused request is kept
    return Response(detail, status=status.HTTP_422_UNPROCESSABLE_ENTITY)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return rule_refusal(exc.message_dict)
        return rule_refusal({"detail": exc.messages})
    if isinstance(exc, Conflict):
        set_rollback()
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, exceptions.ValidationError) and refused_by_data(exc.detail):
        return rule_refusal(exc.detail)
    response = drf_exception_handler(exc, context)
    if response is None and isinstance(exc, ValueError):
        # Services raise ValueError for input outside what they can compute (a date beyond
        # the working-day calendar): well-formed, refused.
        return rule_refusal({"detail": str(exc)})
    return response
