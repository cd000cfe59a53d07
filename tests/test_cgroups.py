"""Cgroup handling on simulated hierarchies: v2 delegated, v1 memory+pids, and ones that cannot be
used (no controllers, not writable), which full mode must then refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.sandbox.cgroups import CgroupTree, CgroupUnavailable, own_cgroups


def _proc(tmp_path: Path, text: str) -> str:
    path = tmp_path / "self-cgroup"
    path.write_text(text)
    return str(path)


def _v2(tmp_path: Path, controllers: str = "cpu memory pids", enabled: str = "memory pids") -> Path:
    root = tmp_path / "fs"
    own = root / "grading.slice" / "grader.service"
    own.mkdir(parents=True)
    (root / "cgroup.controllers").write_text(controllers)
    (own / "cgroup.controllers").write_text(controllers)
    (own / "cgroup.subtree_control").write_text(enabled)
    return root


def test_own_cgroups_reads_both_layouts(tmp_path):
    found = own_cgroups(_proc(tmp_path, "0::/grading.slice/grader.service\n4:memory:/a\n8:pids:/b\n"))
    assert found == {"": "/grading.slice/grader.service", "memory": "/a", "pids": "/b"}


def test_v2_delegated_memory_and_pids_limit_every_process_of_a_worker(tmp_path):
    root = _v2(tmp_path)
    tree = CgroupTree.create(str(root), _proc(tmp_path, "0::/grading.slice/grader.service\n"), tag="t")
    base = root / "grading.slice" / "grader.service" / "t"
    assert tree.version == 2 and (base / "cgroup.subtree_control").read_text() == "+memory +pids"
    group = tree.child(512 << 20, 64)
    assert group.dirs[""] == base / "w1"
    assert (group.dirs[""] / "memory.max").read_text() == str(512 << 20)
    assert (group.dirs[""] / "pids.max").read_text() == "64"
    (group.dirs[""] / "cgroup.kill").write_text("")  # the kernel makes it; killing writes 1 to it
    assert group.kill() == 0 and (group.dirs[""] / "cgroup.kill").read_text() == "1"


def test_v2_without_delegated_controllers_is_refused(tmp_path):
    root = _v2(tmp_path, controllers="cpu io")
    with pytest.raises(CgroupUnavailable, match="does not offer memory and pids"):
        CgroupTree.create(str(root), _proc(tmp_path, "0::/grading.slice/grader.service\n"), tag="t")


def test_v1_memory_and_pids(tmp_path):
    root = tmp_path / "fs"
    for controller, own in (("memory", "a/b"), ("pids", "")):
        (root / controller / own).mkdir(parents=True, exist_ok=True)
    tree = CgroupTree.create(str(root), _proc(tmp_path, "4:memory:/a/b\n8:pids:/\n0::/\n"), tag="t")
    assert tree.version == 1
    group = tree.child(256 << 20, 32)
    assert (group.dirs["memory"] / "memory.limit_in_bytes").read_text() == str(256 << 20)
    assert (group.dirs["pids"] / "pids.max").read_text() == "32"
    assert group.dirs["memory"].parent == root / "memory" / "a" / "b" / "t"  # beneath our own cgroup only


def test_a_hierarchy_that_cannot_be_written_is_refused_with_the_reason(tmp_path):
    root = tmp_path / "fs"
    (root / "memory" / "a").mkdir(parents=True)
    (root / "pids").mkdir()
    (root / "memory" / "a" / "t").write_text("a file where our cgroup would go")
    with pytest.raises(CgroupUnavailable) as refused:
        CgroupTree.create(str(root), _proc(tmp_path, "4:memory:/a\n8:pids:/\n"), tag="t")
    assert "not writable" in str(refused.value) and "no cgroup v2" in str(refused.value)
