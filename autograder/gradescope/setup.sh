#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# It unpacks the zip's contents into $AUTOGRADER_ROOT/source, so this file,
# run_autograder, pyproject.toml and the project's folders sit there side by
# side. Build the zip with `python -m autograder gradescope-zip`.
#
# Every package is installed at the version CI tested: constraints.txt, beside
# this file (made by `python .ci/lock`), so an image built months later grades
# as today's does. The last step, `python3 -m autograder selftest`, grades the
# reference, the released notebook, known mistakes and a quiz and fails the
# build on any difference: a broken image never grades a class.
#
# TORCH_PIP_ARGS: what `pip install` is given for PyTorch (without its
# dependencies, which come next from PyPI, at the constrained versions). The
# default is the CPU-only build from PyTorch's own index: Gradescope has no GPU,
# and the default Linux wheel (with CUDA) is about 3 GB. The version comes from
# constraints.txt. For another build or index:
#   TORCH_PIP_ARGS="torch --index-url https://download.pytorch.org/whl/cu126"
#   TORCH_PIP_ARGS="torch"        (PyPI's default build)
# Gradescope passes no variables to this script: bake the value into the zip
# with `python -m autograder gradescope-zip --torch-pip-args "..."`.
set -euo pipefail
AUTOGRADER_ROOT="${AUTOGRADER_ROOT:-/autograder}"
TORCH_PIP_ARGS="${TORCH_PIP_ARGS:-torch --index-url https://download.pytorch.org/whl/cpu}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
# The image is disposable: pip may install beside the system Python's own packages (PEP 668).
export PIP_BREAK_SYSTEM_PACKAGES=1

cd "$AUTOGRADER_ROOT/source"
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "setup.sh: the grader needs Python 3.10 or later: choose the Ubuntu 22.04 (or later) base image" >&2
    exit 1
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update && apt-get install -y --no-install-recommends python3-pip
fi
read -r -a torch_args <<< "$TORCH_PIP_ARGS"
if [ "${#torch_args[@]}" -eq 0 ]; then
    echo "setup.sh: TORCH_PIP_ARGS is empty; give e.g. \"torch\"" >&2
    exit 1
fi
python3 -m pip install -c constraints.txt --no-deps "${torch_args[@]}"
# The project, editable: the grader reads solutions/ and quizzes/ from this folder.
python3 -m pip install -c constraints.txt -e .
python3 -c "import torch; print('setup.sh: torch', torch.__version__, 'with CUDA' if torch.version.cuda else 'CPU-only')"
python3 -m autograder selftest
echo "setup.sh: the grader is installed in $AUTOGRADER_ROOT/source"
