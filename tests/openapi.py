"""Every API response a test receives is checked against the committed docs/openapi.yaml, as
zulip's test client does: the operation is found by method and path template, the response by
status code (else `default`), and a JSON body is validated with jsonschema. So the schema the
integrators read cannot drift from what the endpoints answer without a test failing.

tests/conftest.py wraps the test client (Django's Client, and DRF's APIClient, which is one)
with `check_response`; a test can also call `assert_matches_schema` to pin the operation it
means."""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.http import HttpResponseBase
from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "openapi.yaml"
API_PREFIX = "/api/v1/"

# Responses whose body is not validated (their operation, status and content type still are),
# each with its reason. Keys are (method, path template, status). Keep this short: a new entry
# needs a reason a reviewer accepts.
EXCLUDED: dict[tuple[str, str, int], str] = {}

# How many responses were validated in this run (reported at the end of the session).
validated = 0


class SchemaMismatch(AssertionError):
    """A response the committed schema does not allow."""


@dataclass(frozen=True)
class _Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    responses: dict[str, Any]


def _as_json_schema(schema: Any) -> Any:
    """An OpenAPI 3.0 schema object as the JSON Schema the check applies. `nullable: true` is
    not JSON Schema: null joins the types (or sits beside a composed schema). And, as zulip's
    check does, an object admits only the properties it lists: a field the schema does not
    document is drift too (the error schema, which takes any field, says so itself)."""
    if not isinstance(schema, dict):
        return schema
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":  # a mapping of names to schemas, not a schema
            converted[key] = {name: _as_json_schema(s) for name, s in value.items()}
        elif key in {"items", "additionalProperties", "not"}:
            converted[key] = _as_json_schema(value)
        elif key in {"allOf", "anyOf", "oneOf"}:
            converted[key] = [_as_json_schema(s) for s in value]
        else:  # keywords whose values are data (enum, example, default…)
            converted[key] = value
    if "properties" in converted and "additionalProperties" not in converted:
        converted["additionalProperties"] = False
    if not converted.pop("nullable", False):
        return converted
    if "enum" in converted:
        converted["enum"] = [*converted["enum"], None]
    if "type" in converted:
        converted["type"] = [converted["type"], "null"]
        return converted
    if not converted:
        return converted  # any value, null included
    return {"anyOf": [converted, {"type": "null"}]}


@functools.cache
def _document() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as f:
        document: dict[str, Any] = yaml.safe_load(f)
    return document


@functools.cache
def _components() -> dict[str, Any]:
    """The components with each schema converted (`$ref`s point into #/components/schemas);
    a response's own inline schema is converted where it is validated."""
    components = copy.deepcopy(_document()["components"])
    components["schemas"] = {
        name: _as_json_schema(schema) for name, schema in components["schemas"].items()
    }
    return components


def _segment_pattern(operation: dict[str, Any], name: str) -> str:
    """One path segment for a parameter, unless its documented pattern admits a slash (the
    referrals' `external_id` is any reference a channel uses: `^.+$`)."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter["name"] == name:
            pattern = parameter.get("schema", {}).get("pattern")
            if pattern and re.search(pattern, "a/b"):
                return ".+"
    return "[^/]+"


@functools.cache
def _operations() -> tuple[_Operation, ...]:
    operations = []
    for template, item in _document()["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options"}:
                continue
            # "/api/v1/cases/{id}/close/" → "^/api/v1/cases/[^/]+/close/$"
            parts = re.split(r"\{([^/{}]+)\}", template)
            regex = "".join(
                _segment_pattern(operation, part) if i % 2 else re.escape(part)
                for i, part in enumerate(parts)
            )
            operations.append(
                _Operation(
                    method.upper(), template, re.compile(f"^{regex}$"), operation["responses"]
                )
            )
    # A literal segment wins over a parameter ("/referrals/batch/" before
    # "/referrals/{external_id}/"): fewest parameters first.
    operations.sort(key=lambda op: op.template.count("{"))
    return tuple(operations)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A `$ref` into #/components, followed (responses are shared: #/components/responses)."""
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = _components()[section][name]
    return node


def find_operation(method: str, path: str) -> _Operation | None:
    for operation in _operations():
        if operation.method == method and operation.pattern.match(path):
            return operation
    return None


def _documented_methods(path: str) -> list[str]:
    return sorted({op.method for op in _operations() if op.pattern.match(path)})


def _fail(method: str, path: str, status: int, problem: str) -> SchemaMismatch:
    return SchemaMismatch(f"{method} {path} → {status}: {problem} (docs/openapi.yaml)")


def assert_matches_schema(response: HttpResponseBase, path: str, method: str) -> None:
    """For a test that names the operation it means: `path` is the schema's template
    ("/api/v1/cases/{id}/close/"), `method` the operation's ("post"; a 405 names one the path
    has). The client has already checked the response against whichever operation matched."""
    request = response.wsgi_request  # type: ignore[attr-defined]
    operation = find_operation(request.method.upper(), request.path)
    if operation is None and response.status_code == 405:
        operation = find_operation(method.upper(), request.path)
    assert operation is not None, f"{request.method} {request.path}: no operation matches"
    assert (operation.template, operation.method) == (path, method.upper()), (
        f"{request.method} {request.path} matched {operation.method} {operation.template}, "
        f"not {method.upper()} {path}"
    )


def _check(response: HttpResponseBase, actual_path: str) -> None:
    """Fails unless the committed schema documents this response: its operation, its status
    (or `default`), its content type, and for JSON its body."""
    global validated
    method = response.wsgi_request.method.upper()  # type: ignore[attr-defined]
    status = response.status_code
    operation = find_operation(method, actual_path)
    if operation is None and status == 405:
        # A method the path does not have: the schema documents operations, not the ones
        # missing, so the refusal is checked against the 405 its documented operations share.
        methods = _documented_methods(actual_path)
        operation = find_operation(methods[0], actual_path) if methods else None
    if operation is None and status == 404 and not _documented_methods(actual_path):
        # A URL the API does not have (the tests of the JSON 404): no operation to find, but
        # the body must still be the error every operation documents for a 404.
        _check_content(response, method, actual_path, _components()["responses"]["NotFound"])
        validated += 1
        return
    if operation is None:
        raise _fail(method, actual_path, status, "no such operation is documented")
    documented = operation.responses.get(str(status)) or operation.responses.get("default")
    if documented is None:
        raise _fail(
            method,
            actual_path,
            status,
            f"status not documented for {operation.template} "
            f"(documented: {', '.join(sorted(operation.responses))})",
        )
    body_checked = (method, operation.template, status) not in EXCLUDED
    _check_content(response, method, actual_path, _resolve(documented), body_checked)
    validated += 1


def _check_content(
    response: HttpResponseBase,
    method: str,
    path: str,
    documented: dict[str, Any],
    body_checked: bool = True,
) -> None:
    status = response.status_code
    content = documented.get("content", {})
    body = getattr(response, "content", b"")  # a streamed download has no .content
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    if not content:
        if body:
            raise _fail(method, path, status, "a body where the schema documents none")
        return
    if content_type not in content:
        raise _fail(
            method,
            path,
            status,
            f"content type {content_type or 'none'!r} is not documented "
            f"(documented: {', '.join(sorted(content))})",
        )
    schema = content[content_type].get("schema")
    if schema is None or content_type != "application/json" or not body_checked:
        return  # a file or a page (or an excluded body): its type was what there was to check
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise _fail(method, path, status, f"the body is not JSON: {exc}") from None
    error = best_match(_validator(schema).iter_errors(data))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(the body)"
        raise _fail(
            method, path, status, f"the body does not match the schema at {where}: {error.message}"
        )


_validators: dict[int, Draft4Validator] = {}


def _validator(schema: dict[str, Any]) -> Draft4Validator:
    """Draft 4, as OpenAPI 3.0's schema objects are (a `$ref` stands alone, exclusiveMinimum a
    boolean); the `$ref`s resolve within a root that carries the components. One per schema
    object of the (cached, never changed) document, built on first use."""
    key = id(schema)
    if key not in _validators:
        root = {**_as_json_schema(schema), "components": _components()}
        _validators[key] = Draft4Validator(root)
    return _validators[key]


def check_response(response: HttpResponseBase, sent_path: str) -> None:
    """The test client's hook: API responses are checked, pages and files are not."""
    if sent_path.startswith(API_PREFIX):
        _check(response, sent_path)
