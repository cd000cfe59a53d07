"""The hidden checks' catalogue: ids, names and points, in grading order.

The hidden pytest suites (``autograder/suites``) implement one test per entry;
nbgrader's hidden test cells are generated from the same list, one cell per
check with the same points, so both graders award the same fraction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    points: float

    @property
    def hint(self) -> str:
        return HINTS.get(self.id.split(".")[0], "")


# The group's advice, appended to a failure message that carries no hint of its own
# (when the student's code raised, say).
HINTS = {
    "construction": "set self.hidden_size, self.rnn = nn.RNN(input_size, hidden_size, "
                    "batch_first=True) and self.fc = nn.Linear(hidden_size, output_size)",
    "forward": "build h0 from x's own batch size on x.device, run self.rnn, apply self.fc to "
               "out[:, -1, :]; never hard-code batch, hidden or sequence sizes",
    "device": "everything forward and train create must follow the device of x or the device "
              "argument",
    "training_step": "zero_grad, outputs = model(inputs), loss = criterion(outputs, targets) with "
                     "int64 targets, loss.backward(), clip when max_grad_norm is given, step, "
                     "return loss.item()",
    "train": "move model and data to device, Adam(model.parameters(), lr=lr), CrossEntropyLoss(), "
             "one training_step per epoch, return the list of losses",
    "predict": "model.eval(); with torch.no_grad(): return model(inputs).argmax(dim=1)",
}


def with_hint(entry: Check, message: str) -> str:
    """The failure message, with the group's hint when it has none of its own."""
    if "Hint:" in message or not entry.hint:
        return message
    return f"{message}. Hint: {entry.hint}"


CHECKS: list[Check] = [
    Check("construction.attributes", "SimpleRNN.__init__ sets hidden_size, rnn and fc", 3),
    Check("construction.layer_types", "SimpleRNN.__init__ layer types and sizes", 3),
    Check("construction.batch_first", "SimpleRNN.__init__ uses batch_first=True", 3),
    Check("construction.parameter_shapes", "SimpleRNN parameters have the expected names and shapes", 3),
    Check("forward.shapes", "forward: output shapes for several batch sizes and lengths", 8),
    Check("forward.matches_reference", "forward: same logits as the reference", 10),
    Check("forward.last_time_step", "forward: reads out the last time step", 6),
    Check("forward.batch_independence", "forward: each sequence is classified on its own", 6),
    Check("device.forward_meta", "forward on another device (meta): h0 follows x", 5),
    Check("device.train_meta", "train(device=...) moves model and data (meta)", 5),
    Check("training_step.returns_float", "training_step returns the loss as a Python float", 4),
    Check("training_step.step_taken", "training_step updates the parameters", 4),
    Check("training_step.matches_reference", "training_step: same update as the reference", 6),
    Check("training_step.zero_grad", "training_step clears old gradients before backward", 5),
    Check("training_step.clipping", "training_step clips the gradient norm before the step", 5),
    Check("train.returns_losses", "train returns one float per epoch", 3),
    Check("train.trains_passed_model", "train trains the model it was given", 3),
    Check("train.matches_reference",
          "train: same losses and weights as the reference (Adam, lr, CrossEntropyLoss)", 4),
    Check("train.max_grad_norm", "train passes max_grad_norm on to training_step", 2),
    Check("train.loss_falls", "train: the loss falls well below its start", 4),
    Check("predict.dtype_shape", "predict returns int64 class indices of shape (batch,)", 2),
    Check("predict.matches_reference", "predict: the index of the largest logit", 2),
    Check("predict.eval_mode", "predict puts the model in eval mode", 2),
    Check("predict.no_grad", "predict does not track gradients", 2),
]

# Only where the device exists; they carry points there and are absent elsewhere.
ACCELERATOR_CHECKS: dict[str, list[Check]] = {
    device: [
        Check(f"device.forward_{device}", f"forward on {device}: same logits as the reference", 3),
        Check(f"device.train_{device}", f"train(device='{device}') trains on {device}", 3),
    ]
    for device in ("cuda", "mps")
}

BY_ID: dict[str, Check] = {c.id: c for c in CHECKS} | {
    c.id: c for checks in ACCELERATOR_CHECKS.values() for c in checks
}


def catalogue(accelerators: list[str]) -> list[Check]:
    return CHECKS + [c for device in accelerators for c in ACCELERATOR_CHECKS[device]]


def available_accelerators() -> list[str]:
    """Real devices to test on, without initialising CUDA in this process."""
    import torch

    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


class CheckFailure(AssertionError):
    """A hidden check failed; the message is what the student reads."""


def check(check_id: str):
    """Mark a hidden-suite test as the implementation of catalogue entry ``check_id``."""
    entry = BY_ID[check_id]

    def mark(function):
        function.check = entry
        return function

    return mark


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailure(message)
