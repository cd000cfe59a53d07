from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from autograder.gradescope import bundle
from tests.lms.conftest import cli  # noqa: F401  (the same in-process CLI runner)


def unpack_like_gradescope(zip_path: Path, root: Path) -> Path:
    """The /autograder tree Gradescope makes: the zip's contents in source/, run_autograder
    copied beside it, empty submission/ and results/. Returns the root."""
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = root / "source" / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod(stat.S_IMODE(info.external_attr >> 16))
    runner = root / "run_autograder"
    runner.write_bytes((root / "source" / "run_autograder").read_bytes())
    runner.chmod(0o755)
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zip") / "autograder.zip"
    bundle.build(out)
    return out

