"""Request-body validation against Discord's official OpenAPI document.

The document is read from ``<repo>/../shared/testdata/discord-api/openapi.json``
(or ``$DISCORD_OPENAPI_PATH``) once per process; validators are compiled
lazily per operation and cached at module level.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_REPO_ROOT = Path(__file__).resolve().parents[3]
_DOC_URI = "urn:discord-openapi"
_METHODS = ("get", "put", "post", "patch", "delete")


def openapi_path() -> Path:
    override = os.environ.get("DISCORD_OPENAPI_PATH")
    if override:
        return Path(override)
    return _REPO_ROOT.parent / "shared" / "testdata" / "discord-api" / "openapi.json"


@dataclass(frozen=True)
class FieldError:
    """One entry of Discord's ``errors`` object."""

    path: tuple[str | int, ...]
    code: str
    message: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path) or "<body>"
        return f"{where}: {self.message} ({self.code})"


def errors_object(errors: list[FieldError]) -> dict[str, Any]:
    """Nest field errors the way Discord does: ``{"content": {"_errors": [...]}}``."""
    root: dict[str, Any] = {}
    for error in errors:
        node = root
        for part in error.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": error.code, "message": error.message})
    return root


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    operation: dict[str, Any]

    @property
    def has_body(self) -> bool:
        return "requestBody" in self.operation


@cache
def load_document(path: str | None = None) -> dict[str, Any]:
    location = Path(path) if path else openapi_path()
    if not location.is_file():
        raise FileNotFoundError(
            f"Discord OpenAPI document not found at {location}; set DISCORD_OPENAPI_PATH"
        )
    with location.open(encoding="utf-8") as fh:
        return json.load(fh)


@cache
def _registry() -> Registry:
    resource = Resource.from_contents(load_document(), default_specification=DRAFT202012)
    return Registry().with_resource(_DOC_URI, resource)


@cache
def _path_index() -> list[tuple[re.Pattern[str], int, str]]:
    index = []
    for template in load_document()["paths"]:
        params = template.count("{")
        parts = re.split(r"(\{[^/{}]+\})", template)
        regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        index.append((re.compile(regex), params, template))
    # Literal segments win over placeholders (``/messages/pins`` over ``/messages/{id}``).
    index.sort(key=lambda item: item[1])
    return index


def find_operation(method: str, path: str) -> Operation | None:
    method = method.lower()
    for regex, _params, template in _path_index():
        if regex.fullmatch(path):
            item = load_document()["paths"][template]
            if method in item:
                return Operation(template, method, item[method])
    return None


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


_VALIDATORS: dict[tuple[str, str, str], Draft202012Validator | None] = {}


def validator_for(template: str, method: str, multipart: bool) -> Draft202012Validator | None:
    key = (template, method, "multipart" if multipart else "json")
    if key not in _VALIDATORS:
        operation = load_document()["paths"][template][method]
        content = operation.get("requestBody", {}).get("content", {})
        media = "multipart/form-data" if multipart and "multipart/form-data" in content else None
        media = media or ("application/json" if "application/json" in content else None)
        if media is None:
            _VALIDATORS[key] = None
        else:
            ref = (
                _DOC_URI
                + "#"
                + _pointer("paths", template, method, "requestBody", "content", media, "schema")
            )
            _VALIDATORS[key] = Draft202012Validator({"$ref": ref}, registry=_registry())
    return _VALIDATORS[key]


def widen_attachment_ids(body: Any) -> Any:
    """discord.py sends multipart attachment ids as integers; the schema wants strings."""
    if not isinstance(body, dict):
        return body
    body = copy.deepcopy(body)
    for holder in (body, body.get("data")):
        if isinstance(holder, dict) and isinstance(holder.get("attachments"), list):
            for attachment in holder["attachments"]:
                if isinstance(attachment, dict) and isinstance(attachment.get("id"), int):
                    attachment["id"] = str(attachment["id"])
    return body


def widen_allowed_mention_ids(body: Any) -> Any:
    """discord.py sends ``allowed_mentions.roles``/``users`` as integers, which Discord
    accepts; the schema wants snowflake strings."""
    if not isinstance(body, dict):
        return body
    holders = [body, body.get("data")]
    if not any(
        isinstance(h, dict) and isinstance(h.get("allowed_mentions"), dict) for h in holders
    ):
        return body
    body = copy.deepcopy(body)
    for holder in (body, body.get("data")):
        mentions = holder.get("allowed_mentions") if isinstance(holder, dict) else None
        if not isinstance(mentions, dict):
            continue
        for name in ("roles", "users"):
            ids = mentions.get(name)
            if isinstance(ids, list):
                mentions[name] = [str(i) if isinstance(i, int) else i for i in ids]
    return body


def validate_body(
    method: str, path: str, body: Any, *, multipart: bool = False
) -> list[FieldError]:
    operation = find_operation(method, path)
    if operation is None or not operation.has_body:
        return []
    validator = validator_for(operation.template, operation.method, multipart)
    if validator is None:
        return []
    if multipart:
        body = widen_attachment_ids(body)
    body = widen_allowed_mention_ids(body)
    errors: list[FieldError] = []
    for error in validator.iter_errors(body):
        errors.extend(_to_field_error(leaf) for leaf in _leaf_errors(error))
    return errors


def _is_branch_miss(error: ValidationError) -> bool:
    """Did this branch of a union fail on its discriminator (``type``) or shape?"""
    relative = list(error.relative_path)
    if not relative and error.validator == "type":
        return True
    return relative == ["type"] and error.validator in ("enum", "const")


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[ValidationError]] = defaultdict(list)
        for sub in error.context:
            branches[sub.relative_schema_path[0]].append(sub)
        candidates = [
            errs for errs in branches.values() if not any(_is_branch_miss(e) for e in errs)
        ] or list(branches.values())
        best = min(candidates, key=len)
        return [leaf for sub in best for leaf in _leaf_errors(sub)]
    return [error]


def _to_field_error(error: ValidationError) -> FieldError:
    path: list[str | int] = list(error.absolute_path)
    keyword = error.validator
    value = error.validator_value
    if keyword == "maxLength":
        return FieldError(
            tuple(path), "BASE_TYPE_MAX_LENGTH", f"Must be {value} or fewer in length."
        )
    if keyword == "minLength":
        return FieldError(
            tuple(path), "BASE_TYPE_MIN_LENGTH", f"Must be {value} or more in length."
        )
    if keyword == "maxItems":
        return FieldError(
            tuple(path), "BASE_TYPE_MAX_LENGTH", f"Must be {value} or fewer in length."
        )
    if keyword == "minItems":
        return FieldError(
            tuple(path), "BASE_TYPE_MIN_LENGTH", f"Must be {value} or more in length."
        )
    if keyword == "required":
        # jsonschema reports each missing property separately: "'x' is a required property".
        match = re.match(r"'(.+)' is a required property", error.message)
        missing = [match.group(1)] if match else []
        return FieldError(tuple([*path, *missing]), "BASE_TYPE_REQUIRED", "This field is required")
    if keyword in ("enum", "const"):
        return FieldError(
            tuple(path), "ENUM_TYPE_COERCE", f"Value {error.instance!r} is not a valid enum value."
        )
    if keyword == "type":
        return FieldError(tuple(path), "BASE_TYPE_INVALID", f"Invalid type: {error.message}")
    return FieldError(tuple(path), "BASE_TYPE_INVALID", error.message[:300])
