"""Every integer a request may carry is bounded by what the services store (int64), so a
larger one is a 422 at the edge instead of an error on its way to a service; schemathesis
found `POST /v1/notifications/read` with an id beyond 64 bits answering 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings

#: As JSON schema writes them (floats: 2**63 - 1 reads back as 2**63).
_LOW, _HIGH = float(-(2**63)), float(2**63 - 1)


def _integers(node: Any, where: str, schemas: dict[str, Any],
              seen: tuple[str, ...] = ()) -> Iterator[tuple[str, dict[str, Any]]]:  # fmt: skip
    """Every integer schema below `node`, with where it is."""
    if isinstance(node, list):
        for item in node:
            yield from _integers(item, where, schemas, seen)
        return
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _integers(schemas[name], f"{where}>{name}", schemas, (*seen, name))
        return
    if node.get("type") == "integer":
        yield where, node
    for key, value in node.items():
        if key == "properties":
            for name, prop in value.items():
                yield from _integers(prop, f"{where}.{name}", schemas, seen)
        elif key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
            yield from _integers(value, where, schemas, seen)


def _request_integers() -> list[tuple[str, dict[str, Any]]]:
    spec = create_app(GatewaySettings(dev_mode=True)).openapi()
    schemas = spec["components"]["schemas"]
    found: list[tuple[str, dict[str, Any]]] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                found += _integers(parameter["schema"], f"{where} {parameter['name']}", schemas)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                found += _integers(content.get("schema", {}), f"{where} body", schemas)
    return found


def test_every_integer_a_request_carries_fits_int64() -> None:
    found = _request_integers()
    assert len(found) >= 20  # the walk reaches parameters and bodies
    unbounded = [
        where for where, schema in found
        if float(schema.get("maximum", schema.get("exclusiveMaximum", "inf"))) > _HIGH
        or float(schema.get("minimum", schema.get("exclusiveMinimum", "-inf"))) < _LOW
    ]  # fmt: skip
    assert unbounded == []
