"""Discord's documented limits that the OpenAPI schema does not express (or is looser on)."""

from __future__ import annotations

from typing import Any

from .validation import FieldError

Path = tuple[str | int, ...]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
MAX_EMBED_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER_TEXT = 2048
MAX_AUTHOR_NAME = 256
MAX_ACTION_ROWS = 5
MAX_ROW_COMPONENTS = 5
MAX_SELECT_OPTIONS = 25
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
MAX_AUTOCOMPLETE_CHOICES = 25
MAX_CHOICE_TEXT = 100
MAX_MODAL_TITLE = 45
MAX_EVENT_NAME = 100
MAX_EVENT_DESCRIPTION = 1000
MAX_THREAD_NAME = 100
COMPONENTS_V2_FLAG = 1 << 15

BUTTON = 2
SELECTS = frozenset({3, 5, 6, 7, 8})
TEXT_INPUT = 4
ACTION_ROW = 1
LABEL = 18


def _too_long(path: Path, limit: int) -> FieldError:
    return FieldError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _bad_length(path: Path, low: int, high: int) -> FieldError:
    return FieldError(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def _check_len(errors: list[FieldError], value: Any, path: Path, limit: int) -> None:
    if isinstance(value, str | list) and len(value) > limit:
        errors.append(_too_long(path, limit))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def embed_errors(embeds: Any, base: Path) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(embeds, list):
        return errors
    _check_len(errors, embeds, base, MAX_EMBEDS)
    total = 0
    for index, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        here = (*base, index)
        for key, limit in EMBED_LIMITS.items():
            _check_len(errors, embed.get(key), (*here, key), limit)
            total += len(_text(embed.get(key)))
        fields = embed.get("fields") or []
        _check_len(errors, fields, (*here, "fields"), MAX_EMBED_FIELDS)
        for f_index, item in enumerate(fields if isinstance(fields, list) else []):
            if not isinstance(item, dict):
                continue
            name, value = _text(item.get("name")), _text(item.get("value"))
            f_path = (*here, "fields", f_index)
            if not name:
                errors.append(
                    FieldError((*f_path, "name"), "BASE_TYPE_REQUIRED", "This field is required")
                )
            if not value:
                errors.append(
                    FieldError((*f_path, "value"), "BASE_TYPE_REQUIRED", "This field is required")
                )
            _check_len(errors, name, (*f_path, "name"), MAX_FIELD_NAME)
            _check_len(errors, value, (*f_path, "value"), MAX_FIELD_VALUE)
            total += len(name) + len(value)
        footer = embed.get("footer") if isinstance(embed.get("footer"), dict) else {}
        _check_len(errors, footer.get("text"), (*here, "footer", "text"), MAX_FOOTER_TEXT)
        total += len(_text(footer.get("text")))
        author = embed.get("author") if isinstance(embed.get("author"), dict) else {}
        _check_len(errors, author.get("name"), (*here, "author", "name"), MAX_AUTHOR_NAME)
        total += len(_text(author.get("name")))
    if total > MAX_EMBED_TOTAL:
        errors.append(
            FieldError(
                base,
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
            )
        )
    return errors


def _custom_id(
    errors: list[FieldError], component: dict[str, Any], path: Path, seen: set[str]
) -> None:
    custom_id = component.get("custom_id")
    if custom_id is None:
        return
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
        errors.append(_bad_length((*path, "custom_id"), 1, MAX_CUSTOM_ID))
    elif custom_id in seen:
        errors.append(
            FieldError(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        )
    else:
        seen.add(custom_id)


def _interactive(
    errors: list[FieldError], item: dict[str, Any], path: Path, seen: set[str]
) -> None:
    kind = item.get("type")
    _custom_id(errors, item, path, seen)
    if kind == BUTTON:
        _check_len(errors, item.get("label"), (*path, "label"), MAX_BUTTON_LABEL)
        if item.get("style") == 5:
            if not item.get("url"):
                errors.append(
                    FieldError((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
                )
        elif item.get("style") != 6 and not item.get("custom_id"):
            errors.append(
                FieldError((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
            )
    elif kind in SELECTS:
        if not item.get("custom_id"):
            errors.append(
                FieldError((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
            )
        _check_len(errors, item.get("placeholder"), (*path, "placeholder"), 150)
        options = item.get("options")
        if kind == 3:
            if not isinstance(options, list) or not 1 <= len(options) <= MAX_SELECT_OPTIONS:
                errors.append(_bad_length((*path, "options"), 1, MAX_SELECT_OPTIONS))
            for o_index, option in enumerate(options if isinstance(options, list) else []):
                if not isinstance(option, dict):
                    continue
                o_path = (*path, "options", o_index)
                for key in ("label", "value", "description"):
                    _check_len(errors, option.get(key), (*o_path, key), MAX_CHOICE_TEXT)
        for key in ("min_values", "max_values"):
            value = item.get(key)
            if isinstance(value, int) and not 0 <= value <= MAX_SELECT_OPTIONS:
                errors.append(
                    FieldError(
                        (*path, key),
                        "NUMBER_TYPE_MAX",
                        f"int value should be less than or equal to {MAX_SELECT_OPTIONS}.",
                    )
                )


def _action_row(errors: list[FieldError], row: dict[str, Any], path: Path, seen: set[str]) -> None:
    children = row.get("components")
    if not isinstance(children, list) or not 1 <= len(children) <= MAX_ROW_COMPONENTS:
        errors.append(_bad_length((*path, "components"), 1, MAX_ROW_COMPONENTS))
        children = children if isinstance(children, list) else []
    kinds = [c.get("type") for c in children if isinstance(c, dict)]
    if any(k in SELECTS for k in kinds) and len(kinds) > 1:
        errors.append(
            FieldError(
                (*path, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        )
    for index, child in enumerate(children):
        if isinstance(child, dict):
            _interactive(errors, child, (*path, "components", index), seen)


def _walk_components(
    errors: list[FieldError], items: list[Any], path: Path, seen: set[str]
) -> None:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        here = (*path, index)
        if item.get("type") == ACTION_ROW:
            _action_row(errors, item, here, seen)
        elif isinstance(item.get("components"), list):
            _walk_components(errors, item["components"], (*here, "components"), seen)
        if isinstance(item.get("accessory"), dict):
            _interactive(errors, item["accessory"], (*here, "accessory"), seen)


def component_errors(components: Any, base: Path, flags: int = 0) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(components, list):
        return errors
    if not flags & COMPONENTS_V2_FLAG:
        _check_len(errors, components, base, MAX_ACTION_ROWS)
        for index, row in enumerate(components):
            if isinstance(row, dict) and row.get("type") != ACTION_ROW:
                errors.append(
                    FieldError(
                        (*base, index, "type"),
                        "UNION_TYPE_CHOICES",
                        'Value of field "type" must be one of (1,).',
                    )
                )
    _walk_components(errors, components, base, set())
    return errors


def message_errors(body: Any, base: Path = ()) -> list[FieldError]:
    """Limits for anything that creates or edits a message."""
    if not isinstance(body, dict):
        return []
    errors: list[FieldError] = []
    _check_len(errors, body.get("content"), (*base, "content"), MAX_CONTENT)
    errors += embed_errors(body.get("embeds"), (*base, "embeds"))
    flags = body.get("flags") if isinstance(body.get("flags"), int) else 0
    errors += component_errors(body.get("components"), (*base, "components"), flags)
    return errors


def is_empty_message(body: Any, file_count: int) -> bool:
    if file_count:
        return False
    if not isinstance(body, dict):
        return True
    keys = ("content", "embeds", "components", "sticker_ids", "poll", "attachments")
    return not any(body.get(key) for key in keys)


def autocomplete_errors(data: Any, base: Path) -> list[FieldError]:
    errors: list[FieldError] = []
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list):
        return errors
    _check_len(errors, choices, (*base, "choices"), MAX_AUTOCOMPLETE_CHOICES)
    for index, choice in enumerate(choices):
        if not isinstance(choice, dict):
            continue
        here = (*base, "choices", index)
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_CHOICE_TEXT:
            errors.append(_bad_length((*here, "name"), 1, MAX_CHOICE_TEXT))
        value = choice.get("value")
        if isinstance(value, str) and len(value) > MAX_CHOICE_TEXT:
            errors.append(_too_long((*here, "value"), MAX_CHOICE_TEXT))
    return errors


def modal_errors(data: Any, base: Path) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(data, dict):
        return errors
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= MAX_MODAL_TITLE:
        errors.append(_bad_length((*base, "title"), 1, MAX_MODAL_TITLE))
    seen: set[str] = set()
    _custom_id(errors, data, base, seen)
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= 5:
        errors.append(_bad_length((*base, "components"), 1, 5))
        return errors
    for index, item in enumerate(components):
        if not isinstance(item, dict):
            continue
        here = (*base, "components", index)
        inner = (
            item.get("components") if item.get("type") == ACTION_ROW else [item.get("component")]
        )
        if item.get("type") == LABEL:
            _check_len(errors, item.get("label"), (*here, "label"), MAX_MODAL_TITLE)
        for child in inner or []:
            if not isinstance(child, dict):
                continue
            _custom_id(errors, child, here, seen)
            if child.get("type") == TEXT_INPUT:
                _check_len(errors, child.get("label"), (*here, "label"), MAX_MODAL_TITLE)
                _check_len(errors, child.get("placeholder"), (*here, "placeholder"), 100)
                _check_len(errors, child.get("value"), (*here, "value"), 4000)
    return errors


def scheduled_event_errors(body: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(body, dict):
        return errors
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= MAX_EVENT_NAME):
        errors.append(_bad_length(("name",), 1, MAX_EVENT_NAME))
    _check_len(errors, body.get("description"), ("description",), MAX_EVENT_DESCRIPTION)
    return errors


def thread_errors(body: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(body, dict):
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_THREAD_NAME:
            errors.append(_bad_length(("name",), 1, MAX_THREAD_NAME))
    return errors


def callback_errors(body: Any) -> list[FieldError]:
    """Limits for ``POST /interactions/{id}/{token}/callback`` by callback type."""
    if not isinstance(body, dict):
        return []
    kind, data = body.get("type"), body.get("data")
    if kind in (4, 7):
        return message_errors(data, ("data",))
    if kind == 8:
        return autocomplete_errors(data, ("data",))
    if kind == 9:
        return modal_errors(data, ("data",))
    return []
