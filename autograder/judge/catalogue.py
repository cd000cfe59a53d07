"""The hidden checks' catalogue: ids, names, points, parts and hints, in grading order.

The hidden suites (``autograder/judge/suites``) implement one function per
entry; nbgrader's hidden test cells are generated from the same list, one
cell per check with the same points, so both graders award the same fraction.
The hints are the one source for the visible tests too (``exercises/_hints.py``
is derived from :data:`HINTS` by ``python -m autograder build``).

Parts: ``core`` (100 points: the exercise) and ``under_the_hood`` (part 2: the
recurrence and backpropagation through time by hand), which an instructor can
leave out with ``--no-part2``.
"""

from __future__ import annotations

from dataclasses import dataclass

CORE, UNDER_THE_HOOD = "core", "under_the_hood"

# One hint per check: the concept, the shapes and what to look up; never the line of code.
HINTS: dict[str, str] = {
    "construction.recurrent_layer":
        "self.rnn is one recurrent layer of the plain (tanh) kind, from input_size to hidden_size "
        "features: look up torch.nn.RNN and its first two arguments",
    "construction.batch_first":
        "inputs are laid out (batch, seq_len, input_size): look up the batch_first argument of "
        "torch.nn.RNN",
    "construction.readout_layer":
        "self.fc maps one hidden state (hidden_size features) to output_size logits: look up "
        "torch.nn.Linear",
    "forward.shapes":
        "return one row of output_size logits per sequence for any batch size and length, 1 included: "
        "take every size from x or the layers, never a fixed number, and keep the batch dimension",
    "forward.matches_reference":
        "start from a zero hidden state (num_layers, batch, hidden_size), run self.rnn over the whole "
        "sequence and apply self.fc to the last time step's output; return raw logits "
        "(CrossEntropyLoss applies the softmax itself)",
    "forward.last_time_step":
        "the RNN's output holds one hidden state per time step along dimension 1 (batch-first): "
        "classify with the last step's",
    "forward.batch_independence":
        "each sequence is classified on its own: the batch is dimension 0 of x; never mix it with the "
        "time dimension",
    "device.forward_meta":
        "create every new tensor in forward (the initial hidden state) on x's device: look up the "
        "device argument of torch.zeros, or Tensor.new_zeros",
    "device.train_meta":
        "move the model, the inputs and the targets to the device argument (look up Module.to and "
        "Tensor.to); None means the device the model's parameters are already on",
    "training_step.returns_float":
        "return the batch's loss from before the step as a plain Python number: look up Tensor.item",
    "training_step.step_taken":
        "after backward the optimizer must take its step (look up Optimizer.step); never clear the "
        "gradients between backward and the step",
    "training_step.matches_reference":
        "clear old gradients, forward, the loss from the criterion argument (whatever loss it is: never one "
        "made inside training_step) on the raw logits and the int64 targets, backward, clip when asked, step",
    "training_step.zero_grad":
        "gradients add up across backward calls: clear those left from an earlier step first "
        "(look up Optimizer.zero_grad)",
    "training_step.clipping":
        "clip the total gradient norm to max_grad_norm after backward and before the step, only when "
        "max_grad_norm is given: look up torch.nn.utils.clip_grad_norm_",
    "train.returns_losses":
        "collect the number training_step returns, once per epoch, in a list, and return it",
    "train.trains_passed_model":
        "train the very model object you were given: no copy, no new model",
    "train.matches_reference":
        "one Adam optimizer over the model's parameters with the given learning rate, made once before "
        "the loop; CrossEntropyLoss; one full-batch training_step per epoch",
    "train.max_grad_norm":
        "pass max_grad_norm through to training_step",
    "train.loss_falls":
        "training should lower the loss: check the optimizer, its learning rate and the epochs",
    "device.forward_cuda": "create every new tensor in forward on x's device",
    "device.train_cuda": "move the model, the inputs and the targets to the device argument",
    "device.forward_mps": "create every new tensor in forward on x's device",
    "device.train_mps": "move the model, the inputs and the targets to the device argument",
    "predict.dtype_shape":
        "return one class index per sequence, an int64 tensor of shape (batch,), not logits or "
        "probabilities: look up torch.argmax and its dim argument",
    "predict.matches_reference":
        "the predicted class is the index of the largest logit along the class dimension (dimension 1)",
    "predict.eval_mode":
        "put the model in evaluation mode before predicting: look up Module.eval",
    "predict.no_grad":
        "predict without building a gradient graph: look up torch.no_grad",
    "manual.shapes":
        "out stacks every time step's hidden state along dimension 1: (batch, seq_len, hidden_size); "
        "h_n is the last one with a leading layer dimension: (1, batch, hidden_size)",
    "manual.values":
        "h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh), one step at a time in a Python loop over t "
        "(torch.tanh and the @ operator, or nn.functional.linear), from h0 without its layer dimension, or "
        "from zeros of shape (batch, hidden_size) when h0 is None; nn.RNN, nn.RNNCell and torch.rnn_tanh "
        "run that loop for you, so they are not it",
    "manual.gradients":
        "build out and h_n from the inputs with differentiable torch operations (torch.stack or torch.cat "
        "of the states; writing each state into a new tensor by indexing works too): no .detach(), .data, "
        ".item() or torch.tensor(...) of computed values, and no in-place change of a tensor a later step "
        "reads",
    "bptt.shape":
        "return one norm per time step: a float tensor of shape (seq_len,) (torch.stack the norms)",
    "bptt.values":
        "run the recurrence of rnn_forward_manual from zeros with model.rnn's weight_ih_l0, weight_hh_l0, "
        "bias_ih_l0 and bias_hh_l0, keeping every h_t of the loop; ask each to keep its gradient "
        "(Tensor.retain_grad, or torch.autograd.grad on the list of states); the loss is the mean "
        "cross-entropy of model.fc on the last h_t (nn.functional.cross_entropy); after one backward, entry "
        "t is the norm of h_t's gradient over batch and hidden units (Tensor.norm)",
    "factors.per_step":
        "factor t is the norm reaching h_t divided by the norm reaching h_(t+1), from hidden_gradient_norms: "
        "below 1 the gradient shrinks going back one step, above 1 it grows; slice the norms twice, divide",
    "factors.bounds":
        "the step back from h_(t+1) to h_t multiplies the gradient by the transposed Jacobian "
        "dh_(t+1)/dh_t = diag(1 - h_(t+1)^2) W_hh, one per sequence: scale the rows of W_hh by the slopes "
        "1 - h_(t+1)^2 (broadcasting to (batch, hidden_size, hidden_size)); its spectral norm is "
        "torch.linalg.matrix_norm with ord=2; bound t is the largest over the batch",
}


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    points: float
    function: str  # the student function it judges
    part: str = CORE

    @property
    def group(self) -> str:
        return self.id.split(".")[0]

    @property
    def hint(self) -> str:
        return HINTS[self.id]


F_INIT, F_FORWARD = "SimpleRNN.__init__", "SimpleRNN.forward"

CHECKS: list[Check] = [
    Check("construction.recurrent_layer",
          "SimpleRNN.__init__: self.rnn is a one-layer tanh RNN from input_size to hidden_size features",
          5, F_INIT),
    Check("construction.batch_first", "SimpleRNN.__init__: self.rnn reads batch-first input", 3, F_INIT),
    Check("construction.readout_layer",
          "SimpleRNN.__init__: self.fc maps hidden_size features to output_size logits",
          4, F_INIT),
    Check("forward.shapes", "forward: one row of logits per sequence, for every batch size and length", 8,
          F_FORWARD),
    Check("forward.matches_reference", "forward: same logits as the reference", 10, F_FORWARD),
    Check("forward.last_time_step", "forward: reads out the last time step", 6, F_FORWARD),
    Check("forward.batch_independence", "forward: each sequence is classified on its own", 6, F_FORWARD),
    Check("device.forward_meta", "forward on another device (meta): h0 follows x", 5, F_FORWARD),
    Check("device.train_meta", "train(device=...) moves model and data (meta)", 5, "train"),
    Check("training_step.returns_float", "training_step returns the loss as a Python float", 4,
          "training_step"),
    Check("training_step.step_taken", "training_step takes a descent step", 4, "training_step"),
    Check("training_step.matches_reference", "training_step: same update as the reference", 6,
          "training_step"),
    Check("training_step.zero_grad", "training_step clears old gradients before backward", 5,
          "training_step"),
    Check("training_step.clipping", "training_step clips the gradient norm before the step", 5,
          "training_step"),
    Check("train.returns_losses", "train returns one float per epoch", 3, "train"),
    Check("train.trains_passed_model", "train trains the model it was given", 3, "train"),
    Check("train.matches_reference",
          "train: one full-batch step per epoch, with the reference's losses and weights (Adam, lr, "
          "CrossEntropyLoss)", 4, "train"),
    Check("train.max_grad_norm", "train passes max_grad_norm on to training_step", 2, "train"),
    Check("train.loss_falls", "train: the loss falls well below its start", 4, "train"),
    Check("predict.dtype_shape", "predict returns int64 class indices of shape (batch,)", 2, "predict"),
    Check("predict.matches_reference", "predict: the index of the largest logit", 2, "predict"),
    Check("predict.eval_mode", "predict puts the model in eval mode", 2, "predict"),
    Check("predict.no_grad", "predict does not track gradients", 2, "predict"),
]

PART2_CHECKS: list[Check] = [
    Check("manual.shapes", "rnn_forward_manual returns out and h_n of the right shapes", 2,
          "rnn_forward_manual", UNDER_THE_HOOD),
    Check("manual.values",
          "rnn_forward_manual: same out and h_n as nn.RNN (with and without h0), from a loop of its own", 5,
          "rnn_forward_manual", UNDER_THE_HOOD),
    Check("manual.gradients", "rnn_forward_manual: gradients flow back as its own forward implies", 3,
          "rnn_forward_manual", UNDER_THE_HOOD),
    Check("bptt.shape", "hidden_gradient_norms returns one norm per time step", 1,
          "hidden_gradient_norms", UNDER_THE_HOOD),
    Check("bptt.values", "hidden_gradient_norms: the norm of dLoss/dh_t for every time step", 5,
          "hidden_gradient_norms", UNDER_THE_HOOD),
    Check("factors.per_step", "gradient_factors: how much the gradient's norm changes in each step back", 2,
          "gradient_factors", UNDER_THE_HOOD),
    Check("factors.bounds", "gradient_factors: each step's bound, the spectral norm of diag(1 - h^2) W_hh", 2,
          "gradient_factors", UNDER_THE_HOOD),
]

# Only where the device exists; they carry points there and are absent elsewhere.
ACCELERATOR_CHECKS: dict[str, list[Check]] = {
    device: [
        Check(f"device.forward_{device}", f"forward on {device}: same logits as the reference", 3, F_FORWARD),
        Check(f"device.train_{device}", f"train(device='{device}') trains on {device}", 3, "train"),
    ]
    for device in ("cuda", "mps")
}

BY_ID: dict[str, Check] = {c.id: c for c in [*CHECKS, *PART2_CHECKS]} | {
    c.id: c for checks in ACCELERATOR_CHECKS.values() for c in checks
}
# The checks whose points no number can confirm on a CPU: the device a tensor is on (meta).
SELF_REPORTED = ("device.forward_meta", "device.train_meta")


def catalogue(accelerators: list[str], part2: bool = True) -> list[Check]:
    return [*CHECKS, *[c for d in accelerators for c in ACCELERATOR_CHECKS[d]],
            *(PART2_CHECKS if part2 else [])]


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
    """A hidden check failed; the message is what the student reads.

    ``cause``: the id of another check whose failure this one follows from (it could not be judged
    because of it), so that feedback leads with the root cause and reports count root causes."""

    def __init__(self, message: str, cause: str | None = None):
        super().__init__(message)
        self.cause = cause


def check(check_id: str):
    """Mark a hidden-suite function as the implementation of catalogue entry ``check_id``."""
    entry = BY_ID[check_id]

    def mark(function):
        function.check = entry
        return function

    return mark


def expect(condition: bool, message: str, cause: str | None = None) -> None:
    if not condition:
        raise CheckFailure(message, cause)
