"""The lock files pin every dependency that pyproject.toml names, so `make run` and CI
install the same versions (`make lock` renews them)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pinned(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {
        name.lower().replace("_", "-"): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", text, re.M)
    }


def test_every_dependency_is_pinned_with_hashes_in_the_lock_files() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    dev = {_name(r) for r in project["optional-dependencies"]["dev"]}
    run_lock, dev_lock = _pinned("run.txt"), _pinned("dev.txt")
    assert runtime <= run_lock.keys(), runtime - run_lock.keys()
    assert runtime | dev <= dev_lock.keys(), (runtime | dev) - dev_lock.keys()
    # The runtime versions are the same in both files.
    assert {name: dev_lock[name] for name in run_lock} == run_lock
    for lock in ("run.txt", "dev.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        pins = [block for block in re.split(r"\n(?=[A-Za-z0-9])", text) if "==" in block]
        assert pins and all("--hash=sha256:" in pin for pin in pins)
        assert "file://" not in text
