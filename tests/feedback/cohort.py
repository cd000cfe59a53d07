"""Hand-built grade-all output folders, following ``autograder/results_schema.py``.

The grader that writes these files is being rewritten, so the fixtures do not run it: they
build results dicts the way the contract describes them. The quiz tests come from the real
quiz scorer (``quizzes.autograder_tests``), so the quiz parsing is tested against real output.

``FIXTURES`` is a small cohort with every case a page must handle; ``generate(n)`` makes a
larger, seeded, realistic cohort for the report's scale test.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import quizzes
from quizzes.answers import parse_answers
from quizzes.scoring import score_sheet

SCHEMA = "rnn-autograder/results/2"

# A copy of the hidden checks' catalogue as the new judge words it (autograder/judge/catalogue.py):
# copied, not imported, so these tests read no hidden material and need no torch.
HINTS = {
    "construction.recurrent_layer": "self.rnn is one recurrent layer of the plain (tanh) kind, from input_size "
                                    "to hidden_size features: look up torch.nn.RNN and its first two arguments",
    "construction.batch_first": "inputs are laid out (batch, seq_len, input_size): look up the batch_first "
                                "argument of torch.nn.RNN",
    "construction.readout_layer": "self.fc maps one hidden state (hidden_size features) to output_size logits: "
                                  "look up torch.nn.Linear",
    "forward.shapes": "return one row of output_size logits per sequence for any batch size and length, 1 "
                      "included: take every size from x or the layers, never a fixed number, and keep the batch "
                      "dimension",
    "forward.matches_reference": "start from a zero hidden state (num_layers, batch, hidden_size), run self.rnn "
                                 "over the whole sequence and apply self.fc to the last time step's output; "
                                 "return raw logits (CrossEntropyLoss applies the softmax itself)",
    "forward.last_time_step": "the RNN's output holds one hidden state per time step along dimension 1 "
                              "(batch-first): classify with the last step's",
    "forward.batch_independence": "each sequence is classified on its own: the batch is dimension 0 of x; "
                                  "never mix it with the time dimension",
    "device.forward_meta": "create every new tensor in forward (the initial hidden state) on x's device: look "
                           "up the device argument of torch.zeros, or Tensor.new_zeros",
    "device.train_meta": "move the model, the inputs and the targets to the device argument (look up Module.to "
                         "and Tensor.to); None means the device the model's parameters are already on",
    "training_step.returns_float": "return the batch's loss from before the step as a plain Python number: look "
                                   "up Tensor.item",
    "training_step.step_taken": "after backward the optimizer must take its step (look up Optimizer.step); "
                                "never clear the gradients between backward and the step",
    "training_step.matches_reference": "clear old gradients, forward, the loss from the criterion you were given "
                                       "on the raw logits and the int64 targets, backward, clip when asked, step",
    "training_step.zero_grad": "gradients add up across backward calls: clear those left from an earlier step "
                               "first (look up Optimizer.zero_grad)",
    "training_step.clipping": "clip the total gradient norm to max_grad_norm after backward and before the "
                              "step, only when max_grad_norm is given: look up torch.nn.utils.clip_grad_norm_",
    "train.returns_losses": "collect the number training_step returns, once per epoch, in a list, and return it",
    "train.trains_passed_model": "train the very model object you were given: no copy, no new model",
    "train.matches_reference": "one Adam optimizer over the model's parameters with the given learning rate, "
                               "made once before the loop; CrossEntropyLoss; one full-batch training_step per "
                               "epoch",
    "train.max_grad_norm": "pass max_grad_norm through to training_step",
    "train.loss_falls": "training should lower the loss: check the optimizer, its learning rate and the epochs",
    "predict.dtype_shape": "return one class index per sequence, an int64 tensor of shape (batch,), not logits "
                           "or probabilities: look up torch.argmax and its dim argument",
    "predict.matches_reference": "the predicted class is the index of the largest logit along the class "
                                 "dimension (dimension 1)",
    "predict.eval_mode": "put the model in evaluation mode before predicting: look up Module.eval",
    "predict.no_grad": "predict without building a gradient graph: look up torch.no_grad",
    "manual.shapes": "out stacks every time step's hidden state along dimension 1: (batch, seq_len, "
                     "hidden_size); h_n is the last one with a leading layer dimension: (1, batch, hidden_size)",
    "manual.values": "h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh), one step at a time from h0 (zeros "
                     "of shape (1, batch, hidden_size) when h0 is None)",
    "manual.gradients": "build out and h_n from the inputs with differentiable torch operations (stack or cat, "
                        "no in-place writes into a preallocated tensor, no .detach() or .item())",
    "bptt.shape": "return one norm per time step: a float tensor of shape (seq_len,)",
    "bptt.values": "keep every h_t of the recurrence, ask each to keep its gradient (look up Tensor.retain_grad), "
                   "compute the loss from self.fc on the last one, backward, and take each h_t.grad's norm over "
                   "batch and hidden units",
}

F_INIT, F_FORWARD = "SimpleRNN.__init__", "SimpleRNN.forward"
# (check id, name, points, function, part), in grading order: 100 core points, 20 under the hood.
CATALOGUE = [
    ("construction.recurrent_layer", "SimpleRNN.__init__: self.rnn is nn.RNN(input_size, hidden_size)", 5,
     F_INIT, "core"),
    ("construction.batch_first", "SimpleRNN.__init__: self.rnn reads batch-first input", 3, F_INIT, "core"),
    ("construction.readout_layer", "SimpleRNN.__init__: self.fc is nn.Linear(hidden_size, output_size)", 4,
     F_INIT, "core"),
    ("forward.shapes", "forward: one row of logits per sequence, for every batch size and length", 8, F_FORWARD,
     "core"),
    ("forward.matches_reference", "forward: same logits as the reference", 10, F_FORWARD, "core"),
    ("forward.last_time_step", "forward: reads out the last time step", 6, F_FORWARD, "core"),
    ("forward.batch_independence", "forward: each sequence is classified on its own", 6, F_FORWARD, "core"),
    ("device.forward_meta", "forward on another device (meta): h0 follows x", 5, F_FORWARD, "core"),
    ("device.train_meta", "train(device=...) moves model and data (meta)", 5, "train", "core"),
    ("training_step.returns_float", "training_step returns the loss as a Python float", 4, "training_step", "core"),
    ("training_step.step_taken", "training_step takes a descent step", 4, "training_step", "core"),
    ("training_step.matches_reference", "training_step: same update as the reference", 6, "training_step", "core"),
    ("training_step.zero_grad", "training_step clears old gradients before backward", 5, "training_step", "core"),
    ("training_step.clipping", "training_step clips the gradient norm before the step", 5, "training_step", "core"),
    ("train.returns_losses", "train returns one float per epoch", 3, "train", "core"),
    ("train.trains_passed_model", "train trains the model it was given", 3, "train", "core"),
    ("train.matches_reference", "train: same losses and weights as the reference (Adam, lr, CrossEntropyLoss)", 4,
     "train", "core"),
    ("train.max_grad_norm", "train passes max_grad_norm on to training_step", 2, "train", "core"),
    ("train.loss_falls", "train: the loss falls well below its start", 4, "train", "core"),
    ("predict.dtype_shape", "predict returns int64 class indices of shape (batch,)", 2, "predict", "core"),
    ("predict.matches_reference", "predict: the index of the largest logit", 2, "predict", "core"),
    ("predict.eval_mode", "predict puts the model in eval mode", 2, "predict", "core"),
    ("predict.no_grad", "predict does not track gradients", 2, "predict", "core"),
    ("manual.shapes", "rnn_forward_manual returns out and h_n of the right shapes", 3, "rnn_forward_manual",
     "under_the_hood"),
    ("manual.values", "rnn_forward_manual: same out and h_n as nn.RNN (with and without h0)", 5,
     "rnn_forward_manual", "under_the_hood"),
    ("manual.gradients", "rnn_forward_manual: gradients flow as through nn.RNN", 4, "rnn_forward_manual",
     "under_the_hood"),
    ("bptt.shape", "hidden_gradient_norms returns one norm per time step", 2, "hidden_gradient_norms",
     "under_the_hood"),
    ("bptt.values", "hidden_gradient_norms: the norm of dLoss/dh_t for every time step", 6,
     "hidden_gradient_norms", "under_the_hood"),
]
CORE_MAX = sum(c[2] for c in CATALOGUE if c[4] == "core")
UTH_MAX = sum(c[2] for c in CATALOGUE if c[4] == "under_the_hood")

# Messages as the hidden checks word them (student-facing), by check id.
MESSAGES = {
    "construction.batch_first": "SimpleRNN.__init__: self.rnn reads (seq_len, batch, input_size), but the "
                                "inputs are (batch, seq_len, input_size)",
    "forward.shapes": "SimpleRNN.forward: expected logits of shape (1, 2) for input (1, 12, 4), got (2,)",
    "forward.matches_reference": "SimpleRNN.forward: logits differ from the reference with the same weights "
                                 "(input (8, 12, 4))",
    "forward.last_time_step": "SimpleRNN.forward: the logits do not depend on the last time step only",
    "forward.batch_independence": "SimpleRNN.forward: changing one sequence changed the logits of another",
    "device.forward_meta": "SimpleRNN.forward on meta: RuntimeError: Tensor on device cpu is not on the "
                           "expected device meta! (in forward)",
    "device.train_meta": "train(device='meta'): the model's parameters stayed on cpu",
    "training_step.zero_grad": "training_step: with gradients left over from an earlier step the update is "
                               "wrong",
    "training_step.clipping": "training_step: with max_grad_norm=0.05 the update differs from the reference's",
    "training_step.returns_float": "training_step: expected the loss as a Python float, got Tensor",
    "training_step.matches_reference": "training_step: the parameters after one SGD step differ from the "
                                       "reference's",
    "train.matches_reference": "train: the losses differ from the reference's from epoch 1 (0.6931 vs 0.6907)",
    "train.max_grad_norm": "train: max_grad_norm=0.05 was not passed on to training_step",
    "train.loss_falls": "train: the loss went from 0.693 to 0.690 in 30 epochs (expected below 0.347)",
    "predict.no_grad": "predict: gradients were tracked during the forward pass",
    "predict.eval_mode": "predict: the model was in training mode during the forward pass",
    "manual.values": "rnn_forward_manual: out differs from nn.RNN's from time step 2 (largest difference 0.41)",
    "manual.shapes": "rnn_forward_manual: NotImplementedError: YOUR CODE HERE (in rnn_forward_manual)",
    "bptt.values": "hidden_gradient_norms: the norms differ from the reference's (the last step's is 0, "
                   "expected 0.083)",
    "bptt.shape": "hidden_gradient_norms: returned 11 norms for 12 time steps",
}

FULL_ISOLATION = {"mode": "full", "measures": [
    "pid namespace", "network namespace (no network)", "mount namespace (reference hidden)",
    "landlock (read-only outside the work folder)", "cgroup memory 2048 MiB", "cgroup pids 64",
    "rlimit cpu 120 s", "seccomp (no ptrace)"]}
CONTAINER_ISOLATION = {"mode": "container", "measures": [
    "landlock (read-only outside the work folder)", "rlimit address space 4096 MiB", "rlimit cpu 120 s"]}


def reference_curve(epochs: int = 30) -> list[float]:
    return [round(0.05 + 0.64 * math.exp(-i / 7.0), 5) for i in range(epochs)]


def student_curve(kind: str, rng: random.Random | None = None, epochs: int = 30) -> list | None:
    ref = reference_curve(epochs)
    rng = rng or random.Random(0)
    if kind == "same":
        return [round(x * (1 + rng.uniform(-0.002, 0.002)), 5) for x in ref]
    if kind == "slower":
        return [round(0.08 + 0.61 * math.exp(-i / 12.0), 5) for i in range(epochs)]
    if kind == "flat":
        return [round(0.6931 - 0.0001 * i, 5) for i in range(epochs)]
    if kind == "diverged":  # explodes, then NaN (json.dump writes NaN as it is)
        return [round(0.69 * 2.2 ** i, 3) for i in range(9)] + [float("nan")] * (epochs - 9)
    if kind == "partial":  # one epoch failed to report
        out = ref[:]
        out[12] = None
        return out
    if kind == "none":
        return None
    raise ValueError(kind)


@dataclass
class Student:
    stem: str
    results: dict
    answers: str | None  # the quiz answer file, None when the quiz was not run
    notes: list[str] = field(default_factory=list)


def quiz_tests(answers_text: str, first_number: int) -> list[dict]:
    """The quiz tests exactly as quizzes.autograder_tests words them, with tags and check ids."""
    bank = quizzes.load_bank()
    tests = quizzes.autograder_tests(answers_text)
    out = []
    for i, t in enumerate(tests):
        extra = {"check": bank.questions[i].id} if i < len(bank.questions) else {}
        out.append({**t, "number": str(first_number + i), "tags": ["quiz", "quiz"], "extra_data": extra})
    return out


def chosen_ids(answers_text: str) -> dict[str, tuple[list[str], float]]:
    """Question id -> (canonical options chosen, score), scored independently of the pages."""
    result = score_sheet(quizzes.load_bank(), parse_answers(answers_text))
    return {r.question.id: (list(r.chosen), r.score) for r in result.questions}


def make_results(student: str, *, fails: dict[str, str] | None = None, partial: dict[str, float] | None = None,
                 answers: str | None = "", status: str = "graded", loss: str | None = "same",
                 cells: list[dict] | None = None, kind: str = "py", seconds: float = 6.2,
                 peak: int | None = 310 * 2**20, isolation: dict | None = None, output: str = "",
                 regrade_reason: str | None = None, grader_errors: list[str] | None = None,
                 under_the_hood: bool = True, killed: int = 0, rng: random.Random | None = None) -> dict:
    """One results file. ``fails``: check id -> message (the group hint is appended as the
    grader does); ``partial``: check id -> points earned on a failed check."""
    fails = fails or {}
    partial = partial or {}
    tests: list[dict] = []
    if status == "graded":
        for check_id, name, points, function, part in CATALOGUE:
            if part == "under_the_hood" and not under_the_hood:
                continue
            group = check_id.split(".")[0]
            hint = HINTS[check_id]
            failed = check_id in fails
            message = fails.get(check_id, "")
            if failed and "Hint:" not in message:
                message = f"{message}. Hint: {hint}"
            elif failed:
                hint = message.rsplit("Hint: ", 1)[1]
            tests.append({
                "name": name, "number": str(len(tests) + 1),
                "score": float(partial.get(check_id, 0.0)) if failed else float(points),
                "max_score": float(points), "status": "failed" if failed else "passed",
                "output": message, "tags": [group, part], "visibility": "visible",
                "extra_data": {"check": check_id, "function": function, **({"hint": hint} if failed else {})},
            })
        if answers is not None:
            tests += quiz_tests(answers, len(tests) + 1)
    parts: dict[str, dict] = {}
    for part, max_score in (("core", CORE_MAX), ("under_the_hood", UTH_MAX if under_the_hood else 0),
                            ("quiz", quizzes.load_bank().total_points)):
        if max_score:
            got = sum(t["score"] for t in tests if t["tags"][1] == part)
            parts[part] = {"score": round(got, 4), "max_score": float(max_score)}
    max_total = sum(p["max_score"] for p in parts.values())
    score = round(sum(t["score"] for t in tests), 4)
    ran = status == "graded"
    curve = None
    if ran and loss is not None:
        curve = {"student": student_curve(loss, rng), "reference": reference_curve()}
    summary = [f"Score: {score:g} / {max_total:g}"]
    if output:
        summary.append(f"\n\nWhat your code printed ({len(output.encode('utf-8', 'surrogatepass'))} bytes):\n{output}")
    return {
        "score": score,
        "execution_time": seconds,
        "output": "\n".join(summary),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "schema": SCHEMA,
            "student": student,
            "status": status,
            "regrade_reason": regrade_reason if status != "graded" else None,
            "max_score": max_total,
            "parts": parts,
            "isolation": isolation or FULL_ISOLATION,
            "submission": {"kind": kind, "sha256": "0" * 64, "notes": []},
            "submitted_at": {"time": "2025-03-14T23:58:02+01:00", "source": "nbgrader timestamp.txt"},
            "grader_version": "0.1.0",
            "options": {"parts": ["core", "under_the_hood", "quiz"], "timeout_s": 120},
            "seed": 1234,
            "loss_curve": curve,
            "notebook_cells": cells or [],
            "processes_killed": killed,
            "peak_memory_bytes": peak if ran else None,
            "grader_errors": grader_errors or [],
        },
        "tests": tests,
    }


def _keys_answers() -> str:
    bank = quizzes.load_bank()
    lines = []
    for q in bank.questions:
        keys = sorted(q.keys)
        value = f'"{keys[0]}"' if q.type == "single" else "[" + ", ".join(f'"{k}"' for k in keys) + "]"
        lines.append(f"{q.id} = {value}")
    return "\n".join(lines) + "\n"


def _wrong_answers(ids: list[str], partly: list[str] = ()) -> str:
    """Distractors for ``ids``; for ``partly`` (multiple-answer) one key and nothing else."""
    bank = quizzes.load_bank()
    lines = []
    for qid in ids:
        q = bank.get(qid)
        wrong = [o.id for o in q.options if not o.correct]
        lines.append(f'{qid} = "{wrong[0]}"' if q.type == "single" else f'{qid} = ["{wrong[0]}"]')
    for qid in partly:
        q = bank.get(qid)
        lines.append(f'{qid} = ["{sorted(q.keys)[0]}"]')
    return "\n".join(lines) + "\n"


ANSI_OUTPUT = ("epoch 1/30 \x1b[32mloss 0.6931\x1b[0m\rEpoch 30/30 \x1b[1;31mloss 0.0512\x1b[0m\n"
               "\x1b]0;pwned title\x07done\x07 \x00 bell\x08 tab\there\n"
               "<img src=x onerror=alert(1)> [link](http://evil.example) ‮evil‬ \ud800 www.evil.example")


def fixtures() -> list[Student]:
    """The hand-built cohort: every case a page or the report must handle."""
    bank = quizzes.load_bank()
    keys = _keys_answers()
    out: list[Student] = []

    def add(stem, name, answers, **kw):
        out.append(Student(stem, make_results(name, answers=answers, **kw), answers))

    add("ada_lovelace", "Ada Lovelace", keys, seconds=5.1)
    add("grace_hopper", "Grace Hopper",
        keys.replace('q02 = "a"', 'q02 = "c"') + _wrong_answers(["q08"], partly=["q05"]),
        fails={k: MESSAGES[k] for k in ("forward.shapes", "forward.batch_independence", "device.forward_meta")},
        loss="same", seconds=7.9)
    add("alan_turing", "Alan Turing", "",  # quiz not answered at all
        fails={k: MESSAGES[k] for k in ("training_step.zero_grad", "training_step.clipping",
                                         "train.max_grad_norm", "train.matches_reference")},
        loss="slower", seconds=9.4)
    add("katherine_johnson", "Katherine Johnson", _wrong_answers(["q01", "q03"]) + 'q04 = "b"\nq06 = "zz"\n',
        fails={"predict.no_grad": MESSAGES["predict.no_grad"], "predict.eval_mode": MESSAGES["predict.eval_mode"],
               "manual.shapes": MESSAGES["manual.shapes"]},
        kind="notebook", loss="partial", output=ANSI_OUTPUT, seconds=12.5,
        cells=[{"cell": 1, "status": "ok", "message": ""},
               {"cell": 4, "status": "error",
                "message": "Traceback (most recent call last):\n  File \"<cell 4>\", line 3\n"
                           "\x1b[0;31mNameError\x1b[0m: name 'trian' is not defined"},
               {"cell": 7, "status": "skipped",
                "message": "SyntaxError: invalid syntax (cell 7, line 2): skipped, the other cells ran"},
               {"cell": 9, "status": "error",
                "message": "<script>alert('cell')</script> ValueError: expected 3D input\x07"}])
    add("student-5c140d35", "<script>alert(1)</script>",
        'q01 = "<b>b</b>"\nq02 = ["a", "b"]\n"<img src=x onerror=alert(2)>" = "a"\nq05 = ["a", "e"]\n',
        fails={"forward.matches_reference": "SimpleRNN.forward: ValueError: <img src=x onerror=alert(3)> "
                                            "[x](javascript:alert(4)) (in forward)",
               "train.loss_falls": MESSAGES["train.loss_falls"]},
        loss="flat")
    add("HYPERLINK_x-8cce3310", '=HYPERLINK("x")', 'q01 = "b"\nq07 = ["a"]\n',
        fails={"training_step.returns_float": "training_step: printed \x1b[31mERROR\x1b[0m\r\x1b[2K"
                                              "overwritten | pipes | # not a heading\n- not a list",
               "bptt.values": MESSAGES["bptt.values"], "bptt.shape": MESSAGES["bptt.shape"]},
        partial={"bptt.values": 3.0}, output=ANSI_OUTPUT, loss="diverged", killed=3, seconds=31.0)
    add("barbara_liskov", "Barbara Liskov", None, status="not_run", loss=None, seconds=0.4, peak=None,
        regrade_reason="sandbox measure missing: the cgroup memory controller is not delegated to the grader")
    add("edsger_dijkstra", "Edsger Dijkstra", None, status="grader_error", loss=None, seconds=2.2,
        regrade_reason="the grader failed: KeyError 'y.main' in the forward probe",
        grader_errors=["Traceback (most recent call last):\n  File \"autograder/judge/probes.py\", line 88, "
                       "in collect\nKeyError: 'y.main'"])
    add("donald_knuth", "Donald Knuth", keys,
        fails={k: MESSAGES[k] for k in ("training_step.returns_float", "training_step.matches_reference",
                                         "train.loss_falls", "manual.values")},
        loss="none", isolation=CONTAINER_ISOLATION, seconds=14.8)
    add("margaret_hamilton", "Margaret Hamilton", keys, loss=None, under_the_hood=False, seconds=4.4)
    assert bank  # the bank loads
    return out


def generate(n: int, seed: int = 11) -> list[Student]:
    """A realistic cohort of ``n``: skills vary, harder checks fail more often, a few not run."""
    rng = random.Random(seed)
    bank = quizzes.load_bank()
    difficulty = {c[0]: 0.04 for c in CATALOGUE}
    difficulty.update({"forward.shapes": 0.25, "forward.batch_independence": 0.2, "device.forward_meta": 0.35,
                       "device.train_meta": 0.3, "training_step.zero_grad": 0.3, "training_step.clipping": 0.4,
                       "train.max_grad_norm": 0.35, "predict.no_grad": 0.3, "predict.eval_mode": 0.25,
                       "manual.values": 0.3, "manual.gradients": 0.35, "bptt.values": 0.5, "bptt.shape": 0.2})
    first = ["Ana", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea", "Mo", "Nia"]
    last = ["Silva", "Okafor", "Nguyen", "Müller", "Kowalski", "Haddad", "Ito", "Rossi", "Smith", "Zhang"]
    out = []
    for i in range(n):
        skill = rng.betavariate(4, 2)
        name = f"{rng.choice(first)} {rng.choice(last)} {i:03d}"
        stem = f"s{i:04d}"
        roll = rng.random()
        if roll < 0.015:
            out.append(Student(stem, make_results(name, answers=None, status="not_run", loss=None, seconds=0.3,
                                                  regrade_reason="unreadable submission: rnn.py is not UTF-8"),
                               None))
            continue
        if roll < 0.025:
            out.append(Student(stem, make_results(name, answers=None, status="grader_error", loss=None,
                                                  seconds=3.0, regrade_reason="the grader failed: TimeoutError",
                                                  grader_errors=["TimeoutError: probe 'train' did not answer"]),
                               None))
            continue
        fails = {}
        for check_id, *_ in CATALOGUE:
            if rng.random() < difficulty[check_id] * (1.6 - skill):
                fails[check_id] = MESSAGES.get(check_id, f"{check_id}: the result differs from the reference's")
        lines = []
        for q in bank.questions:
            if rng.random() < 0.06:
                continue  # not answered
            if q.type == "single":
                pick = sorted(q.keys)[0] if rng.random() < skill else rng.choice([o.id for o in q.options])
                lines.append(f'{q.id} = "{pick}"')
            else:
                picks = [o.id for o in q.options if (rng.random() < skill) == o.correct]
                lines.append(f"{q.id} = [{', '.join(repr(p).replace(chr(39), chr(34)) for p in picks)}]")
        answers = "\n".join(lines) + "\n"
        loss = "same" if not any(k.startswith(("training_step", "train.")) for k in fails) else \
            rng.choice(["slower", "flat", "none", "diverged"])
        cells = []
        kind = "notebook" if rng.random() < 0.4 else "py"
        if kind == "notebook":
            cells = [{"cell": c, "status": "ok", "message": ""} for c in range(1, 12)]
            if rng.random() < 0.2:
                cells[5] = {"cell": 6, "status": "error", "message": "NameError: name 'model' is not defined"}
        out.append(Student(stem, make_results(
            name, fails=fails, answers=answers, loss=loss, kind=kind, cells=cells, rng=rng,
            seconds=round(rng.lognormvariate(1.9, 0.35), 2), peak=int(rng.uniform(250, 900) * 2**20)), answers))
    return out


def write_folder(root: Path, students: list[Student]) -> Path:
    """A grade-all output folder: <stem>.json per student and grades.csv."""
    root.mkdir(parents=True, exist_ok=True)
    rows = ["student,score,max_score,results"]
    for s in students:
        (root / f"{s.stem}.json").write_text(json.dumps(s.results, indent=2), encoding="utf-8")
        rows.append(f"{s.stem},{s.results['score']:g},{s.results['extra_data']['max_score']:g},{s.stem}.json")
    (root / "grades.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root
