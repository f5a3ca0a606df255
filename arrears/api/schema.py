"""OpenAPI additions: the error shape every endpoint shares, and the request id header."""

from __future__ import annotations

from typing import Any

_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "错误响应 / Error response. `detail` explains a refusal (401, 403, 404, 405, 409, 429, "
        "500, and 400 for malformed requests); bad input answers 400 with one entry per field "
        "(a list of messages, nested for nested fields) and `non_field_errors` for the rest. "
        "Messages follow Accept-Language (Simplified Chinese by default)."
    ),
    "properties": {
        "detail": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        },
    },
    "additionalProperties": {"description": "该字段的错误 / errors of this field"},
    "example": {"detail": "未找到。"},
}

REQUEST_ID_HEADER: dict[str, Any] = {
    "description": (
        "请求编号 / Request id: the proxy's X-Request-ID when it is a sane token, else a new "
        "one. Quote it when reporting a problem; every log line of the request carries it."
    ),
    "schema": {"type": "string"},
}


def document_errors(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation's `default` response is the
    shared error shape, so clients know what any status not listed carries."""
    components = result.setdefault("components", {})
    # "Error" is taken: ErrorSerializer ({"detail": "…"}) documents the listed refusals.
    components.setdefault("schemas", {})["DefaultError"] = ERROR_SCHEMA
    components.setdefault("headers", {})["X-Request-ID"] = REQUEST_ID_HEADER
    components.setdefault("responses", {})["DefaultError"] = {
        "description": "错误 / Error",
        "headers": {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DefaultError"}}},
    }
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in _METHODS:
                operation.setdefault("responses", {}).setdefault(
                    "default", {"$ref": "#/components/responses/DefaultError"}
                )
    return result
