"""constraints.txt pins what CI tested and follows pyproject.toml (`python .ci/lock` makes it again)."""

from __future__ import annotations

import importlib.machinery
import importlib.util

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT


def _load_lock_tool():
    loader = importlib.machinery.SourceFileLoader("ci_lock", str(ROOT / ".ci" / "lock"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("ci_lock", loader))
    loader.exec_module(module)
    return module


lock = _load_lock_tool()
LOCK_TEXT = (ROOT / "constraints.txt").read_text(encoding="utf-8")
PYPROJECT_TEXT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
PYTHONS = ("3.10", "3.11", "3.12", "3.13")  # pyproject.toml's requires-python


def _on_linux(python: str) -> dict:
    return {"python_version": python, "python_full_version": f"{python}.0", "sys_platform": "linux",
            "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
            "implementation_name": "cpython", "platform_python_implementation": "CPython"}


def test_constraints_follow_pyproject():
    assert lock.check(LOCK_TEXT, PYPROJECT_TEXT) == []


@pytest.mark.parametrize("edit", [
    ('"rich>=13",', '"rich>=14",'),  # a floor raised
    ('"lxml>=5",  # every quiz export', '"lxml>=5",  # every quiz export\n    "httpx>=0.27",'),  # a new dependency
    ('requires-python = ">=3.10,<3.14"', 'requires-python = ">=3.11,<3.14"'),
])
def test_a_dependency_change_without_a_new_lock_fails(edit):
    old, new = edit
    assert old in PYPROJECT_TEXT
    problems = lock.check(LOCK_TEXT, PYPROJECT_TEXT.replace(old, new, 1))
    assert problems and "run `python .ci/lock`" in problems[0]


def test_a_change_elsewhere_in_pyproject_needs_no_new_lock():
    assert lock.check(LOCK_TEXT, PYPROJECT_TEXT.replace("line-length = 110", "line-length = 100")) == []


def test_every_line_is_an_exact_pin():
    found = lock.pins(LOCK_TEXT)
    assert len(found) > 100 and {"torch", "ipython", "numpy", "nbgrader", "distributed", "pyjwt"} <= {
        name for name, _, _ in found}
    with pytest.raises(ValueError, match="not an exact pin"):
        lock.pins(LOCK_TEXT + "\nipython>=9\n")


@pytest.mark.parametrize("python", PYTHONS)
def test_each_python_gets_one_pin_per_package_inside_every_declared_range(python):
    environment = _on_linux(python)
    chosen: dict[str, str] = {}
    for name, version, marker in lock.pins(LOCK_TEXT):
        if lock.applies(marker, environment):
            assert name not in chosen, f"{name} pinned twice for Python {python}"
            chosen[name] = version
    project = lock._toml(PYPROJECT_TEXT)["project"]
    declared = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    for text in declared:
        requirement = Requirement(text)
        name = lock.normalize(requirement.name)
        if name in lock.NOT_PINNED or (requirement.marker and not requirement.marker.evaluate(environment)):
            continue
        assert name in chosen, f"{name} is declared but not pinned for Python {python}"
        assert requirement.specifier.contains(chosen[name], prereleases=True), (python, text, chosen[name])
