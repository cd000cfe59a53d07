"""``python -m autograder gradescope-zip``: the zip to upload as Gradescope's autograder."""

from __future__ import annotations

from pathlib import Path

from . import UsageError

HELP = "build the Gradescope autograder zip (setup.sh, run_autograder and the project at its root)"
DESCRIPTION = """\
Build the zip to upload in Gradescope (Configure Autograder > Zip file upload;
base image Ubuntu 22.04 or later, for Python 3.10+).

Gradescope unpacks the zip's contents into /autograder/source, so setup.sh,
run_autograder, pyproject.toml, README.md, constraints.txt and what grading
needs sit at the zip's root. The zip is built from an allow-list: the Python code of
autograder/ and quizzes/, quizzes/bank.toml and solutions/rnn.py; nothing else
(no sample submission, no test, no cache). A file that looks like a private
key or a roster (by its name or its content), an LTI platform.toml for
instance, is never packed, and a warning names it; if grading needs that file,
nothing is written. Every entry has a fixed date, so the same files always
give the same zip.

setup.sh installs every package at the version CI tested (constraints.txt):
PyTorch first, as its CPU-only build (Gradescope has no GPU; the default Linux
wheel is about 3 GB), then the project; last, `python3 -m autograder selftest`
fails the image's build if grading is not right there. --torch-pip-args sets
another default for its TORCH_PIP_ARGS (the build and its index; the version
is constraints.txt's), e.g.
  --torch-pip-args "torch --index-url https://download.pytorch.org/whl/cu126"
run_autograder grades $AUTOGRADER_ROOT/submission (default /autograder) into
results/results.json, with the quiz's tests visible to students only after the
due date (--quiz-visibility changes it), and always writes that file: when the
grader cannot run at all, the student gets 0 and a message that the course
staff see the failure, and the reason is in a test only the staff see.

Run it from a clone of the project (pip install -e .).
"""


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="autograder.zip", metavar="ZIP",
                        help="the zip to write (default %(default)s; replaced)")
    parser.add_argument("--quiz-visibility", choices=("after_due_date", "after_published", "hidden",
                                                      "visible"),
                        help="when students see their quiz results on Gradescope (the quiz tests' "
                             "visibility), baked into run_autograder. Default after_due_date: with "
                             "unlimited resubmissions, visible results would let a student find the key by "
                             "trial")
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
        made = bundle.build(out.absolute(), args.torch_pip_args, quiz_visibility=args.quiz_visibility)
    except bundle.BundleError as exc:
        print(f"gradescope-zip: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"gradescope-zip: cannot write {out} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    for line in made.refused:
        print(f"gradescope-zip: WARNING: not in the zip: {line}", file=sys.stderr)
    if made.refused:
        print("gradescope-zip: keep keys and rosters outside the project folder (or at least out of git: "
              ".gitignore covers the README's own file names)", file=sys.stderr)
    print(f"gradescope-zip: wrote {out}: {len(made.entries)} files, {made.size / 1024:.0f} KiB, "
          f"sha256 {made.sha256}")
    print("gradescope-zip: upload it in Gradescope: Configure Autograder > Zip file upload "
          "(base image Ubuntu 22.04 or later), then test with a known submission")
    return 0
