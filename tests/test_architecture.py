"""The layers stay visible: storage and services know nothing of Discord; cogs build no SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def python_files(*parts: str) -> list[Path]:
    return sorted((REPO.joinpath(*parts)).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("storage"), ids=str)
def test_storage_does_not_import_discord_or_bot(path: Path) -> None:
    for name in imported_modules(path):
        assert not name.startswith(("discord", "bot", "cogs")), f"{path} imports {name}"


SERVICE_FILES = [
    path
    for path in python_files("bot")
    if path.relative_to(REPO / "bot").parts[0] not in ("ui", "cli", "app.py", "__main__.py")
]


@pytest.mark.parametrize("path", SERVICE_FILES, ids=str)
def test_services_do_not_import_discord(path: Path) -> None:
    for name in imported_modules(path):
        assert not name.startswith(("discord", "cogs", "bot.ui")), f"{path} imports {name}"


@pytest.mark.parametrize("path", python_files("cogs"), ids=str)
def test_cogs_build_no_queries(path: Path) -> None:
    for name in imported_modules(path):
        assert not name.startswith(("sqlalchemy", "sqlmodel", "storage.repositories")), (
            f"{path} imports {name}"
        )
