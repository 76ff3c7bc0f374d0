"""Checks requests and answers against bot/merchant_api/openapi.yaml (shared by the test packages)."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import unquote

import httpx
import jsonschema
import yaml

from bot.merchant_api import OPENAPI_PATH

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)")
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or _RFC3339.fullmatch(value) is not None


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects as JSON Schema (draft 4): `nullable: true` becomes a null type."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: to_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
    for key in ("example", "xml", "externalDocs", "deprecated", "readOnly", "writeOnly", "discriminator"):
        converted.pop(key, None)
    return converted


class SpecViolation(AssertionError):
    """A request or answer that the OpenAPI description does not allow."""


@dataclass
class OpenAPISpec:
    """The OpenAPI description, able to validate requests and answers."""

    document: dict[str, Any] = field(
        default_factory=lambda: yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    )

    @cached_property
    def _schema_document(self) -> dict[str, Any]:
        return to_json_schema(copy.deepcopy(self.document))

    @cached_property
    def _resolver(self) -> jsonschema.RefResolver:
        return jsonschema.RefResolver.from_schema(self._schema_document)

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a `$ref` within the document."""
        while "$ref" in node:
            node = self._lookup(node["$ref"])
        return node

    def _lookup(self, ref: str) -> dict[str, Any]:
        assert ref.startswith("#/"), ref
        node: Any = self.document
        for part in ref[2:].split("/"):
            node = node[part]
        return node

    def validate(self, value: Any, schema: dict[str, Any], where: str) -> None:
        """Validate a value against an (OpenAPI) schema; raises SpecViolation."""
        validator = jsonschema.Draft4Validator(
            to_json_schema(schema), resolver=self._resolver, format_checker=FORMATS
        )
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
        if errors:
            details = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
            raise SpecViolation(f"{where}: {details}")

    def component(self, name: str) -> dict[str, Any]:
        """A schema of components/schemas."""
        return self.document["components"]["schemas"][name]

    def match(self, method: str, path: str) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The spec's path template, operation and (decoded) path parameters for a percent-encoded path."""
        for template, item in self.document["paths"].items():
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            found = re.fullmatch(pattern, path)
            if found and method.lower() in item:
                return template, item, {name: unquote(value) for name, value in found.groupdict().items()}
        raise SpecViolation(f"{method} {path} is not an operation of the OpenAPI description")

    def parameters(self, item: dict[str, Any], method: str) -> list[dict[str, Any]]:
        """Path-level and operation-level parameters, resolved."""
        declared = item.get("parameters", []) + item[method.lower()].get("parameters", [])
        return [self.resolve(p) for p in declared]

    def check_request(self, request: httpx.Request, *, values: bool = True) -> None:
        """The request uses a declared path, method, parameters and body, and the API key when required.

        With `values=False` only names are checked, not the values of parameters and body.
        """
        method, path = request.method, _raw_path(request)
        template, item, path_params = self.match(method, path)
        operation = item[method.lower()]
        params = self.parameters(item, method)
        where = f"{method} {template}"
        query = {name: request.url.params.get_list(name) for name in request.url.params}
        declared_query = {p["name"]: p for p in params if p["in"] == "query"}
        undeclared = set(query) - set(declared_query)
        if undeclared:
            raise SpecViolation(f"{where}: undeclared query parameters {sorted(undeclared)}")
        for name, param in declared_query.items():
            if param.get("required") and name not in query:
                raise SpecViolation(f"{where}: required query parameter {name} is missing")
            for value in query.get(name, []) if values else []:
                self.validate(value, param["schema"], f"{where} ?{name}")
        for param in params if values else []:
            if param["in"] == "path":
                self.validate(path_params[param["name"]], param["schema"], f"{where} {{{param['name']}}}")
            if param["in"] == "header" and param["name"] in request.headers:
                self.validate(request.headers[param["name"]], param["schema"], f"{where} {param['name']}")
        security = operation.get("security", self.document.get("security", []))
        if security and "X-API-Key" not in request.headers:
            raise SpecViolation(f"{where}: sent without X-API-Key")
        body = operation.get("requestBody")
        content = request.content
        if body is None:
            if content:
                raise SpecViolation(f"{where}: a body where none is declared")
        elif values:
            if not content:
                if body.get("required"):
                    raise SpecViolation(f"{where}: the required body is missing")
                return
            self.validate(json.loads(content), body["content"]["application/json"]["schema"], f"{where} body")

    def check_response(self, method: str, path: str, status: int, content: bytes, content_type: str) -> None:
        """The answer's status is declared for the operation and its body matches the declared schema."""
        template, item, _ = self.match(method, path)
        responses = item[method.lower()]["responses"]
        declared = responses.get(str(status)) or responses.get("default")
        where = f"{method} {template} → {status}"
        if declared is None:
            raise SpecViolation(f"{where}: status not declared")
        declared = self.resolve(declared)
        if "content" not in declared:
            if content:
                raise SpecViolation(f"{where}: a body where none is declared")
            return
        if not content_type.startswith("application/json"):
            raise SpecViolation(f"{where}: content type {content_type!r}")
        self.validate(json.loads(content), declared["content"]["application/json"]["schema"], where)

    def check_exchange(self, request: httpx.Request, response: httpx.Response) -> None:
        """Both halves of one request; a request that breaks the spec must have been answered 400 or 401."""
        if response.status_code not in (400, 401):
            self.check_request(request)
        self.check_response(
            request.method,
            _raw_path(request),
            response.status_code,
            response.content,
            response.headers.get("content-type", ""),
        )


def _raw_path(request: httpx.Request) -> str:
    return request.url.raw_path.decode("ascii").partition("?")[0]


class RecordingTransport(httpx.AsyncHTTPTransport):
    """A real HTTP transport that keeps every request and answer, to check them against the spec."""

    def __init__(self, exchanges: list[tuple[httpx.Request, httpx.Response]]) -> None:
        super().__init__()
        self.exchanges = exchanges

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        await response.aread()
        self.exchanges.append((request, response))
        return response
