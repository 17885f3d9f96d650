"""``python -m bot export`` and ``python -m bot import`` on the embedded database, offline."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import SHARED_DIR
from tests.test_cli import one_line, run_bot

README = SHARED_DIR / "examples" / "schedule-readme.md"


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "DEFAULT_TIMEZONE": "Europe/Berlin",
        "LOG_LEVEL": "WARNING",
    }


def test_import_then_export_then_import_again(tmp_path: Path) -> None:
    env = _env(tmp_path)
    preview = run_bot(tmp_path, "import", "--guild", "7", str(README), "--dry-run", **env)
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.startswith("Sessions: 35 would be created")
    assert "⚠ line 9: the Code column holds text, not a link; read as a comment" in preview.stdout
    assert preview.stdout.rstrip().endswith("dry run: nothing was written")

    empty = run_bot(tmp_path, "export", "--guild", "7", "--no-reading-list", **env)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.count("\n| ") == 2  # header and alignment only: the dry run wrote nothing

    imported = run_bot(tmp_path, "import", "--guild", "7", str(README), **env)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("Sessions: 35 created, 0 updated, 0 unchanged.")
    assert "line 40: created 24.02.2025 · RLHF Block. Part 4." in imported.stdout

    out = tmp_path / "schedule.md"
    exported = run_bot(tmp_path, "export", "--guild", "7", "--out", str(out), **env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stderr.strip() == f"wrote 35 sessions and 6 reading-list topics to {out}"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# multimodal-reading-group\n\n---\n| Date | Paper | Authors |")
    assert "| 01.02.2024 | [Visual Instruction Tuning](https://arxiv.org/abs/2304.08485) |" in text
    assert "Gu, Goel, R\u00c3\u00a9" in text

    again = run_bot(tmp_path, "import", "--guild", "7", str(out), **env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Sessions: 0 created, 0 updated, 35 unchanged.")

    ranged = run_bot(
        tmp_path, "export", "--guild", "7", "--since", "2025-02-01", "--until", "21.02.2025",
        "--no-reading-list", **env,
    )  # fmt: skip
    assert ranged.returncode == 0, ranged.stderr
    rows = [line for line in ranged.stdout.splitlines() if re.match(r"^\| \d\d\.", line)]
    assert [r.split(" | ")[0] for r in rows] == ["| 07.02.2025", "| 14.02.2025", "| 21.02.2025"]
    assert "<details>" not in ranged.stdout

    upcoming = run_bot(tmp_path, "export", "--guild", "7", "--upcoming", **env)
    assert upcoming.returncode == 0
    assert "| 01.02.2024 |" not in upcoming.stdout  # the README's sessions are all over


def test_one_line_errors(tmp_path: Path) -> None:
    env = _env(tmp_path)
    (tmp_path / "latin1.md").write_bytes(
        "| Date | Paper |\n| --- | --- |\n| Café |".encode("latin-1")
    )
    (tmp_path / "notes.md").write_text("# Notes\n\nNothing to see.\n", encoding="utf-8")
    cases = [
        (("import", "--guild", "7", "missing.md"), "error: cannot read missing.md: No such file or directory"),
        (("import", "--guild", "7", "latin1.md"), "error: latin1.md: The file is not UTF-8 text"),
        (("import", "--guild", "7", "notes.md"), "error: notes.md: This file is not a schedule"),
        (("export", "--guild", "7", "--since", "31.02.2025"), "error: --since: '31.02.2025' is not a date that exists"),
        (("export", "--guild", "7", "--since", "2025-03-01", "--until", "2025-02-01"), "error: The date range is empty"),
        (("export", "--guild", "7", "--out", str(tmp_path / "no" / "dir" / "x.md")), "error: cannot write"),
    ]  # fmt: skip
    for args, start in cases:
        result = run_bot(tmp_path, *args, **env)
        assert result.returncode == 1, (args, result.stderr)
        assert one_line(result).startswith(start), (args, result.stderr)
    listed = run_bot(tmp_path, "export", "--guild", "7", **env)
    assert listed.returncode == 0 and listed.stdout.count("\n| ") == 2  # nothing was written


def test_import_refusals_dry_runs_and_overwrite(tmp_path: Path) -> None:
    import sqlite3

    env = _env(tmp_path)
    bad_guild = run_bot(tmp_path, "import", "--guild", "abc", str(README), **env)
    assert bad_guild.returncode == 2
    assert one_line(bad_guild).startswith("error: python -m bot import: argument --guild: 'abc'")

    dry = run_bot(tmp_path, "import", "--guild", "7", str(README), "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        for table in ("guild_settings", "reading_sessions", "papers", "reading_topics"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table

    assert run_bot(tmp_path, "import", "--guild", "7", str(README), **env).returncode == 0
    edited = tmp_path / "edited.md"
    edited.write_text(
        README.read_text(encoding="utf-8").replace("Code Reading Group", "Code Reading Club"),
        encoding="utf-8",
    )
    kept = run_bot(tmp_path, "import", "--guild", "7", str(edited), **env)
    assert kept.returncode == 0, kept.stderr
    assert "1 in conflict" in kept.stdout
    assert (
        "line 25: conflict 02.07.2024 · Code Reading Group — title: the file says "
        "'Code Reading Club', the server keeps 'Code Reading Group'"
    ) in kept.stdout
    assert kept.stdout.rstrip().endswith("import again with --overwrite to replace them")
    replaced = run_bot(tmp_path, "import", "--guild", "7", str(edited), "--overwrite", **env)
    assert replaced.returncode == 0, replaced.stderr
    assert "line 25: updated 02.07.2024 · Code Reading Club (title)" in replaced.stdout
