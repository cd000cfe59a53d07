"""Nothing students receive answers a graded function: every function and class they get is graded.

Students get ``exercises/`` (the stubs, the visible checks and their helpers, the conftest) and
the release notebook (the same stubs and helpers in its cells, the visible-check runner). Each
function, class and method defined there is bound, in a submission of its own built from the
stubs and every helper, to each graded name whose call it accepts (``SimpleRNN``, its
``__init__`` and ``forward``, ``training_step``, ``train``, ``predict``, ``rnn_forward_manual``,
``hidden_gradient_norms``, ``gradient_factors``), and the judge grades the lot: not one graded
check may pass. A stub left as it is earns nothing either, and the reference's own
``hidden_gradient_norms`` bound the same way earns its checks (so the harness can fail).

Functions nested inside others (the visible checks' stand-ins that look up stored numbers) are
reached through the function that defines them: they know only the visible case's data.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import nbformat
import pytest

from autograder import paths
from autograder.nbgrader_course import visible
from autograder.nbgrader_course.notebook import SOURCE_NOTEBOOK
from tests.conftest import ROOT
from tests.grader.common import STUBS, by_check, failed, grade_all, write_variants

EXERCISES = ROOT / "exercises"
# The graded names, and an argument list each is called with (placeholders: only binding matters).
FUNCTION_ROLES = {
    "training_step": ((1, 2, 3, 4, 5), {"max_grad_norm": None}),
    "train": ((1, 2, 3), {"epochs": 1, "lr": 0.1, "max_grad_norm": None, "device": None}),
    "predict": ((1, 2), {}),
    "rnn_forward_manual": ((1, 2, 3, 4, 5), {"h0": None}),
    "hidden_gradient_norms": ((1, 2, 3), {}),
    "gradient_factors": ((1, 2, 3), {}),
}
METHOD_ROLES = {"__init__": ((0, 1, 2, 3), {}), "forward": ((0, 1), {})}  # self first
CLASS_ROLE = ((1, 2, 3), {})  # SimpleRNN(input_size, hidden_size, output_size)


def _conftest_source() -> str:
    """exercises/conftest.py as one more module of definitions (its _feedback import is the helpers')."""
    text = (EXERCISES / "conftest.py").read_text(encoding="utf-8")
    tree = ast.parse(text)
    lines = text.splitlines()
    drop = {n for node in tree.body if isinstance(node, ast.ImportFrom) and node.module == "_feedback"
            for n in range(node.lineno, node.end_lineno + 1)}
    drop |= {n for node in tree.body if isinstance(node, ast.ImportFrom) and node.module == "__future__"
             for n in range(node.lineno, node.end_lineno + 1)}
    return "\n".join(line for number, line in enumerate(lines, start=1) if number not in drop) + "\n"


def _release_notebook_sources() -> list[str]:
    """The release notebook's code as students get it: every cell but the answers (their stubs are
    exercises/rnn.py's) and the hidden checks (empty in the release)."""
    notebook = nbformat.read(SOURCE_NOTEBOOK, as_version=4)
    found = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and not meta.get("solution") and not meta.get("grade") \
                and "quiz-answers" not in cell.metadata.get("tags", []):
            found.append(cell.source)
    return found


def helper_source() -> str:
    """Every definition students receive besides the stubs, runnable after the stubs' imports."""
    sources = visible.read_sources(EXERCISES)
    parts = [visible.helper_cell(sources), _conftest_source(), *_release_notebook_sources()]
    return "\n\n".join(parts)


def _definitions(source: str) -> list[str]:
    """Qualified names of the functions, classes and methods defined at the top of ``source``
    (a class's methods as ``Class.method``)."""
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef):
            names.append(node.name)
            names += [f"{node.name}.{m.name}" for m in node.body if isinstance(m, ast.FunctionDef)]
    return names


def _accepts(obj, call) -> bool:
    args, kwargs = call
    try:
        inspect.signature(obj).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return False
    return True


def _namespace(helpers: str) -> dict:
    namespace: dict = {"__name__": "leak_check", "__file__": str(EXERCISES / "rnn.py")}
    exec(compile(STUBS.replace("from __future__ import annotations\n", "") + "\n" + helpers,  # noqa: S102
                 "helpers", "exec"), namespace)
    return namespace


def _candidates(namespace: dict, names: list[str]):
    """(expression, the callable it gives): each definition, and an instance of each class that
    can be made without arguments and is called (a stand-in, say)."""
    for name in names:
        owner, _, member = name.partition(".")
        obj = getattr(namespace[owner], member) if member else namespace[owner]
        if callable(obj):
            yield name, obj
        if inspect.isclass(obj) and "__call__" in vars(obj) and _accepts(obj, ((), {})):
            yield f"{name}()", obj()


def submissions(helpers: str) -> dict[str, str]:
    """name -> a submission: the stubs, every helper, and one helper bound to every graded name of
    one kind (functions, SimpleRNN's methods, or SimpleRNN itself) whose call it accepts."""
    namespace = _namespace(helpers)
    stub_names = set(_definitions(STUBS))
    names = [n for n in dict.fromkeys(_definitions(helpers)) if n not in stub_names]
    found = {}
    for expression, obj in _candidates(namespace, names):
        function = inspect.isfunction(obj)
        bindings = {
            "functions": [f"{role} = {expression}" for role, call in FUNCTION_ROLES.items() if _accepts(obj, call)],
            "methods": [f"SimpleRNN.{role} = {expression}" for role, call in METHOD_ROLES.items()
                        if function and _accepts(obj, call)],
            "class": [f"SimpleRNN = {expression}"] if _accepts(obj, CLASS_ROLE) else [],
        }
        key = expression.replace(".", "__").replace("()", "_instance")
        for kind, lines in bindings.items():
            if lines:
                found[f"{key}__as_{kind}"] = "\n".join(lines)
    return {key: STUBS + "\n\n# --- what students receive ---\n" + helpers + "\n\n# --- bound ---\n" + lines + "\n"
            for key, lines in found.items()}


def _reference_norms() -> str:
    """The reference's hidden_gradient_norms, as a helper of its own (the control: it must earn)."""
    solution = paths.SOLUTION_FILE.read_text(encoding="utf-8")
    tree = ast.parse(solution)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "hidden_gradient_norms")
    source = textwrap.dedent(ast.get_source_segment(solution, node))
    return source.replace("def hidden_gradient_norms(", "def _a_pasted_answer(", 1)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    helpers = helper_source()
    variants = submissions(helpers)
    variants["stubs_alone"] = STUBS
    control = helpers + "\n\n" + _reference_norms()
    variants["control__as_functions"] = STUBS + "\n\n" + control + "\n\nhidden_gradient_norms = _a_pasted_answer\n"
    folder = tmp_path_factory.mktemp("received")
    write_variants(folder, variants)
    return variants, grade_all(folder, tmp_path_factory.mktemp("received-out"))


def test_every_kind_of_definition_students_receive_is_bound():
    variants = submissions(helper_source())
    bound = "\n".join(variants.values())
    # the visible checks' models, the data helpers, the runner, the conftest's feedback: all reached
    for name in ("FixedLayers.forward", "_MeanPool", "_data", "fill_fixed", "_stored_stand_ins", "_run_manual",
                 "friendly", "_attach_layers", "_Recorder()", "_ThisNotebook.__getattr__"):
        assert f"= {name}\n" in bound, name
    assert len(variants) >= 50


@pytest.mark.slow
def test_nothing_students_receive_earns_a_graded_check(graded):
    variants, results = graded
    assert set(results) == set(variants)
    for name, result in results.items():
        if name.startswith("control"):
            continue
        assert result["extra_data"]["status"] == "graded", (name, result["output"][:500])
        outputs = [t["output"] for t in by_check(result).values()]
        assert not any("could not be loaded" in o for o in outputs), (name, outputs[0])
        earned = {c: t["output"] for c, t in by_check(result).items() if t["status"] == "passed"}
        assert not earned, (name, earned)


@pytest.mark.slow
def test_a_pasted_answer_is_caught_by_the_same_harness(graded):
    _, results = graded
    assert {"bptt.shape", "bptt.values"} <= set(by_check(results["control__as_functions"])) - failed(
        results["control__as_functions"])
