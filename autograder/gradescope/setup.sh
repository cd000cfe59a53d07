#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# It unpacks the zip's contents into $AUTOGRADER_ROOT/source, so this file,
# run_autograder, pyproject.toml and the project's folders sit there side by
# side. Build the zip with `python -m autograder gradescope-zip`.
#
# TORCH_PIP_ARGS: what `pip install` is given for PyTorch. The default is the
# CPU-only build from PyTorch's own index: Gradescope has no GPU, and the
# default Linux wheel (with CUDA) is about 3 GB. For another build or index:
#   TORCH_PIP_ARGS="torch==2.5.1 --index-url https://download.pytorch.org/whl/cpu"
#   TORCH_PIP_ARGS="torch>=2.2"        (PyPI's default build)
# Gradescope passes no variables to this script: bake the value into the zip
# with `python -m autograder gradescope-zip --torch-pip-args "..."`.
set -euo pipefail
AUTOGRADER_ROOT="${AUTOGRADER_ROOT:-/autograder}"
TORCH_PIP_ARGS="${TORCH_PIP_ARGS:-torch>=2.2 --index-url https://download.pytorch.org/whl/cpu}"
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
    echo "setup.sh: TORCH_PIP_ARGS is empty; give e.g. \"torch>=2.2\"" >&2
    exit 1
fi
python3 -m pip install "${torch_args[@]}"
# The project, editable: the grader reads solutions/ and quizzes/ from this folder.
python3 -m pip install -e .
python3 -c "import torch; print('setup.sh: torch', torch.__version__, 'with CUDA' if torch.version.cuda else 'CPU-only')"
python3 -m autograder grade --help >/dev/null
echo "setup.sh: the grader is installed in $AUTOGRADER_ROOT/source"
