"""GitHub's API shapes for the fake, taken from githubkit's models.

githubkit ships no OpenAPI document, but its models are generated from GitHub's published
OpenAPI description (``githubkit_schemas.v2022_11_28``). The fake uses them both ways:

- request bodies are validated against the body model of their route, strictly: wrong
  types (no coercion) and missing required fields, and also keys the description does not
  have (the generated models would silently ignore those);
- responses are built with every field the response model requires (:func:`example`), so
  a client that parses them (githubkit does) sees GitHub's full shape.
"""

from __future__ import annotations

import copy
import functools
import json
import types
from datetime import datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from githubkit_schemas.v2022_11_28 import models
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticError

__all__ = ["BODY_MODELS", "example", "models", "validate_body"]

# (method, route name) → the model of the request body, as in GitHub's description.
BODY_MODELS: dict[tuple[str, str], type[BaseModel]] = {
    ("PUT", "contents"): models.ReposOwnerRepoContentsPathPutBody,
    ("POST", "trees"): models.ReposOwnerRepoGitTreesPostBody,
    ("POST", "commits"): models.ReposOwnerRepoGitCommitsPostBody,
    ("POST", "refs"): models.ReposOwnerRepoGitRefsPostBody,
    ("PATCH", "ref"): models.ReposOwnerRepoGitRefsRefPatchBody,
    ("POST", "pulls"): models.ReposOwnerRepoPullsPostBody,
    ("PATCH", "pull"): models.ReposOwnerRepoPullsPullNumberPatchBody,
}

_UNSET = type(models.ContentFile.model_fields["target"].default)


def _is_unset(tp: Any) -> bool:
    return get_origin(tp) is Literal and all(isinstance(a, _UNSET) for a in get_args(tp))


def _unwrap(tp: Any) -> list[Any]:
    """The alternatives of a union (Annotated and "unset" stripped)."""
    if get_origin(tp) is Annotated:
        return _unwrap(get_args(tp)[0])
    if get_origin(tp) in (Union, types.UnionType):
        found: list[Any] = []
        for arg in get_args(tp):
            if not _is_unset(arg):
                found.extend(_unwrap(arg))
        return found
    return [tp]


def _value(tp: Any, name: str) -> Any:
    options = _unwrap(tp)
    if type(None) in options:
        return None
    tp = options[0]
    origin = get_origin(tp)
    if origin is Literal:
        return get_args(tp)[0]
    if origin in (list, tuple, set):
        return []
    if origin is dict or tp is dict:
        return {}
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return example(tp)
    if tp is bool:
        return False
    if tp is int:
        return 1
    if tp is float:
        return 0.0
    if tp is datetime:
        return "2025-01-06T09:00:00Z"
    if tp is str:
        return f"https://fake.invalid/{name}" if name.endswith("url") else name
    return None


@functools.cache
def _template(model: type[BaseModel]) -> dict[str, Any]:
    return {
        field.alias or name: _value(field.annotation, name)
        for name, field in model.model_fields.items()
        if field.is_required()
    }


def example(model: type[BaseModel], **values: Any) -> dict[str, Any]:
    """A response of ``model``'s shape: every required field filled in, ``values`` win."""
    out = copy.deepcopy(_template(model))
    out.update(values)
    return out


def _models_in(tp: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for option in _unwrap(tp):
        if isinstance(option, type) and issubclass(option, BaseModel):
            found.append(option)
        elif get_origin(option) in (list, tuple):
            for arg in get_args(option):
                found.extend(_models_in(arg))
    return found


def _unknown_keys(model: type[BaseModel], body: Any, where: str) -> list[str]:
    if not isinstance(body, dict):
        return []
    fields = {(f.alias or n): f for n, f in model.model_fields.items()}
    problems = [f"{where}{key}: not in GitHub's description" for key in body if key not in fields]
    for key, field in fields.items():
        if key not in body:
            continue
        value = body[key]
        for nested in _models_in(field.annotation):
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                at = f"{where}{key}[{index}]." if isinstance(value, list) else f"{where}{key}."
                problems.extend(_unknown_keys(nested, item, at))
    return problems


def validate_body(model: type[BaseModel], body: Any) -> list[str]:
    """What is wrong with ``body`` for ``model`` (empty: nothing)."""
    problems: list[str] = []
    try:
        TypeAdapter(model).validate_json(json.dumps(body), strict=True)
    except PydanticError as exc:
        problems.extend(
            f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}"
            for error in exc.errors()
        )
    return problems + _unknown_keys(model, body, "")
