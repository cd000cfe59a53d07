"""What a hidden check sees: the probes' answers, the judge's expectations, and true messages.

Every value from a probe passed through :mod:`autograder.wire`'s validators;
every expected value is the judge's own (:mod:`.expect`). The helpers here
turn a probe's failure into a message that says what happened (the error the
student's code raised, where, or what came back instead), never "could not be
checked".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch

from .. import wire
from ..sandbox.session import ProbeResult
from .catalogue import CheckFailure
from .expect import Expectations
from .plan import Plan
from .replica import Identified, Replica, StructureError, identify, readouts
from .schedule import Observed

MAX_OUTPUT_ELEMENTS = 1 << 16


class GraderFault(RuntimeError):
    """A probe failed in the grader's own code: the check is not judged, the student is flagged."""


def describe_error(error: dict | None) -> str:
    if not isinstance(error, dict):
        return "an unknown error"
    kind = wire.text(error.get("type"), 60) or "Error"
    message = wire.text(error.get("message"), 300)
    where = error.get("where")
    text = f"{kind}: {message}" if message else kind
    return f"{text} (in {wire.text(where, 80)})" if where else text


def describe_value(value) -> str:
    """What came back, in words: 'a float32 tensor of shape (4, 5)', 'a list', 'nothing'."""
    if isinstance(value, torch.Tensor):
        return f"a {str(value.dtype).replace('torch.', '')} tensor of shape {tuple(value.shape)}"
    if value is None:
        return "nothing"
    return f"a {value}" if isinstance(value, str) else f"a {type(value).__name__}"


def describe_start(h0: torch.Tensor) -> str:
    """How an initial state other than zeros looks, in words."""
    rows = h0.reshape(-1, h0.shape[-1]) if h0.dim() >= 2 else h0.reshape(1, -1)
    same = bool((rows == rows[0]).all())
    kind = "" if len(rows) < 2 else (
        "the same for every sequence, " if same else "a different one per sequence, ")
    return f"a non-zero initial state h0 ({kind}values up to {float(h0.abs().max()):.2g})"


def shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


@dataclass
class ForwardView:
    """The forward pass the checks judge: which model it ran on, and what it computed."""

    variant: str  # "own", "own_hidden" or "grader"
    replica: Replica
    outputs: dict[str, torch.Tensor | None]  # case -> logits (None when that case failed)
    failures: dict[str, str]  # case -> what went wrong instead
    identified: dict[str, Identified | None]
    note: str  # why the checks ran on something other than the student's own model, if so
    gradients: dict[str, torch.Tensor]  # d(sum(logits * grad_out))/d(parameter), main case
    backward_ok: bool


class Context:
    """Shared by every check of one submission."""

    def __init__(self, observed: Observed, plan: Plan, expectations: Expectations,
                 load_problem: str | None = None, cell_errors: list[str] | None = None):
        self.seen, self.plan, self.expected = observed, plan, expectations
        self.load_problem = load_problem
        self.cell_errors = cell_errors or []
        self.passed = lambda check_id: False  # replaced by the runner

    # --- probe results --------------------------------------------------------------------

    def result(self, probe_id: str, function: str) -> ProbeResult:
        """The probe's answer, or a CheckFailure telling the student what went wrong."""
        if self.load_problem is not None:
            raise CheckFailure(self.load_problem)
        result = self.seen.results.get(probe_id)
        if result is None:
            raise CheckFailure(f"{function}: not judged (an earlier step of grading stopped)")
        if result.problem == "grader":  # ours, not the student's: the runner records a grader fault
            raise GraderFault(f"{function}: {wire.text(result.error.get('message'), 400)}")
        if result.problem == "load":
            raise CheckFailure(f"{function}: the submission could not be loaded again after a crash: "
                               f"{describe_error(result.error)}")
        if result.problem is not None or not result.ok:
            raise CheckFailure(f"{function}: {self._explain(result.error)}")
        return result

    def _explain(self, error: dict | None) -> str:
        text = describe_error(error)
        if isinstance(error, dict) and error.get("type") == "LookupError" and self.cell_errors:
            text += f" (perhaps because {self.cell_errors[0]})"
        return text

    def scenario(self, probe_id: str, function: str, name: str) -> tuple[dict, dict]:
        """One scenario of a multi-scenario probe: its info entry and its returned parameters."""
        result = self.result(probe_id, function)
        entry = wire.mapping(result.info.get(name))
        if entry.get("ok") is not True:
            if "error" in entry:
                raise CheckFailure(f"{function}: {self._explain(wire.error(entry.get('error')))}")
            raise CheckFailure(f"{function}: returned {describe_value(wire.text(entry.get('type'), 40))}")
        return entry, wire.grouped(result.tensors, f"p.{name}.")

    # --- construction -------------------------------------------------------------------------

    @cached_property
    def layer_outputs(self) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """(self.rnn's output, self.fc's output) with the judge's weights, as returned."""
        result = self.result(wire.LAYERS, "SimpleRNN.__init__") if self.seen.structure else None
        if result is None:
            raise CheckFailure(f"SimpleRNN.__init__: {self.structure_problem}")
        return (wire.tensor(result.tensors, "rnn.out", max_elements=MAX_OUTPUT_ELEMENTS),
                wire.tensor(result.tensors, "fc.out", max_elements=MAX_OUTPUT_ELEMENTS))

    @property
    def structure_problem(self) -> str:
        construct = self.result(wire.CONSTRUCT, "SimpleRNN.__init__")
        if not construct.info.get("module"):
            return "SimpleRNN(...) is not an nn.Module (call super().__init__() first)"
        return self.seen.structure_problem or "its layers could not be read"

    def replica(self) -> Replica:
        """The student's layers rebuilt by the judge; CheckFailure when they cannot be."""
        if self.seen.structure is None or not self.seen.replicable:
            raise CheckFailure(f"SimpleRNN.__init__: {self.structure_problem}")
        try:
            return self.expected.replica(self.seen.structure)
        except StructureError as exc:
            raise CheckFailure(f"SimpleRNN.__init__: {exc}") from None

    # --- forward ----------------------------------------------------------------------------------

    @cached_property
    def forward(self) -> ForwardView:
        result = self.result(wire.FORWARD, "SimpleRNN.forward")
        variants = wire.mapping(result.info.get("variants"))
        variant = self.seen.variant
        if variant is None:
            own = wire.mapping(variants.get("own"))
            reason = self._case_failure(own, self.plan.main) if own else "SimpleRNN could not be built"
            grader = wire.mapping(variants.get("grader"))
            if grader:
                reason = self._case_failure(grader, self.plan.main)
            raise CheckFailure(f"SimpleRNN.forward: {reason}")
        if variant == "grader":
            replica = self.expected.exercise_replica()
            note = (" (judged on the exercise's layers, because forward did not run on those your "
                    "__init__ builds)")
        else:
            replica = self.replica()
            note = "" if variant == "own" else " (judged with self.hidden_size set to self.rnn's hidden size)"
        return self._view(variant, replica, variants, result.tensors, note)

    def _view(self, variant, replica, variants, tensors, note) -> ForwardView:
        cases = wire.mapping(wire.mapping(variants.get(variant)).get("cases"))
        outputs, failures, identified = {}, {}, {}
        candidates = self.expected.forward_candidates(replica)
        for case in self.plan.cases:
            y = wire.tensor(tensors, f"{variant}.y.{case}", max_elements=MAX_OUTPUT_ELEMENTS)
            outputs[case] = y
            if y is None:
                failures[case] = self._case_failure(wire.mapping(variants.get(variant)), case)
                identified[case] = None
            else:
                identified[case] = identify(y, candidates[case])
        # A case whose logits all came out negative leaves a ReLU'd output constant: it is
        # identified when the same forward pass is identified on the other inputs.
        seen = frozenset(found for found in identified.values() if found is not None)
        for case, found in identified.items():
            if found is None and outputs[case] is not None:
                identified[case] = identify(outputs[case], candidates[case], seen_elsewhere=seen)
        # A forward that starts from another state than zeros (random, or a learned h0 the judge
        # filled with its own values) is identified from the state it handed self.rnn.
        starts = {case: wire.tensor(tensors, f"{variant}.h0.{case}", max_elements=MAX_OUTPUT_ELEMENTS)
                  for case in identified}
        starts = {case: h0 for case, h0 in starts.items() if h0 is not None and bool(h0.abs().max() > 1e-6)}
        for _ in range(2):  # the second round: outputs that are (nearly) constant, by what the others are
            seen = frozenset(found.started("") for found in identified.values() if found is not None)
            for case, h0 in starts.items():
                if identified[case] is None and outputs[case] is not None:
                    again = identify(outputs[case], readouts(replica, self.plan.cases[case], h0),
                                     seen_elsewhere=seen)
                    identified[case] = again.started(describe_start(h0)) if again is not None else None
        del cases
        info = wire.mapping(variants.get(variant))
        backward = wire.mapping(self.seen.results[wire.FORWARD].info.get("backward"))
        gradients = {k: v for k, v in wire.grouped(tensors, f"{variant}.g.").items() if v.numel() <= 1 << 20}
        ok = backward.get("ok") is True and self.seen.variant == variant and bool(info)
        return ForwardView(variant, replica, outputs, failures, identified, note, gradients, ok)

    def _case_failure(self, variant_info: dict, case: str) -> str:
        if variant_info.get("built") is False:
            return f"the model could not be built: {self._explain(wire.error(variant_info.get('error')))}"
        entry = wire.mapping(wire.mapping(variant_info.get("cases")).get(case))
        if "error" in entry:
            return self._explain(wire.error(entry.get("error")))
        if entry.get("type"):
            return f"returned {describe_value(wire.text(entry.get('type'), 40))} instead of a tensor"
        return "returned nothing usable"

    def own_forward(self) -> ForwardView | None:
        """The forward pass on the model exactly as the student's __init__ builds it (when judged)."""
        result = self.result(wire.FORWARD, "SimpleRNN.forward")
        if not self.seen.replicable:
            return None
        variants = wire.mapping(result.info.get("variants"))
        return self._view("own", self.replica(), variants, result.tensors, "")

    def case_input(self, case: str) -> torch.Tensor:
        return self.plan.cases[case]
