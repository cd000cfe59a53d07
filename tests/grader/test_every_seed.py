"""Charges that depend on the numbers drawn for a run hold on every seed, not on most.

A recurrence started from ``torch.randn`` instead of zeros changes the early gradient norms by a
fraction of a percent to many percent; with a tolerance relative to every entry it fails
``bptt.values`` whatever the run draws, while the reference passes on the same draws. The probe and
the check are the grader's own, run in this process on our own code (no sandbox needed).
"""

from __future__ import annotations

import pytest

from autograder import wire
from autograder.inkernel import InProcessProbes
from autograder.judge import reference as reference_module
from autograder.judge.catalogue import CheckFailure
from autograder.judge.context import Context
from autograder.judge.expect import Expectations
from autograder.judge.plan import build
from autograder.judge.schedule import Observed
from autograder.judge.suites import test_under_the_hood as part2_checks
from tests.variants import SOLUTION, edit

SEEDS = range(40)
RANDOM_START = edit(("    h = x.new_zeros(x.shape[0], rnn.hidden_size)\n",
                     "    h = torch.randn(x.shape[0], rnn.hidden_size)\n"))


def _namespace(text: str) -> dict:
    namespace = {"__name__": "rnn"}
    exec(compile(text, "rnn.py", "exec"), namespace)  # noqa: S102 - the project's own variants
    return namespace


@pytest.fixture(scope="module")
def judged():
    reference = reference_module.load()
    students = {"reference": _namespace(SOLUTION), "random_start": _namespace(RANDOM_START)}
    outcomes: dict[str, list[str]] = {name: [] for name in students}
    for seed in SEEDS:
        plan = build(reference.make_dataset, seed)
        expected = Expectations(plan, reference)
        bptt = plan.bptt
        args = {"sizes": list(bptt["sizes"]), "scenarios": list(bptt["scenarios"])}
        tensors = {**{f"w.{s}.{k}": v for s, state in bptt["scenarios"].items() for k, v in state.items()},
                   "x": bptt["x"], "targets": bptt["targets"]}
        for name, namespace in students.items():
            seen = Observed()
            seen.results[wire.GRADIENT_NORMS] = InProcessProbes(namespace)(wire.GRADIENT_NORMS, args, tensors,
                                                                           wire.GRADIENT_NORMS)
            try:
                part2_checks.test_norms_values(Context(seen, plan, expected))
                outcomes[name].append("passed")
            except CheckFailure as failure:
                outcomes[name].append(str(failure))
    return outcomes


def test_a_random_start_fails_the_values_on_every_seed(judged):
    passed = [seed for seed, outcome in zip(SEEDS, judged["random_start"], strict=True) if outcome == "passed"]
    assert passed == [], f"a torch.randn start passed bptt.values on seeds {passed}"


def test_the_reference_passes_the_values_on_every_seed(judged):
    failures = {seed: o for seed, o in zip(SEEDS, judged["reference"], strict=True) if o != "passed"}
    assert failures == {}
