"""Packaging: bounded dependencies, a lock that pins them all, and a Docker image built on
the Python CI tests with its dependency layer ahead of the code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent


def project() -> dict[str, object]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def requirements() -> list[Requirement]:
    meta = project()
    listed = [*meta["dependencies"], *meta["optional-dependencies"]["test"]]  # type: ignore[index]
    return [Requirement(text) for text in listed]


def locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        found = re.match(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", line)
        if found:
            pins[canonicalize_name(found.group(1))] = Version(found.group(2))
    return pins


def test_every_dependency_has_an_upper_bound() -> None:
    for requirement in requirements():
        if requirement.name == "tzdata":  # its version is the year of the data
            continue
        uppers = [s for s in requirement.specifier if s.operator in ("<", "<=", "~=", "==")]
        assert uppers, f"{requirement} has no upper bound"


def test_the_lock_pins_every_dependency_within_its_bounds() -> None:
    pins = locked()
    for requirement in requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside {requirement}"
        )
    header = (REPO / "requirements.lock").read_text(encoding="utf-8")[:400]
    assert "pip-compile" in header and "Python 3.11" in header and "--extra=test" in header


def test_dockerfile_installs_the_locked_dependencies_before_the_code() -> None:
    lines = [
        line.strip()
        for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    # the Python the lock was resolved for, which is the one CI tests
    found = re.search(
        r"pip-compile with Python (\d+\.\d+)", (REPO / "requirements.lock").read_text()
    )
    assert found is not None
    assert lines[0] == f"FROM python:{found.group(1)}-slim"
    index = {line: i for i, line in enumerate(lines)}

    def first(prefix: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(prefix))

    deps = first('RUN python -c "import tomllib')
    assert index["COPY pyproject.toml requirements.lock ./"] < deps
    assert "pip install -c requirements.lock -r" in " ".join(lines[deps : deps + 3])
    code = first("COPY bot ")
    assert deps < code < first("RUN pip install --no-deps .")
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert lines[-1] == 'CMD ["python", "-m", "bot"]'


def test_ci_installs_from_the_lock() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --quiet -c requirements.lock -e '.[test]'" in ci
