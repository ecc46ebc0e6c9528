"""Validate HTTP traffic against the Mattermost OpenAPI v4 description.

Loads ``mattermost-openapi-v4.yaml`` once, routes a (method, path) to its
operation the way Mattermost's router would (the most literal template wins),
and validates JSON bodies against the operation's request and response schemas
with an OpenAPI 3.0 schema validator; ``$ref``s resolve inside the same file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

__all__ = ["OpenAPI", "Operation", "OPENAPI_PATH", "load_spec"]

# Vendored next to this module (see data/SOURCE.md): the suite reads nothing outside the checkout.
OPENAPI_PATH = Path(__file__).resolve().parent / "data" / "mattermost-openapi-v4.yaml"
_BASE = "urn:mattermost-openapi"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True)
class Operation:
    """One (path template, method) of the file."""

    template: str
    method: str
    pointer: str  # JSON pointer of the operation object

    @property
    def name(self) -> str:
        """``METHOD /template``."""
        return f"{self.method.upper()} {self.template}"


class OpenAPI:
    """The parsed description with a router and body validators."""

    def __init__(self, path: Path = OPENAPI_PATH) -> None:
        with open(path, encoding="utf-8") as f:
            self.doc: dict[str, Any] = yaml.load(
                f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            )
        resource = Resource.from_contents(self.doc, default_specification=DRAFT4)
        self._registry = Registry().with_resource(_BASE, resource)
        self._routes: list[tuple[int, re.Pattern[str], str]] = []
        for template in self.doc["paths"]:
            literal = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
            pattern = (
                "^"
                + re.sub(
                    r"\{[^/}]+\}",
                    "[^/]+",
                    re.escape(template).replace(r"\{", "{").replace(r"\}", "}"),
                )
                + "$"
            )
            self._routes.append((literal, re.compile(pattern), template))
        self._routes.sort(key=lambda r: -r[0])
        self._validators: dict[str, OAS30Validator] = {}

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation serving ``method path`` (query string ignored), or None."""
        path = path.split("?", 1)[0]
        for _, pattern, template in self._routes:
            if pattern.match(path):
                if method.lower() in self.doc["paths"][template]:
                    return Operation(
                        template, method.lower(), f"/paths/{_escape(template)}/{method.lower()}"
                    )
                return None  # the best route has no such method: Mattermost answers 405
        return None

    def query_errors(self, op: Operation, query: dict[str, list[str]]) -> list[str]:
        """Problems with the query string of a request for ``op``: undeclared or mistyped
        parameters."""
        node = self.doc["paths"][op.template]
        declared = {
            p["name"]: p
            for p in [*node.get("parameters", []), *node[op.method].get("parameters", [])]
            if isinstance(p, dict) and p.get("in") == "query"
        }
        problems = []
        for name, values in query.items():
            param = declared.get(name)
            if param is None:
                problems.append(f"{op.name}: query parameter {name!r} is not in the OpenAPI file")
                continue
            kind = param.get("schema", {}).get("type", "string")
            for value in values:
                if kind == "integer" and not value.lstrip("-").isdigit():
                    problems.append(
                        f"{op.name}: query parameter {name}={value!r} is not an integer"
                    )
                elif kind == "boolean" and value not in ("true", "false"):
                    problems.append(f"{op.name}: query parameter {name}={value!r} is not a boolean")
        return problems

    def request_errors(self, op: Operation, body: Any, present: bool) -> list[str]:
        """Problems with a request body (JSON already decoded) for ``op``."""
        spec = self.doc["paths"][op.template][op.method].get("requestBody")
        if spec is None:
            return [f"{op.name} takes no request body"] if present else []
        if not present:
            return [f"{op.name} requires a request body"] if spec.get("required") else []
        if "application/json" not in spec.get("content", {}):
            return [f"{op.name} does not take JSON"]
        return self._errors(
            f"{op.pointer}/requestBody/content/application~1json/schema", body, op.name + " request"
        )

    def response_errors(self, op: Operation, status: int, body: Any) -> list[str]:
        """Problems with a response (status and decoded JSON body) for ``op``."""
        responses = self.doc["paths"][op.template][op.method].get("responses", {})
        key = str(status)
        if key not in responses:
            return [f"{op.name} does not document status {status}"]
        pointer = f"{op.pointer}/responses/{key}"
        response = responses[key]
        if "$ref" in response:
            pointer = response["$ref"].lstrip("#")
            response = self._resolve(pointer)
        if "application/json" not in response.get("content", {}):
            return []
        return self._errors(
            f"{pointer}/content/application~1json/schema", body, f"{op.name} response {status}"
        )

    def _resolve(self, pointer: str) -> Any:
        node: Any = self.doc
        for seg in pointer.strip("/").split("/"):
            node = node[seg.replace("~1", "/").replace("~0", "~")]
        return node

    def _errors(self, pointer: str, body: Any, what: str) -> list[str]:
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$ref": f"{_BASE}#{quote(pointer, safe='/~')}"}
            validator = OAS30Validator(schema, registry=self._registry)
            self._validators[pointer] = validator
        return [
            f"{what}: {e.message} at {list(e.absolute_path)}" for e in validator.iter_errors(body)
        ]


def _escape(template: str) -> str:
    return template.replace("~", "~0").replace("/", "~1")


@lru_cache(maxsize=1)
def load_spec() -> OpenAPI:
    """The description, parsed once per process."""
    return OpenAPI()
