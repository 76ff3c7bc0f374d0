"""The OpenAPI description itself: well formed, and the same routes as the sandbox serves."""

from __future__ import annotations

import re

import httpx
import jsonschema
import pytest

from devtools.sandbox import Faults, create_app
from tests.bot.merchant_api.spec import OpenAPISpec, SpecViolation, to_json_schema


@pytest.fixture(scope="module")
def spec() -> OpenAPISpec:
    return OpenAPISpec()


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_it_is_openapi_3_0_and_every_reference_resolves(spec: OpenAPISpec) -> None:
    assert spec.document["openapi"].startswith("3.0.")
    for ref in _refs(spec.document):
        assert spec.resolve({"$ref": ref}), ref


def test_every_component_schema_is_a_valid_json_schema(spec: OpenAPISpec) -> None:
    for schema in spec.document["components"]["schemas"].values():
        jsonschema.Draft4Validator.check_schema(to_json_schema(schema))


def test_examples_match_their_schemas(spec: OpenAPISpec) -> None:
    schemas = spec.document["components"]["schemas"]
    for name, schema in schemas.items():
        if "example" in schema:
            spec.validate(schema["example"], schema, name)


def test_every_operation_declares_its_errors(spec: OpenAPISpec) -> None:
    for path, item in spec.document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], (method, path)
            if path.startswith("/v1/"):
                assert {"401", "503"} <= set(operation["responses"]), (method, path)


def test_the_sandbox_serves_exactly_the_described_routes(spec: OpenAPISpec) -> None:
    app = create_app("sqlite://", None, "k", Faults())
    served = set()
    for route in app.router.routes:
        path = "/" + re.sub(r"<(\w+):\w+>", r"{\1}", route.path)
        served |= {(method.lower(), path) for method in route.methods if method not in ("HEAD", "OPTIONS")}
    described = {
        (method, path)
        for path, item in spec.document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert served == described
    app.ctx.database.dispose()


def test_the_checker_catches_what_the_spec_forbids(spec: OpenAPISpec) -> None:
    base = "http://sandbox.test/v1/transactions"
    window = {"start": "2025-11-24T15:00:00+08:00", "end": "2025-11-24T16:00:00+08:00"}
    headers = {"X-API-Key": "k"}
    spec.check_request(httpx.Request("GET", base, params=window, headers=headers))
    bad_requests = [
        httpx.Request("GET", base, params={**window, "last4": "3821"}, headers=headers),
        httpx.Request("GET", base, params={"start": window["start"]}, headers=headers),
        httpx.Request("GET", base, params={**window, "amount": "1.005"}, headers=headers),
        httpx.Request("GET", base, params=window),
        httpx.Request("GET", "http://sandbox.test/v1/transaction", params=window, headers=headers),
        httpx.Request("POST", f"{base}/TXN1/refunds", json={"amount": 12}, headers=headers),
    ]
    for request in bad_requests:
        with pytest.raises(SpecViolation):
            spec.check_request(request)
    with pytest.raises(SpecViolation):
        spec.check_response(
            "GET", "/v1/transactions/TXN1", 200, b'{"transaction_id": "TXN1"}', "application/json"
        )
    with pytest.raises(SpecViolation):
        spec.check_response("GET", "/v1/transactions/TXN1", 404, b'{"error": "gone"}', "application/json")
