"""The exercise: one source, derived stubs, and visible tests that judge both ways."""

from __future__ import annotations

import ast
import json
import re
import sys

import pytest
import torch

from autograder import derived, paths, stubgen
from autograder.judge.catalogue import BY_ID, CHECKS, HINTS, PART2_CHECKS
from tests.conftest import ROOT, run
from tests.variants import (
    BPTT_LOOP,
    CORRECT,
    CORRECT_PART2,
    FORWARD,
    INLINE_TRAIN,
    MINI_BATCHES,
    SOLUTION,
    TRAIN_BODY,
    edit,
)

VISIBLE_TESTS = 31  # parametrised cases included
FUNCTIONS = ["SimpleRNN.__init__", "SimpleRNN.forward", "training_step", "train", "predict",
             "rnn_forward_manual", "hidden_gradient_norms", "gradient_factors"]
EXERCISES = ROOT / "exercises"

STEP_TAIL = """    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
"""
MANUAL_STEP = "        h = torch.tanh(x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)\n"

# Mistakes: (the variant, the visible test that must catch it, the hidden check whose hint it must
# print, or None where the line is the error the code raised).
MISTAKES = {
    "no_batch_first": (
        edit(("        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)",
              "        self.rnn = nn.RNN(input_size, hidden_size)")),
        "test_init_builds_the_layers", "construction.batch_first",
    ),
    "lstm": (edit(("        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)",
                   "        self.rnn = nn.LSTM(input_size, hidden_size, batch_first=True)")),
             "test_init_builds_the_layers", "construction.recurrent_layer"),
    "first_time_step": (edit(("return self.fc(out[:, -1, :])", "return self.fc(out[:, 0, :])")),
                        "test_forward_reads_the_last_time_step", "forward.last_time_step"),
    "mean_over_time": (edit(("return self.fc(out[:, -1, :])", "return self.fc(out.mean(dim=1))")),
                       "test_forward_gives_the_reference_logits", "forward.matches_reference"),
    "softmax_output": (edit(("return self.fc(out[:, -1, :])", "return self.fc(out[:, -1, :]).softmax(dim=1)")),
                       "test_forward_gives_the_reference_logits", "forward.matches_reference"),
    "squeeze": (edit(("return self.fc(out[:, -1, :])", "return self.fc(out[:, -1, :]).squeeze()")),
                "test_forward_output_shape[1-5]", "forward.shapes"),
    "mixes_the_batch": (edit(("return self.fc(out[:, -1, :])", "return self.fc(out[:, -1, :] - out[:, -1, :].mean(dim=0))")),
                        "test_forward_classifies_each_sequence_on_its_own", "forward.batch_independence"),
    "h0_on_cpu": (edit(("device=x.device, dtype=x.dtype", "dtype=x.dtype")),
                  "test_forward_keeps_h0_on_the_input_device", "device.forward_meta"),
    "loss_tensor": (edit(("    return loss.item()", "    return loss")),
                    "test_training_step_returns_the_loss_as_a_float", "training_step.returns_float"),
    "loss_after_step": (edit(("    return loss.item()", "    return criterion(model(inputs), targets).item()")),
                        "test_training_step_returns_the_loss_from_before_the_step", "training_step.returns_float"),
    "no_step": (edit(("    optimizer.step()\n    return loss.item()", "    return loss.item()")),
                "test_training_step_takes_a_descent_step", "training_step.step_taken"),
    "zero_grad_after_backward": (
        edit(("    optimizer.zero_grad()\n    outputs", "    outputs"),
             ("    loss.backward()\n    if max_grad_norm", "    loss.backward()\n    optimizer.zero_grad()\n    if max_grad_norm")),
        "test_training_step_takes_a_descent_step", "training_step.step_taken",
    ),
    "softmax_before_loss": (edit(("    loss = criterion(outputs, targets)", "    loss = criterion(outputs.softmax(dim=1), targets)")),
                            "test_training_step_takes_a_descent_step", "training_step.matches_reference"),
    "no_zero_grad": (edit(("    optimizer.zero_grad()\n", "")),
                     "test_training_step_clears_old_gradients", "training_step.zero_grad"),
    "clip_after_step": (
        edit((STEP_TAIL, """    optimizer.step()
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
""")),
        "test_training_step_clips_the_gradient_norm", "training_step.clipping",
    ),
    "clip_to_one": (edit(("clip_grad_norm_(model.parameters(), max_grad_norm)", "clip_grad_norm_(model.parameters(), 1.0)")),
                    "test_training_step_clips_the_gradient_norm", "training_step.clipping"),
    "train_returns_none": (edit(("    return [\n        training_step", "    [\n        training_step")),
                           "test_train_returns_one_float_per_epoch", "train.returns_losses"),
    "train_ignores_lr": (edit(("optimizer = torch.optim.Adam(model.parameters(), lr=lr)", "optimizer = torch.optim.Adam(model.parameters(), lr=1e-6)")),
                         "test_train_runs_one_training_step_per_epoch_with_adam", "train.matches_reference"),
    "train_sgd": (edit(("optimizer = torch.optim.Adam(model.parameters(), lr=lr)", "optimizer = torch.optim.SGD(model.parameters(), lr=lr)")),
                  "test_train_runs_one_training_step_per_epoch_with_adam", "train.matches_reference"),
    "train_mse": (edit(("    criterion = nn.CrossEntropyLoss()\n", "    criterion = nn.MultiMarginLoss()\n")),
                  "test_train_runs_one_training_step_per_epoch_with_adam", "train.matches_reference"),
    "train_trains_a_copy": (edit(("    model.to(device)\n", "    import copy\n    model = copy.deepcopy(model).to(device)\n")),
                            "test_train_runs_one_training_step_per_epoch_with_adam", "train.trains_passed_model"),
    "train_drops_max_grad_norm": (edit(("criterion, optimizer, max_grad_norm)\n        for _", "criterion, optimizer)\n        for _")),
                                  "test_train_runs_one_training_step_per_epoch_with_adam", "train.max_grad_norm"),
    "train_ignores_device": (edit(("    model.to(device)\n    inputs, targets = inputs.to(device), targets.to(device)\n", "")),
                             "test_train_moves_model_and_data_to_the_device", "device.train_meta"),
    "predict_logits": (edit(("        return model(inputs).argmax(dim=1)", "        return model(inputs)")),
                       "test_predict_returns_class_indices", "predict.dtype_shape"),
    "predict_smallest": (edit(("        return model(inputs).argmax(dim=1)", "        return model(inputs).argmin(dim=1)")),
                         "test_predict_returns_class_indices", "predict.matches_reference"),
    "predict_train_mode": (edit(("    model.eval()\n", "")),
                           "test_predict_uses_eval_mode_without_gradients", "predict.eval_mode"),
    "predict_tracks_gradients": (edit(("    with torch.no_grad():\n        return model(inputs).argmax(dim=1)",
                                       "    return model(inputs).argmax(dim=1)")),
                                 "test_predict_uses_eval_mode_without_gradients", "predict.no_grad"),
    "manual_ignores_h0": (edit(("    h = x.new_zeros(batch, weight_hh.shape[0]) if h0 is None else h0[0]",
                                "    h = x.new_zeros(batch, weight_hh.shape[0])")),
                          "test_rnn_forward_manual_matches_nn_rnn[True]", "manual.values"),
    "manual_no_bias_hh": (edit((MANUAL_STEP, MANUAL_STEP.replace(" + bias_hh)", ")"))),
                          "test_rnn_forward_manual_matches_nn_rnn[False]", "manual.values"),
    "manual_h_n_without_layer": (edit(("    return torch.stack(states, dim=1), h.unsqueeze(0)",
                                       "    return torch.stack(states, dim=1), h")),
                                 "test_rnn_forward_manual_shapes", "manual.shapes"),
    "manual_detached_states": (edit(("        states.append(h)\n    return torch.stack(",
                                     "        states.append(h.detach())\n    return torch.stack(")),
                               "test_rnn_forward_manual_gradients_match_nn_rnn[True]", "manual.gradients"),
    "bptt_sum_not_norm": (edit(("    return torch.stack([state.grad.norm() for state in states])",
                                "    return torch.stack([state.grad.sum() for state in states])")),
                          "test_hidden_gradient_norms_values[plain]", "bptt.values"),
    "bptt_list": (edit(("    return torch.stack([state.grad.norm() for state in states])",
                        "    return [state.grad.norm() for state in states]")),
                  "test_hidden_gradient_norms_shape", "bptt.shape"),
    "bptt_no_retain_grad": (edit((BPTT_LOOP, BPTT_LOOP.replace("        h.retain_grad()\n", ""))),
                            "test_hidden_gradient_norms_values[plain]", None),
    "step_ignores_criterion": (edit(("    loss = criterion(outputs, targets)", "    loss = nn.CrossEntropyLoss()(outputs, targets)")),
                               "test_training_step_uses_the_criterion_it_is_given",
                               "training_step.matches_reference"),
    "train_mini_batches": (edit((TRAIN_BODY, MINI_BATCHES)),
                           "test_train_runs_one_training_step_per_epoch_with_adam", "train.matches_reference"),
    "bptt_random_start": (edit(("    h = x.new_zeros(x.shape[0], rnn.hidden_size)\n",
                                "    h = torch.randn(x.shape[0], rnn.hidden_size)\n")),
                          "test_hidden_gradient_norms_values[plain]", "bptt.values"),
    "factors_upside_down": (edit(("    return norms[:-1] / norms[1:], bounds", "    return norms[1:] / norms[:-1], bounds")),
                            "test_gradient_factors_per_step[plain]", "factors.per_step"),
    "bounds_slope_of_h_t": (edit(("        slopes = 1 - out[:, 1:] ** 2", "        slopes = 1 - out[:, :-1] ** 2")),
                            "test_gradient_factors_bounds[amplified]", "factors.bounds"),
    # An error that is not about devices is reported as that error, not blamed on the device.
    "h0_sized_from_time": (edit(("torch.zeros(1, x.size(0), self.hidden_size", "torch.zeros(1, x.size(1), self.hidden_size")),
                           "test_forward_keeps_h0_on_the_input_device", None),
}
# Correct code the visible tests alone must accept (its own attributes read by forward).
VISIBLE_ONLY_CORRECT = {
    "num_layers_attribute": edit(
        ("        self.hidden_size = hidden_size\n", "        self.hidden_size = hidden_size\n        self.num_layers = 1\n"),
        (FORWARD, FORWARD.replace("torch.zeros(1, x.size(0)", "torch.zeros(self.num_layers, x.size(0)")),
    ),
}
CORRECT_FORMS = {**CORRECT, "inline_train": INLINE_TRAIN, **CORRECT_PART2, **VISIBLE_ONLY_CORRECT}
SYNTAX_ERROR = SOLUTION.replace("def predict(model, inputs):", "def predict(model, inputs)")


@pytest.fixture(scope="module")
def visible_results(tmp_path_factory):
    """Visible-test outcomes for the solution, the stubs and every variant, in one process."""
    folder = tmp_path_factory.mktemp("variants")
    impls = {"solution": paths.SOLUTION_FILE, "stubs": paths.EXERCISE_FILE}
    variants = {**CORRECT_FORMS, **{k: v[0] for k, v in MISTAKES.items()}, "syntax": SYNTAX_ERROR}
    for name, text in variants.items():
        impls[name] = folder / name / "rnn.py"
        impls[name].parent.mkdir()
        impls[name].write_text(text, encoding="utf-8")
    proc = run([sys.executable, "tests/visible_runner.py", *map(str, impls.values())], timeout=600)
    payload = proc.stdout.split("@@RESULTS@@", 1)
    assert len(payload) == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    by_path = json.loads(payload[1])
    return {name: by_path[str(path)] for name, path in impls.items()}


# --- one source, derived stubs ---------------------------------------------------


def test_derived_files_match_their_source():
    for item in derived.derived_files():
        assert derived.drift(item) == "", f"{item.path} drifted: run `python -m autograder build`"


def test_every_file_students_get_from_a_source_is_registered():
    registered = {item.path for item in derived.derived_files()}
    for name in ["rnn.py", "_hints.py", "_expected.py", "quiz.md", "quiz_answers.toml"]:
        assert EXERCISES / name in registered, name


def test_build_check_reports_drift(tmp_path):
    stale = tmp_path / "rnn.py"
    stale.write_text("# edited by hand\n")
    item = derived.Derived(stale, derived._exercise_stub, paths.SOLUTION_FILE)
    assert "# edited by hand" in derived.drift(item)


@pytest.mark.slow
def test_cli_build_check_passes_on_a_fresh_tree():
    proc = run([sys.executable, "-m", "autograder", "build", "--check"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ["rnn.py", "_hints.py", "_expected.py", "quiz.md", "quiz_answers.toml"]:
        assert f"up to date  exercises/{name}" in proc.stdout


def test_visible_hints_are_the_catalogues_and_drift_with_it(monkeypatch):
    namespace: dict = {}
    exec((EXERCISES / "_hints.py").read_text(), namespace)
    assert namespace["HINTS"] == HINTS
    item = next(i for i in derived.derived_files() if i.path == EXERCISES / "_hints.py")
    monkeypatch.setitem(HINTS, "predict.no_grad", "a hint changed in the catalogue")
    assert "a hint changed in the catalogue" in derived.drift(item)


def test_visible_tests_take_every_hint_from_the_catalogue():
    text = (EXERCISES / "test_rnn.py").read_text()
    used = set(re.findall(r'HINTS\["([\w.]+)"\]', text))
    assert used <= set(HINTS)
    # every hidden check of both parts that a CPU can run has a visible sibling with its hint
    assert used >= {c.id for c in [*CHECKS, *PART2_CHECKS]} - {"train.loss_falls"}, sorted(
        {c.id for c in [*CHECKS, *PART2_CHECKS]} - used)


def test_expected_logits_are_the_solutions_and_tell_a_wrong_forward(tmp_path):
    namespace: dict = {}
    exec((EXERCISES / "_expected.py").read_text(), namespace)
    stored = torch.tensor(namespace["FORWARD_LOGITS"])
    assert tuple(stored.shape) == (derived.FORWARD_INPUT[0], derived.FORWARD_SIZES[2])
    wrong = tmp_path / "rnn.py"
    wrong.write_text(MISTAKES["first_time_step"][0])
    original = paths.SOLUTION_FILE
    try:
        paths.SOLUTION_FILE = wrong
        namespace = {}
        exec(derived._expected(), namespace)
    finally:
        paths.SOLUTION_FILE = original
    assert not torch.allclose(torch.tensor(namespace["FORWARD_LOGITS"]), stored, atol=1e-3)


def test_quiz_files_are_the_banks_student_files():
    import quizzes

    files = quizzes.student_files()
    for name in ["quiz.md", "quiz_answers.toml"]:
        assert (EXERCISES / name).read_text() == files[name]
    blank = (EXERCISES / "quiz_answers.toml").read_text()
    assert sum(t["score"] for t in quizzes.autograder_tests(blank)) == 0


def test_stubs_keep_everything_outside_the_regions():
    stubs = paths.EXERCISE_FILE.read_text()
    assert "### BEGIN SOLUTION" not in stubs and "clip_grad_norm_(model.parameters()" not in stubs
    assert "def make_dataset(" in stubs and "torch.Generator().manual_seed(seed)" in stubs
    for function in FUNCTIONS:
        assert f'"not implemented yet: {function}"' in stubs
    regions = stubgen.find_regions(SOLUTION)
    assert [r.function for r in regions] == FUNCTIONS
    assert max(len(line) for line in stubs.splitlines()) <= 110


def test_a_hint_may_run_over_several_comment_lines():
    text = ("def f(x):\n    # Hint: the first line\n    #   and its continuation.\n"
            "    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n")
    (region,) = stubgen.find_regions(text)
    assert region.hint == "the first line and its continuation"
    stub = stubgen.make_stubs(text)
    namespace: dict = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError) as caught:
        namespace["f"](1)
    assert str(caught.value) == "not implemented yet: f (hint: the first line and its continuation)"
    long = stubgen.make_stubs(text.replace("the first line", "word " * 40))
    raised = long[long.index("raise NotImplementedError("):].splitlines()
    assert len(raised) > 3 and max(len(line) for line in raised) <= 110


def test_every_stub_hint_names_something_to_look_up():
    for region in stubgen.find_regions(SOLUTION):
        assert "look up" in region.hint.lower(), region.function


def test_stub_hints_give_the_concept_not_the_recipe():
    """A stub's hint says what to understand and what to look up; the step-by-step recipe (which
    call, in which order) is the failing check's hint, shown once the student has tried."""
    checks = [*CHECKS, *PART2_CHECKS]
    for region in stubgen.find_regions(SOLUTION):
        hint = region.hint
        assert len(hint) <= 300 and "Look up" in hint, (region.function, len(hint))
        assert not re.search(r"\bthen\b", hint), (region.function, hint)
        mine = [c.hint for c in checks if c.function == region.function]
        assert mine and all(c not in hint for c in mine), region.function


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


# --- nothing students receive answers a graded function -----------------------------------

FRAGMENTS = stubgen.answer_fragments(SOLUTION)


def student_files() -> dict[str, str]:
    """Every file of exercises/ (what students get), by name."""
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for path in sorted(EXERCISES.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_answer_fragments_hold_the_answers_lines_and_key_expressions():
    for code in ["model(inputs).argmax(dim=1)", "self.fc(out[:, -1, :])", "out[:,-1,:]",
                 "torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)",
                 "optimizer.zero_grad()", "h.retain_grad()", "torch.stack(states, dim=1)"]:
        assert stubgen.normalise(code) in FRAGMENTS, code
    for api in ["model.parameters()", "nn.CrossEntropyLoss()", "torch.no_grad()", "model(inputs)"]:
        assert stubgen.normalise(api) not in FRAGMENTS, api
    assert set(FRAGMENTS.values()) == set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(student_files()))
def test_no_file_students_get_contains_an_answer(name):
    text = student_files()[name]
    quoted = stubgen.MODULE_SAMPLE if name.endswith("quiz.md") else ""
    assert stubgen.find_answers(FRAGMENTS, text, quoted=quoted) == [], name


def test_the_check_fails_when_a_hint_gives_the_answer():
    leaky = SOLUTION.replace(
        "Look up Module.eval, torch.no_grad and torch.argmax (its dim argument).",
        "Write: model(inputs).argmax(dim=1).",
    )
    assert leaky != SOLUTION
    hits = stubgen.find_answers(FRAGMENTS, stubgen.make_stubs(leaky))
    assert any("model(inputs).argmax(dim=1)" in hit and "predict" in hit for hit in hits), hits
    readme = (EXERCISES / "README.md").read_text() + "\nClip with `torch.nn.utils.clip_grad_norm_(model.parameters(),  max_grad_norm)`.\n"
    assert any("training_step" in hit for hit in stubgen.find_answers(FRAGMENTS, readme))
    quiz = (EXERCISES / "quiz.md").read_text()
    assert stubgen.find_answers(FRAGMENTS, quiz), "without the module's quotes the quiz would be flagged"


def test_no_test_model_has_an_answers_forward():
    tree = ast.parse((EXERCISES / "test_rnn.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "forward":
            body = ast.unparse(node)
            assert ".rnn(" not in body and "[:, -1" not in body, body


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


@pytest.mark.slow
def test_solution_passes_every_visible_test(visible_results):
    results = visible_results["solution"]
    assert len(results) == VISIBLE_TESTS
    assert all(outcome == "passed" for outcome, _ in results.values()), results


def _function_of(test: str) -> str:
    prefixes = {
        "test_init": "SimpleRNN.__init__", "test_forward": "SimpleRNN.forward",
        "test_training_step": "training_step", "test_train_": "train", "test_predict": "predict",
        "test_rnn_forward_manual": "rnn_forward_manual", "test_hidden_gradient_norms": "hidden_gradient_norms",
        "test_gradient_factors": "gradient_factors",
    }
    return next(f for prefix, f in prefixes.items() if test.startswith(prefix))


@pytest.mark.slow
def test_stubs_fail_every_visible_test_with_not_implemented(visible_results):
    results = visible_results["stubs"]
    assert len(results) == VISIBLE_TESTS
    for test, (outcome, line) in results.items():
        assert outcome == "failed", test
        assert line.startswith(f"not implemented yet: {_function_of(test)} (hint: "), (test, line)
        assert "\n" not in line


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CORRECT_FORMS))
def test_correct_forms_pass_every_visible_test(visible_results, name):
    results = visible_results[name]
    failures = {t: line for t, (outcome, line) in results.items() if outcome != "passed"}
    assert len(results) == VISIBLE_TESTS and not failures, failures


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_mistake_fails_its_visible_test_with_one_line(visible_results, name):
    _, target, check_id = MISTAKES[name]
    outcome, line = visible_results[name][target]
    assert outcome == "failed", f"{target} did not catch {name}"
    assert "\n" not in line and "Traceback" not in line
    assert re.match(rf"^{re.escape(_function_of(target))}[: ]", line), line
    if check_id is not None:
        # the same hint as the hidden check that catches the same mistake
        assert line.endswith(f"Hint: {BY_ID[check_id].hint}"), line
    else:
        assert " raised " in line, line


@pytest.mark.slow
def test_a_missing_zero_grad_is_blamed_on_training_step_not_train(visible_results):
    results = visible_results["no_zero_grad"]
    failed = {t: line for t, (outcome, line) in results.items() if outcome == "failed"}
    assert failed and all(t.startswith("test_training_step") for t in failed), failed
    assert all("zero_grad" in line for line in failed.values()), failed


@pytest.mark.slow
def test_an_error_not_about_devices_is_not_blamed_on_the_device(visible_results):
    _, line = visible_results["h0_sized_from_time"]["test_forward_keeps_h0_on_the_input_device"]
    assert line.startswith("SimpleRNN.forward raised RuntimeError: Expected hidden size"), line
    assert "device" not in line, line
    _, line = visible_results["h0_on_cpu"]["test_forward_keeps_h0_on_the_input_device"]
    assert "device" in line and HINTS["device.forward_meta"] in line


@pytest.mark.slow
def test_syntax_error_reads_as_one_line(visible_results, tmp_path):
    results = visible_results["syntax"]
    assert len(results) == VISIBLE_TESTS
    for outcome, line in results.values():
        assert outcome == "failed"
        assert re.fullmatch(r"could not import rnn\.py: SyntaxError on line \d+: .+", line), line
    impl = tmp_path / "rnn.py"
    impl.write_text(SYNTAX_ERROR)
    proc = run([sys.executable, "-m", "pytest", "exercises", "--impl", str(impl), "-p", "no:cacheprovider"])
    assert proc.returncode == 1
    assert proc.stdout.count("could not import rnn.py") == 1, proc.stdout
    (line,) = [line for line in proc.stdout.splitlines() if line.startswith("FAIL ")]
    assert f"{VISIBLE_TESTS} checks need the file" in line, line


@pytest.mark.slow
def test_pytest_exercises_prints_one_line_per_unwritten_function_and_no_traceback():
    proc = run([sys.executable, "-m", "pytest", "exercises", "-p", "no:cacheprovider"])
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if line.startswith("FAIL ")]
    assert len(lines) == len(FUNCTIONS), proc.stdout
    for function, line in zip(FUNCTIONS, lines, strict=True):
        assert f": not implemented yet: {function} (hint: " in line, line
    assert "Traceback" not in proc.stdout and "raise NotImplementedError" not in proc.stdout
    assert f"{VISIBLE_TESTS} failed" in proc.stdout


@pytest.mark.slow
def test_pytest_exercises_against_the_solution_passes():
    proc = run([sys.executable, "-m", "pytest", "exercises", "--impl", "solutions/rnn.py", "-p", "no:cacheprovider"])
    assert proc.returncode == 0, proc.stdout
    assert f"{VISIBLE_TESTS} passed" in proc.stdout
    assert "All visible checks pass" in proc.stdout


@pytest.mark.slow
def test_a_runtime_error_points_at_the_student_line(tmp_path):
    impl = tmp_path / "rnn.py"
    impl.write_text(edit(("        out, _ = self.rnn(x, h0)\n", "        out, _ = self.rnn(x.transpose(0, 2), h0)\n")))
    proc = run([sys.executable, "-m", "pytest", "exercises", "--impl", str(impl), "-p", "no:cacheprovider",
                "-k", "last_time_step"])
    line = next(line for line in proc.stdout.splitlines() if line.startswith("FAIL "))
    number = impl.read_text().splitlines().index("        out, _ = self.rnn(x.transpose(0, 2), h0)") + 1
    assert "SimpleRNN.forward raised RuntimeError:" in line and f"(rnn.py line {number})" in line, line


# --- the student's README -----------------------------------------------------------------


def test_readme_names_the_steps_the_command_and_the_quiz():
    text = (EXERCISES / "README.md").read_text()
    assert "pytest exercises" in text
    for function in FUNCTIONS:
        assert f"`{function}`" in text, function
    assert "quiz.md" in text and "quiz_answers.toml" in text


def test_readme_says_what_to_install_and_quotes_the_module():
    text = (EXERCISES / "README.md").read_text()
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in text
    assert "numpy" in text and "pytest" in text and "3 GB" in text
    assert "ValueError: Expected input batch_size (5) to match target batch_size (15)." in text
    assert "inputs = torch.randn(5, 3, 10)  # (sequence_length, batch_size, input_size)" in text
    assert "5 sequences of 3" in text and "many-to-many" in text
    for beyond in ["Adam", "LSTM", "clip_grad_norm_", "eval", "no_grad", "argmax", "device", "Part 2"]:
        assert beyond in text, beyond


def test_readme_points_table_is_the_catalogues():
    import quizzes

    text = (EXERCISES / "README.md").read_text()
    rows = re.findall(r"^\| [^|]+ \| `([\w.]+)` \| (\d+) \|$", text, re.M)
    expected: dict[str, float] = {}
    for check in [*CHECKS, *PART2_CHECKS]:
        expected[check.function] = expected.get(check.function, 0) + check.points
    assert {f: float(p) for f, p in rows} == expected
    quiz = re.search(r"^\| quiz \| (\d+) questions .+ \| (\d+) \|$", text, re.M)
    bank = quizzes.load_bank()
    assert quiz and (int(quiz.group(1)), float(quiz.group(2))) == (len(bank.questions), bank.total_points)
    total = re.search(r"\*\*(\d+) points\*\* in all", text)
    assert total and float(total.group(1)) == sum(expected.values()) + quizzes.load_bank().total_points
