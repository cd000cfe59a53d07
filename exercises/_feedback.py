"""Helpers shared by the visible tests and their conftest (not part of the exercise).

Nothing here answers an exercise function: it formats feedback lines and
makes fixed, platform-independent numbers for the checks to use.
"""

from __future__ import annotations

import torch

NOT_IMPLEMENTED_PREFIX = "not implemented yet: "


class CheckFailed(AssertionError):
    """A visible check failed; its message is the whole feedback line."""


class ImplImportError(Exception):
    """The implementation file could not be imported."""


def expect(condition: bool, function: str, expected: str, got: str, hint: str) -> None:
    """Fail with one line: the function, what was expected, what was got, a hint."""
    if not condition:
        raise CheckFailed(f"{function}: expected {expected}, got {got}. Hint: {hint}")


def shape(value) -> str:
    """A readable description of what a function returned, for feedback lines."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"a {str(value.dtype).replace('torch.', '')} tensor of shape {tuple(value.shape)}"
    if value is None:
        return "None (did you forget to return?)"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}: " + ", ".join(shape(v) for v in value)
    return f"a {type(value).__name__}"


def fixed(*size: int, salt: int = 0) -> torch.Tensor:
    """A float32 tensor of ``size`` with fixed values in (-0.6, 0.6), the same on every machine.

    No random number generator is involved, so ``python -m autograder build``
    can store the numbers a correct function gives for these inputs.
    """
    count = torch.Size(size).numel()
    steps = torch.arange(count, dtype=torch.float64)
    return (0.6 * torch.sin(steps * 0.731 + 1.37 * salt + 0.2)).to(torch.float32).reshape(size)


def fill_fixed(module: torch.nn.Module, layers: tuple[str, ...] = ()) -> torch.nn.Module:
    """Give the parameters of ``module`` fixed values (see :func:`fixed`), by parameter name: all
    of them, or those of the sub-modules named in ``layers`` (the others keep their values)."""
    named = sorted((name, parameter) for name, parameter in module.named_parameters()
                   if not layers or name.split(".")[0] in layers)
    with torch.no_grad():
        for salt, (_, parameter) in enumerate(named):
            parameter.copy_(fixed(*parameter.shape, salt=salt + 1))
    return module


# The visible part 2 checks' case: a network of these sizes with fixed weights (and the same with its
# recurrent weights scaled up), fixed inputs, and the labels of the exercise's task for them.
PART2_SIZES = (4, 6, 2)  # input_size, hidden_size, output_size
PART2_INPUT = (5, 8)  # batch, seq_len
AMPLIFY = 3.0  # the factor W_hh is scaled by in the "amplified" case


class FixedLayers(torch.nn.Module):
    """What part 2's functions read, ``model.rnn`` and ``model.fc``, with fixed weights, and no
    forward of its own. ``amplified``: W_hh scaled up by AMPLIFY (gradients that grow going back)."""

    def __init__(self, amplified: bool = False):
        super().__init__()
        n_in, n_hidden, n_out = PART2_SIZES
        self.hidden_size = n_hidden
        self.rnn = torch.nn.RNN(n_in, n_hidden, batch_first=True)
        self.fc = torch.nn.Linear(n_hidden, n_out)
        fill_fixed(self)
        if amplified:
            with torch.no_grad():
                self.rnn.weight_hh_l0.mul_(AMPLIFY)

    def forward(self, x):
        raise RuntimeError("this test model has no forward: compute with model.rnn's weights and model.fc")


def part2_data() -> tuple[torch.Tensor, torch.Tensor]:
    """(x, targets) of the visible part 2 checks: fixed inputs and the task's labels for them."""
    x = 0.5 * fixed(*PART2_INPUT, PART2_SIZES[0], salt=11)
    return x, (x[:, :, 0].sum(dim=1) > 0).long()

