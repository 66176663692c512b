"""The Adaptive Card 1.5 JSON schema (vendored, MIT) plus the Teams chart elements, with readable errors.

Every element and action position in the schema is an `anyOf` over all element types, so jsonschema's own
error is "is not valid under any of the given schemas" with dozens of sub-errors. We follow the branch whose
`type` matches the instance and report its errors instead, with the element path.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator
from jsonschema.exceptions import ValidationError, best_match

from tests.cardcheck.problems import Problem, format_path, join

VENDOR = Path(__file__).resolve().parents[1] / "vendor" / "adaptive-card-1.5.0.json"
CHARTS = Path(__file__).resolve().parent / "teams-charts.schema.json"
_ELEMENTS = "ImplementationsOf.Element"


@cache
def _schema() -> dict[str, Any]:
    schema = json.loads(VENDOR.read_text(encoding="utf-8"))
    charts = json.loads(CHARTS.read_text(encoding="utf-8"))["definitions"]
    definitions = schema["definitions"]
    definitions.update(copy.deepcopy(charts))
    definitions[_ELEMENTS]["anyOf"].extend(
        {"required": ["type"], "allOf": [{"$ref": f"#/definitions/{name}"}]} for name in charts
    )
    return schema


@cache
def _validator() -> Draft6Validator:
    return Draft6Validator(_schema())


def chart_types() -> list[str]:
    return sorted(json.loads(CHARTS.read_text(encoding="utf-8"))["definitions"])


def schema_problems(card: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for error in _validator().iter_errors(card):
        problems.extend(_explain(error))
    return list(dict.fromkeys(problems))


def _explain(error: ValidationError) -> list[Problem]:
    at = format_path(error.absolute_path)
    if error.validator in ("anyOf", "oneOf") and error.context:
        instance = error.instance
        if isinstance(instance, dict) and isinstance(instance.get("type"), str):
            return _explain_typed(error, instance["type"], at)
        return _explain(best_match(error.context))
    return [Problem("schema", at, error.message)]


def _explain_typed(error: ValidationError, type_name: str, at: str) -> list[Problem]:
    """Report the errors of the branch for this `type`, or that no branch accepts it."""
    branches = error.validator_value
    assert isinstance(branches, list)  # the anyOf / oneOf branches
    matching = [index for index, branch in enumerate(branches) if type_name in _types(json.dumps(branch))]
    if not matching:
        allowed = sorted({name for branch in branches for name in _types(json.dumps(branch))})
        where = join("" if at == "(card)" else at, "type")
        return [Problem("schema", where, f"unknown type {type_name!r}; allowed here: {', '.join(allowed)}")]
    problems: list[Problem] = []
    for sub in error.context:
        if sub.relative_schema_path[0] == matching[0]:
            problems.extend(_explain(sub))
    return problems or [Problem("schema", at, error.message)]


@cache
def _types(branch_json: str) -> frozenset[str]:
    """The `type` names a schema branch accepts (following $ref, allOf, anyOf, oneOf at its top)."""
    return frozenset(_types_of(json.loads(branch_json), set()))


def _types_of(schema: dict[str, Any], seen: set[str]) -> set[str]:
    found: set[str] = set()
    ref = schema.get("$ref")
    if ref and ref not in seen:
        seen.add(ref)
        found |= _types_of(_schema()["definitions"][ref.rsplit("/", 1)[-1]], seen)
    type_schema = schema.get("properties", {}).get("type", {})
    found |= set(type_schema.get("enum", []))
    if "const" in type_schema:
        found.add(type_schema["const"])
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            found |= _types_of(sub, seen)
    return found
