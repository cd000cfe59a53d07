"""``python -m autograder gradescope-zip``: the zip to upload as Gradescope's autograder."""

from __future__ import annotations

from pathlib import Path

from . import UsageError

HELP = "build the Gradescope autograder zip (setup.sh, run_autograder and the project at its root)"
DESCRIPTION = """\
Build the zip to upload in Gradescope (Configure Autograder > Zip file upload;
base image Ubuntu 22.04 or later, for Python 3.10+).

Gradescope unpacks the zip's contents into /autograder/source, so setup.sh,
run_autograder, pyproject.toml, README.md, constraints.txt and the folders grading needs
(autograder/, quizzes/, solutions/, exercises/) sit at the zip's root. Caches,
dot-files and the project's tests stay out; every entry has a fixed date, so
the same files always give the same zip.

setup.sh installs every package at the version CI tested (constraints.txt):
PyTorch first, as its CPU-only build (Gradescope has no GPU; the default Linux
wheel is about 3 GB), then the project; last, `python3 -m autograder selftest`
fails the image's build if grading is not right there. --torch-pip-args sets
another default for its TORCH_PIP_ARGS (the build and its index; the version
is constraints.txt's), e.g.
  --torch-pip-args "torch --index-url https://download.pytorch.org/whl/cu126"
run_autograder grades $AUTOGRADER_ROOT/submission (default /autograder) into
results/results.json.

Run it from a clone of the project (pip install -e .).
"""


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="autograder.zip", metavar="ZIP",
                        help="the zip to write (default %(default)s; replaced)")
    parser.add_argument("--torch-pip-args", metavar="ARGS",
                        help="pip arguments for PyTorch baked into setup.sh (default: the CPU-only build "
                             "from https://download.pytorch.org/whl/cpu)")


def run(args) -> int:
    import sys

    from ..gradescope import bundle

    out = Path(args.out)
    if out.suffix != ".zip":
        raise UsageError(f"--out {out}: give a file name ending in .zip")
    if out.is_dir() or not out.absolute().parent.is_dir():
        raise UsageError(f"--out {out}: give a .zip file in an existing folder")
    try:
        made = bundle.build(out.absolute(), args.torch_pip_args)
    except bundle.BundleError as exc:
        print(f"gradescope-zip: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"gradescope-zip: cannot write {out} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    print(f"gradescope-zip: wrote {out}: {len(made.entries)} files, {made.size / 1024:.0f} KiB, "
          f"sha256 {made.sha256}")
    print("gradescope-zip: upload it in Gradescope: Configure Autograder > Zip file upload "
          "(base image Ubuntu 22.04 or later), then test with a known submission")
    return 0
