"""Part 2: rnn_forward_manual against nn.RNN's numbers, and hidden_gradient_norms against BPTT.

The expected gradient norms come from nn.RNN itself, not from a manual
recurrence: the sequence is split at step t, h_t made a leaf, and the loss
backpropagated to it.
"""

import torch

from autograder import wire
from autograder.judge.catalogue import CheckFailure, check, expect
from autograder.judge.context import describe_value, shape_text

F, G = "rnn_forward_manual", "hidden_gradient_norms"
CASES = ("with_h0", "no_h0")


def _case(ctx, case):
    result = ctx.result(wire.MANUAL_RNN, F)
    entry = wire.mapping(result.info.get(case))
    label = "with h0" if case == "with_h0" else "with h0=None"
    if entry.get("ok") is not True:
        if "error" in entry:
            raise CheckFailure(f"{F} ({label}): {ctx._explain(wire.error(entry.get('error')))}")
        raise CheckFailure(f"{F} ({label}): returned a {wire.text(entry.get('type'), 40)}, expected a tuple "
                           "(out, h_n) of two tensors")
    return entry, wire.grouped(result.tensors, f"{case}."), label


def _values_close(got, want) -> bool:
    """Same values in the same order (a missing or extra dimension of size 1 is the shape check's)."""
    return (isinstance(got, torch.Tensor) and got.numel() == want.numel() and got.is_floating_point()
            and torch.allclose(got.reshape(-1).double(), want.reshape(-1).double(), atol=1e-5, rtol=1e-4))


def _aligned(got, want):
    """``got`` with its dimensions permuted to ``want``'s shape when that makes the values match."""
    if not isinstance(got, torch.Tensor) or got.dim() != want.dim() or got.numel() != want.numel():
        return got
    import itertools

    for order in itertools.permutations(range(got.dim())):
        candidate = got.permute(order)
        if candidate.shape == want.shape and _values_close(candidate, want):
            return candidate
    return got


def _computed(got, want) -> bool:
    """An output really computed from the inputs: its values follow the expected ones (correlation
    above 0.5, in any layout), even when a term of the formula is wrong."""
    if not isinstance(got, torch.Tensor) or got.numel() != want.numel() or not got.is_floating_point():
        return False
    import itertools

    expected = want.reshape(-1).double()
    layouts = [got.permute(order).reshape(-1) for order in itertools.permutations(range(got.dim()))] \
        if got.dim() == want.dim() and got.dim() <= 4 else [got.reshape(-1)]
    for flat in layouts:
        flat = flat.double()
        if flat.std() > 0 and expected.std() > 0:
            if float(torch.corrcoef(torch.stack([flat, expected]))[0, 1]) > 0.5:
                return True
    return False


@check("manual.shapes")
def test_shapes(ctx):
    computed = False
    for case in CASES:
        _, got, label = _case(ctx, case)
        want = ctx.expected.manual(case)
        for name in ("out", "h_n"):
            expect(isinstance(got.get(name), torch.Tensor) and got[name].shape == want[name].shape,
                   f"{F} ({label}): expected {name} of shape {shape_text(want[name].shape)}, got "
                   f"{describe_value(got.get(name))}")
        computed = computed or _computed(got["out"], want["out"])
    expect(computed, f"{F}: out has the right shape but not the recurrence's values in any case, so the "
                     "shape cannot be credited yet")


@check("manual.values")
def test_values(ctx):
    for case in CASES:
        _, got, label = _case(ctx, case)
        want = ctx.expected.manual(case)
        for name in ("out", "h_n"):
            expect(_values_close(_aligned(got.get(name), want[name]), want[name]),
                   f"{F} ({label}): {name} differs from nn.RNN's with the same weights"
                   + (" (is h0 used for the first step?)" if case == "with_h0" else ""))


@check("manual.gradients")
def test_gradients(ctx):
    judged = 0
    for case in CASES:
        entry, got, label = _case(ctx, case)
        want = ctx.expected.manual(case)
        if not all(_values_close(_aligned(got.get(n), want[n]), want[n]) for n in ("out", "h_n")):
            continue  # a case whose values are wrong is the values check's; gradients judged elsewhere
        judged += 1
        expect(entry.get("backward") is True,
               f"{F} ({label}): backpropagating through out and h_n failed: "
               f"{ctx._explain(wire.error(entry.get('backward_error')))}")
        grads = wire.grouped(got, "g.")
        for name in [k[2:] for k in want if k.startswith("g.")]:
            expect(_values_close(grads.get(name), want[f"g.{name}"]),
                   f"{F} ({label}): the gradient reaching {name} differs from nn.RNN's")
    expect(judged > 0, f"{F}: not judged until out and h_n are right in at least one case")


def _norms(ctx):
    result = ctx.result(wire.GRADIENT_NORMS, G)
    value = wire.tensor(result.tensors, "norms", max_elements=4096)
    return result.info, value


def _norm_values(ctx):
    """The norms as numbers, from a tensor or a list of numbers."""
    info, value = _norms(ctx)
    if value is not None:
        return value.double()
    numbers = [wire.number(v) for v in wire.sequence(info.get("values"), 4096)]
    if numbers and all(v is not None for v in numbers):
        return torch.tensor(numbers, dtype=torch.float64)
    return None


@check("bptt.shape")
def test_norms_shape(ctx):
    info, value = _norms(ctx)
    seq_len = ctx.plan.bptt["x"].shape[1]
    got = describe_value(value) if value is not None else f"a {wire.text(info.get('type'), 40)}"
    expect(isinstance(value, torch.Tensor) and value.is_floating_point() and tuple(value.shape) == (seq_len,),
           f"{G}: expected a float tensor of shape ({seq_len},), one norm per time step, got {got}")
    want = ctx.expected.gradient_norms()
    # The last step's norm is the plain gradient of the loss at h_n: a value any real computation gets right.
    last = float(value.reshape(-1)[-1])
    expect(abs(last - float(want[-1])) <= 1e-5 + 1e-3 * abs(float(want[-1])),
           f"{G}: one value per time step, but the last one ({last:.4g}) is not |dLoss/dh_last| "
           f"({float(want[-1]):.4g}), so the shape cannot be credited yet")


@check("bptt.values")
def test_norms_values(ctx):
    value = _norm_values(ctx)
    want = ctx.expected.gradient_norms()
    expect(_values_close(value, want),
           f"{G}: the norms differ from |dLoss/dh_t| computed through nn.RNN "
           + (f"(last step: got {float(value.reshape(-1)[-1]):.4g}, expected {float(want[-1]):.4g})"
              if isinstance(value, torch.Tensor) and value.numel() == want.numel() else ""))
