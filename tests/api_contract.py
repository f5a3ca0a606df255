"""Responses checked against the committed docs/openapi.yaml: the status is documented for the
operation and the body matches its schema (Schemathesis' own validation, the same the CI run
`make api-contract` applies over HTTP)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import requests
import schemathesis

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "openapi.yaml"


@functools.cache
def _schema() -> Any:
    return schemathesis.openapi.from_path(str(SCHEMA_PATH))


def assert_matches_schema(response: Any, path: str, method: str) -> None:
    """`path` is the schema's template ("/api/v1/cases/{id}/close/"), `response` a DRF test
    client's. Fails naming the status or the part of the body the schema does not allow."""
    documented = _schema()[path][method.upper()].definition.raw["responses"]
    assert str(response.status_code) in documented, (
        f"{method.upper()} {path}: {response.status_code} is not documented "
        f"(documented: {sorted(documented)})"
    )
    # The test client's response as Schemathesis' own, which it validates like one it sent.
    url = "http://testserver" + response.wsgi_request.get_full_path()
    request = requests.Request(
        method.upper(), url, headers=dict(response.wsgi_request.headers)
    ).prepare()
    wire = schemathesis.Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.headers.items()},
        content=response.content,
        request=request,
        elapsed=0.0,
        verify=False,
    )
    _schema()[path][method.upper()].validate_response(wire)
