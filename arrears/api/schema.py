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


# The refusals any operation can answer, each documented with the error shape. Which apply to
# an operation follows from how it is reached (the API key scheme answers 401 and is rate
# limited; a session that is missing or lacks the role answers 403).
COMMON_RESPONSES: dict[str, tuple[str, str]] = {
    "400": (
        "BadRequest",
        "请求与接口说明不符（字段错误逐项列出） / The request does not match the schema",
    ),
    "401": ("Unauthenticated", "缺少或无效的接口密钥 / Missing or invalid API key"),
    "403": (
        "Forbidden",
        "未登录、无权调用或 CSRF 校验失败 / Not signed in, not allowed, or the CSRF check failed",
    ),
    "404": (
        "NotFound",
        "不存在、不在您的数据范围内，或分页游标无效 / Not found, out of your scope, or an invalid "
        "cursor",
    ),
    "405": ("MethodNotAllowed", "该地址不支持此方法（见 Allow 头） / Method not allowed here"),
    "422": (
        "Unprocessable",
        "格式正确，但业务规则不允许（按字段列出原因），或引用的记录不存在 / Well-formed, but "
        "refused by the rules, or a referenced record does not exist",
    ),
    "429": (
        "Throttled",
        "超过本客户端的调用频率限制（见 Retry-After 头） / Over this client's rate "
        "(see Retry-After)",
    ),
}


def _applicable(path: str, operation: dict[str, Any]) -> list[str]:
    security = {name for requirement in operation.get("security", []) for name in requirement}
    params = operation.get("parameters", [])
    takes_input = "requestBody" in operation or any(p.get("in") == "query" for p in params)
    codes = ["403", "405"]
    if "apiKeyAuth" in security:
        codes += ["401", "429"]
    if "{" in path or any(p.get("name") == "cursor" for p in params):
        codes.append("404")
    if takes_input:
        codes += ["400", "422"]
    return codes


def _allow_empty_filters(operation: dict[str, Any]) -> None:
    """An optional query parameter sent empty (`?status=`) means "not given", as in the pages'
    filter forms; say so, or a client cannot know an empty value is accepted."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and not parameter.get("required"):
            parameter["allowEmptyValue"] = True


def document_errors(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation lists the refusals it can answer
    (COMMON_RESPONSES), each 4xx carries the shared error shape, and the `default` response
    documents what any other status (a 500) carries."""
    components = result.setdefault("components", {})
    # "Error" is taken: ErrorSerializer ({"detail": "…"}) documents the listed refusals.
    components.setdefault("schemas", {})["DefaultError"] = ERROR_SCHEMA
    components.setdefault("headers", {})["X-Request-ID"] = REQUEST_ID_HEADER
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/DefaultError"}}}
    responses = components.setdefault("responses", {})
    responses["DefaultError"] = {
        "description": "错误 / Error",
        "headers": {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}},
        "content": error_content,
    }
    for name, description in COMMON_RESPONSES.values():
        responses[name] = {"description": description, "content": error_content}
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            _allow_empty_filters(operation)
            documented = operation.setdefault("responses", {})
            for code in _applicable(path, operation):
                documented.setdefault(
                    code, {"$ref": f"#/components/responses/{COMMON_RESPONSES[code][0]}"}
                )
            # A refusal a view documented by its description alone still has the error shape.
            for code, response in documented.items():
                if code.startswith("4") and "$ref" not in response and "content" not in response:
                    response["content"] = error_content
            documented.setdefault("default", {"$ref": "#/components/responses/DefaultError"})
    return result
