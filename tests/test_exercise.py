"""The exercise: one source, derived stubs, and visible tests that judge both ways."""

from __future__ import annotations

import json
import re

import pytest
import torch

from autograder import derived, paths, stubgen
from tests.conftest import ROOT, run
from tests.variants import CORRECT, INLINE_TRAIN, SOLUTION, edit

VISIBLE_TESTS = 13  # parametrised cases included

STEP_TAIL = """    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
"""

# Mistakes, each with the visible test that must catch it.
MISTAKES = {
    "no_batch_first": (
        edit(("        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)",
              "        self.rnn = nn.RNN(input_size, hidden_size)")),
        "test_init_builds_the_layers",
    ),
    "first_time_step": (edit(("return self.fc(out[:, -1, :])", "return self.fc(out[:, 0, :])")),
                        "test_forward_reads_the_last_time_step"),
    "squeeze": (edit(("return self.fc(out[:, -1, :])", "return self.fc(out[:, -1, :]).squeeze()")),
                "test_forward_output_shape[1-5]"),
    "h0_on_cpu": (edit(("device=x.device, dtype=x.dtype", "dtype=x.dtype")),
                  "test_forward_keeps_h0_on_the_input_device"),
    "loss_tensor": (edit(("    return loss.item()", "    return loss")),
                    "test_training_step_returns_the_loss_as_a_float"),
    "no_step": (edit(("    optimizer.step()\n    return loss.item()", "    return loss.item()")),
                "test_training_step_updates_the_parameters"),
    "clip_after_step": (
        edit((STEP_TAIL, """    optimizer.step()
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
""")),
        "test_training_step_clips_the_gradient_norm",
    ),
    "train_returns_none": (edit(("    return [\n        training_step", "    [\n        training_step")),
                           "test_train_returns_one_float_per_epoch"),
    "train_ignores_lr": (edit(("optimizer = torch.optim.Adam(model.parameters(), lr=lr)", "optimizer = torch.optim.Adam(model.parameters(), lr=1e-6)")),
                         "test_train_lowers_the_loss_on_the_task"),
    "predict_logits": (edit(("        return model(inputs).argmax(dim=1)", "        return model(inputs)")),
                       "test_predict_returns_class_indices"),
    "predict_train_mode": (edit(("    model.eval()\n", "")),
                           "test_predict_uses_eval_mode_without_gradients"),
}


@pytest.fixture(scope="module")
def visible_results(tmp_path_factory):
    """Visible-test outcomes for the solution, the stubs and every variant, in one process."""
    folder = tmp_path_factory.mktemp("variants")
    impls = {"solution": paths.SOLUTION_FILE, "stubs": paths.EXERCISE_FILE}
    correct = {**CORRECT, "inline_train": INLINE_TRAIN}
    for name, text in {**correct, **{k: v[0] for k, v in MISTAKES.items()}}.items():
        impls[name] = folder / name / "rnn.py"
        impls[name].parent.mkdir()
        impls[name].write_text(text, encoding="utf-8")
    broken = folder / "syntax" / "rnn.py"
    broken.parent.mkdir()
    broken.write_text(SOLUTION.replace("def predict(model, inputs):", "def predict(model, inputs)"))
    impls["syntax"] = broken
    proc = run(["python", "tests/visible_runner.py", *map(str, impls.values())], timeout=600)
    payload = proc.stdout.split("@@RESULTS@@", 1)
    assert len(payload) == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    by_path = json.loads(payload[1])
    return {name: by_path[str(path)] for name, path in impls.items()}


# --- one source, derived stubs ---------------------------------------------------


def test_derived_files_match_their_source():
    for item in derived.derived_files():
        assert derived.drift(item) == "", f"{item.path} drifted: run `python -m autograder build`"


def test_build_check_reports_drift(tmp_path):
    stale = tmp_path / "rnn.py"
    stale.write_text("# edited by hand\n")
    item = derived.Derived(stale, derived._exercise_stub, paths.SOLUTION_FILE)
    assert "# edited by hand" in derived.drift(item)


def test_cli_build_check_passes_on_a_fresh_tree():
    proc = run(["python", "-m", "autograder", "build", "--check"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "up to date  exercises/rnn.py" in proc.stdout


def test_stubs_keep_everything_outside_the_regions():
    stubs = paths.EXERCISE_FILE.read_text()
    assert "### BEGIN SOLUTION" not in stubs and "clip_grad_norm_(model.parameters()" not in stubs
    assert "def make_dataset(" in stubs and "torch.Generator().manual_seed(seed)" in stubs
    for function in ["SimpleRNN.__init__", "SimpleRNN.forward", "training_step", "train", "predict"]:
        assert f'"not implemented yet: {function}"' in stubs
    regions = stubgen.find_regions(SOLUTION)
    assert [r.function for r in regions] == [
        "SimpleRNN.__init__", "SimpleRNN.forward", "training_step", "train", "predict"
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("def f():\n    # Hint: x\n    ### BEGIN SOLUTION\n    return 1\n", "rnn.py:3: ### BEGIN SOLUTION is never closed"),
        ("def f():\n    # Hint: x\n    return 1\n    ### END SOLUTION\n", "rnn.py:4: ### END SOLUTION without"),
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", "rnn.py:2: the line above"),
        ("# Hint: x\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "rnn.py:2: solution region is not inside a function"),
        ("def f():\n    # Hint: x\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
         "rnn.py:4: ### BEGIN SOLUTION inside the region opened at line 3"),
        ("def f(:\n", "rnn.py:1: not valid Python"),
        ("def f():\n    return 1\n", "no ### BEGIN SOLUTION regions"),
    ],
)
def test_malformed_source_names_file_and_line(text, message):
    with pytest.raises(stubgen.SourceError) as caught:
        stubgen.make_stubs(text, "solutions/rnn.py")
    assert str(caught.value).startswith("solutions/rnn.py:")
    assert message in str(caught.value)


# --- the given data set ------------------------------------------------------------


def test_make_dataset_follows_its_contract():
    namespace: dict = {}
    exec(compile(SOLUTION, "rnn.py", "exec"), namespace)  # the project's own reference file
    make_dataset = namespace["make_dataset"]
    state = torch.get_rng_state()
    inputs, targets = make_dataset(n_sequences=10, seq_len=5, input_size=3, seed=4)
    assert torch.equal(torch.get_rng_state(), state), "make_dataset must leave the global RNG alone"
    assert inputs.dtype == torch.float32 and inputs.shape == (10, 5, 3)
    assert targets.dtype == torch.int64 and targets.shape == (10,)
    assert torch.equal(targets, (inputs[:, :, 0].sum(1) > 0).long())
    again, _ = make_dataset(n_sequences=10, seq_len=5, input_size=3, seed=4)
    other, _ = make_dataset(n_sequences=10, seq_len=5, input_size=3, seed=5)
    assert torch.equal(inputs, again) and not torch.equal(inputs, other)
    default_inputs, default_targets = make_dataset()
    assert default_inputs.shape == (256, 12, 4)
    assert 0.35 < default_targets.float().mean().item() < 0.65, "classes should be balanced"


# --- visible tests: both directions ---------------------------------------------------


def test_solution_passes_every_visible_test(visible_results):
    results = visible_results["solution"]
    assert len(results) == VISIBLE_TESTS
    assert all(outcome == "passed" for outcome, _ in results.values()), results


def test_stubs_fail_every_visible_test_with_not_implemented(visible_results):
    results = visible_results["stubs"]
    assert len(results) == VISIBLE_TESTS
    tested = {
        "test_init": "SimpleRNN.__init__", "test_forward": "SimpleRNN.forward",
        "test_training_step": "training_step", "test_train_": "train", "test_predict": "predict",
    }
    for test, (outcome, line) in results.items():
        function = next(f for prefix, f in tested.items() if test.startswith(prefix))
        assert outcome == "failed", test
        assert line.startswith(f"not implemented yet: {function} (hint: "), (test, line)
        assert "\n" not in line


@pytest.mark.parametrize("name", sorted([*CORRECT, "inline_train"]))
def test_correct_forms_pass_every_visible_test(visible_results, name):
    results = visible_results[name]
    failures = {t: line for t, (outcome, line) in results.items() if outcome != "passed"}
    assert len(results) == VISIBLE_TESTS and not failures, failures


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_mistake_fails_its_visible_test_with_one_line(visible_results, name):
    target = MISTAKES[name][1]
    outcome, line = visible_results[name][target]
    assert outcome == "failed", f"{target} did not catch {name}"
    assert "\n" not in line and "Traceback" not in line
    assert re.match(r"^(SimpleRNN\.\w+|training_step|train|predict)[: ]", line), line
    assert "Hint:" in line or "raised" in line, line


def test_syntax_error_reads_as_one_line_per_test(visible_results):
    results = visible_results["syntax"]
    assert len(results) == VISIBLE_TESTS
    for outcome, line in results.values():
        assert outcome == "failed"
        assert re.fullmatch(r"could not import rnn\.py: SyntaxError on line \d+: .+", line), line


def test_pytest_exercises_prints_one_line_per_failure_and_no_traceback():
    proc = run(["python", "-m", "pytest", "exercises", "-p", "no:cacheprovider"])
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if line.startswith("FAIL ")]
    assert len(lines) == VISIBLE_TESTS, proc.stdout
    assert all(": not implemented yet: " in line for line in lines), lines
    assert "Traceback" not in proc.stdout and "raise NotImplementedError" not in proc.stdout


def test_pytest_exercises_against_the_solution_passes():
    proc = run(["python", "-m", "pytest", "exercises", "--impl", "solutions/rnn.py", "-p", "no:cacheprovider"])
    assert proc.returncode == 0, proc.stdout
    assert f"{VISIBLE_TESTS} passed" in proc.stdout
    assert "All visible checks pass" in proc.stdout


def test_a_runtime_error_points_at_the_student_line(tmp_path):
    impl = tmp_path / "rnn.py"
    impl.write_text(edit(("        out, _ = self.rnn(x, h0)\n", "        out, _ = self.rnn(x.transpose(0, 2), h0)\n")))
    proc = run(["python", "-m", "pytest", "exercises", "--impl", str(impl), "-p", "no:cacheprovider",
                "-k", "last_time_step"])
    line = next(line for line in proc.stdout.splitlines() if line.startswith("FAIL "))
    number = impl.read_text().splitlines().index("        out, _ = self.rnn(x.transpose(0, 2), h0)") + 1
    assert "SimpleRNN.forward raised RuntimeError:" in line and f"(rnn.py line {number})" in line, line


def test_readme_names_the_student_test_command():
    text = (ROOT / "exercises" / "README.md").read_text()
    assert "pytest exercises" in text
    for function in ["SimpleRNN.__init__", "SimpleRNN.forward", "training_step", "train", "predict"]:
        assert function in text
