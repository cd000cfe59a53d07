"""Part 2: rnn_forward_manual, hidden_gradient_norms and gradient_factors, each judged on its own.

* ``rnn_forward_manual``: its shapes; its values against nn.RNN's, from a loop of
  its own (the torch operations it called are observed: a fused RNN op is not a
  loop); its gradients against *its own* forward: autograd's gradients of the
  student's function must agree with its finite differences (float64), so a
  wrong formula with honest gradients costs the values check alone, and a
  detach or a broken in-place write costs the gradient check alone.
* ``hidden_gradient_norms``: its shape alone; its values against |dL/dh_t|
  from nn.RNN itself, in float64, with a relative tolerance on every entry (the
  vanished early entries are the lesson), on the network as drawn and on the
  same network with its recurrent weights scaled up.
* ``gradient_factors``: the per-step factors |dL/dh_t| / |dL/dh_(t+1)|, with the
  judge's hidden_gradient_norms standing in for the student's (so a mistake
  there is charged once), and their bounds, the spectral norms of
  diag(1 - h^2) W_hh, against the judge's own measurement on the same weights.
"""

import itertools

import torch

from autograder import wire
from autograder.judge.catalogue import CheckFailure, check, expect
from autograder.judge.context import describe_value, shape_text

F, G, R = "rnn_forward_manual", "hidden_gradient_norms", "gradient_factors"
CASES = ("with_h0", "no_h0")
INPUTS = ("x", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "h0")
# torch's fused recurrent operations (what nn.RNN, nn.RNNCell, nn.LSTM, nn.GRU run): calling one is
# not writing the recurrence
FUSED = {"rnn_tanh", "rnn_relu", "rnn_tanh_cell", "rnn_relu_cell", "lstm", "lstm_cell", "gru", "gru_cell",
         "_thnn_fused_lstm_cell", "_thnn_fused_gru_cell", "quantized_rnn_tanh_cell",
         "quantized_rnn_relu_cell", "quantized_lstm_cell", "quantized_gru_cell"}
NORMS_RTOL = 1e-3  # float32 against float64 differs by up to about 1e-4 relative, on every entry
SCENARIOS = {"plain": "the network as drawn", "amplified": "the same network with W_hh scaled up"}
MAX_VALUES = 4096


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
    expected = want.reshape(-1).double()
    layouts = [got.permute(order).reshape(-1) for order in itertools.permutations(range(got.dim()))] \
        if got.dim() == want.dim() and got.dim() <= 4 else [got.reshape(-1)]
    for flat in layouts:
        flat = flat.double()
        if flat.std() > 0 and expected.std() > 0:
            if float(torch.corrcoef(torch.stack([flat, expected]))[0, 1]) > 0.5:
                return True
    return False


def _computed_somewhere(ctx) -> bool:
    """Whether out follows the recurrence's values in at least one case (a forged output does not)."""
    for case in CASES:
        try:
            _, got, _ = _case(ctx, case)
        except CheckFailure:
            continue
        if _computed(got.get("out"), ctx.expected.manual(case)["out"]):
            return True
    return False


@check("manual.shapes")
def test_shapes(ctx):
    for case in CASES:
        _, got, label = _case(ctx, case)
        want = ctx.expected.manual(case)
        for name in ("out", "h_n"):
            expect(isinstance(got.get(name), torch.Tensor) and got[name].shape == want[name].shape,
                   f"{F} ({label}): expected {name} of shape {shape_text(want[name].shape)}, got "
                   f"{describe_value(got.get(name))}")
    expect(_computed_somewhere(ctx),
           f"{F}: out has the right shape but not the recurrence's values in any case, so the shape cannot "
           "be credited yet", cause="manual.values")


def _fused(entry) -> list[str]:
    ops = {wire.text(name, 60).split(".")[0] for name in wire.sequence(entry.get("ops"), 256)}
    return sorted(ops & FUSED)


@check("manual.values")
def test_values(ctx):
    for case in CASES:
        entry, got, label = _case(ctx, case)
        fused = _fused(entry)
        expect(not fused,
               f"{F} ({label}): out and h_n come from torch's fused recurrent operation {', '.join(fused)} "
               "(what nn.RNN and nn.RNNCell run), not from a loop of your own")
        want = ctx.expected.manual(case)
        for name in ("out", "h_n"):
            expect(_values_close(_aligned(got.get(name), want[name]), want[name]),
                   f"{F} ({label}): {name} differs from nn.RNN's with the same weights"
                   + (" (is h0 used for the first step?)" if case == "with_h0" else ""))


def _loss(outputs: dict, prefix: str, u_out, u_h):
    """<u_out, out> + <u_h, h_n> in float64, as the worker computed it for its gradients."""
    out, h_n = outputs.get(f"{prefix}out"), outputs.get(f"{prefix}h_n")
    if not (isinstance(out, torch.Tensor) and isinstance(h_n, torch.Tensor)) \
            or out.numel() > u_out.numel() or h_n.numel() > u_h.numel():
        return None
    return float((out.reshape(-1).double() * u_out[:out.numel()]).sum()
                 + (h_n.reshape(-1).double() * u_h[:h_n.numel()]).sum())


def _gradient_problem(ctx, case, entry, got, label) -> str:
    """'' when autograd's gradients of the student's function agree with its finite differences."""
    spec = ctx.plan.manual
    gradients = wire.mapping(entry.get("gradients"))
    if gradients.get("ok") is not True:
        errors = wire.mapping(gradients.get("errors"))
        return f"{F} ({label}): it could not be run again to compare its gradients: " + ctx._explain(
            wire.error(errors.get("float32") or errors.get("float64")))
    if gradients.get("backward") is not True:
        return (f"{F} ({label}): backpropagating through out and h_n failed: "
                f"{ctx._explain(wire.error(gradients.get('backward_error'))).split(' Hint: ', 1)[0]}")
    if "moved_error" in gradients:
        moved = ctx._explain(wire.error(gradients.get("moved_error")))
        return f"{F} ({label}): it failed on slightly moved inputs: {moved}"
    double = gradients.get("dtype") == "float64"
    step = 1e-6 if double else 1e-3
    u_out, u_h = spec["u_out"].double(), spec["u_h"].double()
    names = [n for n in INPUTS if n != "h0" or case == "with_h0"]
    for name in names:
        plus = _loss(got, f"fd.plus.{name}.", u_out, u_h)
        minus = _loss(got, f"fd.minus.{name}.", u_out, u_h)
        if plus is None or minus is None:
            return f"{F} ({label}): out and h_n could not be compared on slightly moved inputs"
        numeric = (plus - minus) / (2 * step)
        grad = got.get(f"fd.g.{name}")
        direction = spec[f"dir.{name}"].double()
        if isinstance(grad, torch.Tensor) and grad.shape != direction.shape:
            return f"{F} ({label}): the gradient reaching {name} has shape {tuple(grad.shape)}"
        analytic = float((grad.double() * direction).sum()) if isinstance(grad, torch.Tensor) else 0.0
        tolerance = (1e-6 if double else 2e-2) * max(abs(numeric), abs(analytic)) + (1e-7 if double else 2e-3)
        if abs(numeric - analytic) > tolerance:
            return (f"{F} ({label}): the gradient autograd gives for {name} is not the one your own forward "
                    f"implies (moving {name} slightly changes the outputs at a rate of {numeric:.4g}; the "
                    f"gradient says {analytic:.4g}): part of the computation is cut from autograd")
    return ""


@check("manual.gradients")
def test_gradients(ctx):
    for case in CASES:
        entry, got, label = _case(ctx, case)
        problem = _gradient_problem(ctx, case, entry, got, label)
        if problem and _fused(entry):
            problem += (" (the parameters of an nn.RNN made inside are tensors of their own: values copied "
                        "into them carry no gradient back to the function's inputs)")
        expect(not problem, problem)
    expect(_computed_somewhere(ctx),
           f"{F}: its gradients agree with its own outputs, but out is not computed by the recurrence in any "
           "case, so they cannot be credited yet", cause="manual.values")


# --- hidden_gradient_norms ----------------------------------------------------------------------------


def _returned(info: dict, tensors: dict, name: str):
    """A returned tensor, or a list of numbers as a float64 tensor, or None; and its description."""
    value = wire.tensor(tensors, name, max_elements=MAX_VALUES)
    if value is not None:
        return value, describe_value(value)
    numbers = [wire.number(v) for v in wire.sequence(info.get("values"), MAX_VALUES)]
    kind = wire.text(info.get("type"), 40) or "nothing"
    if numbers and all(v is not None for v in numbers):
        return torch.tensor(numbers, dtype=torch.float64), f"a {kind} of {len(numbers)} numbers"
    return None, f"a {kind}"


def _norms(ctx, scenario):
    result = ctx.result(wire.GRADIENT_NORMS, G)
    entry = wire.mapping(result.info.get(scenario))
    if entry.get("ok") is not True:
        raise CheckFailure(f"{G} (on {SCENARIOS[scenario]}): {ctx._explain(wire.error(entry.get('error')))}")
    value, described = _returned(entry, result.tensors, f"{scenario}.norms")
    return value, described


def _relative_gap(got: torch.Tensor, want: torch.Tensor) -> torch.Tensor:
    return (got.double() - want).abs() / want.abs().clamp_min(1e-300)


@check("bptt.shape")
def test_norms_shape(ctx):
    seq_len = ctx.plan.bptt["x"].shape[1]
    seen = []
    for scenario in SCENARIOS:
        value, described = _norms(ctx, scenario)
        expect(isinstance(value, torch.Tensor) and described.startswith("a float")
               and tuple(value.shape) == (seq_len,),
               f"{G}: expected a float tensor of shape ({seq_len},), one norm per time step, got {described}")
        expect(bool(torch.isfinite(value).all()), f"{G}: returned values that are not finite numbers")
        seen.append(value)
    expect(not torch.equal(seen[0], seen[1]),
           f"{G}: returned the same numbers for two different networks, so they are not computed from the "
           "model and the shape cannot be credited yet", cause="bptt.values")


@check("bptt.values")
def test_norms_values(ctx):
    seq_len = ctx.plan.bptt["x"].shape[1]
    for scenario, words in SCENARIOS.items():
        value, described = _norms(ctx, scenario)
        want = ctx.expected.gradient_norms(scenario)
        expect(isinstance(value, torch.Tensor) and value.numel() == seq_len,
               f"{G} (on {words}): expected {seq_len} norms, one per time step, got {described}")
        got = value.reshape(-1).double()
        gap = _relative_gap(got, want)
        if bool((gap <= NORMS_RTOL).all()):
            continue
        direct = bool((got[:-1].abs() <= 1e-12 * want[-1]).all()) and float(gap[-1]) <= NORMS_RTOL
        expect(not direct,
               f"{G} (on {words}): every entry before the last is 0: those gradients were read from a tensor "
               "the loss reaches only directly (retain_grad on a stacked out, or on nn.RNN's output, holds "
               "the gradient of the loss through that tensor's own use, the last step, not through the "
               "later steps); read them from each h_t of the loop itself")
        expect(not bool((_relative_gap(got.flip(0), want) <= NORMS_RTOL).all()),
               f"{G} (on {words}): the norms are in reverse order: entry t is h_t's, t = 0 the first step")
        t = int(gap.argmax())
        expect(False, f"{G} (on {words}): entry {t} is {float(got[t]):.4g}, but |dLoss/dh_{t}| computed "
                      f"through nn.RNN is {float(want[t]):.4g} (every entry must agree to {NORMS_RTOL:g} "
                      f"relative, from {float(want[0]):.3g} at the first step to {float(want[-1]):.3g} "
                      "at the last)")


# --- gradient_factors -------------------------------------------------------------------------------


def _factors(ctx, scenario, part: str):
    result = ctx.result(wire.GRADIENT_FACTORS, R)
    entry = wire.mapping(result.info.get(scenario))
    words = SCENARIOS[scenario]
    if entry.get("ok") is not True:
        raise CheckFailure(f"{R} (on {words}): {ctx._explain(wire.error(entry.get('error')))}")
    if part not in entry:
        raise CheckFailure(f"{R} (on {words}): returned a {wire.text(entry.get('type'), 40)}, expected a "
                           "tuple (factors, bounds) of two tensors")
    value, described = _returned(wire.mapping(entry.get(part)), result.tensors, f"{scenario}.{part}")
    seq_len = ctx.plan.bptt["x"].shape[1]
    expect(isinstance(value, torch.Tensor) and described.startswith("a float")
           and tuple(value.shape) == (seq_len - 1,),
           f"{R} (on {words}): expected {part} as a float tensor of shape ({seq_len - 1},), one per step "
           f"back in time, got {described}")
    return value.double(), words


@check("factors.per_step")
def test_factors(ctx):
    for scenario in SCENARIOS:
        got, words = _factors(ctx, scenario, "factors")
        want, _ = ctx.expected.gradient_factors(scenario)
        gap = _relative_gap(got, want)
        if bool((gap <= NORMS_RTOL).all()):
            continue
        expect(not bool((_relative_gap(got, 1 / want) <= NORMS_RTOL).all()),
               f"{R} (on {words}): the factors are upside down: factor t is |dL/dh_t| / |dL/dh_(t+1)|, the "
               "change of the gradient's norm in one step back in time")
        t = int(gap.argmax())
        expect(False, f"{R} (on {words}): factor {t} is {float(got[t]):.4g}, but |dL/dh_{t}| / "
                      f"|dL/dh_{t + 1}| is {float(want[t]):.4g}")


@check("factors.bounds")
def test_bounds(ctx):
    for scenario in SCENARIOS:
        got, words = _factors(ctx, scenario, "bounds")
        _, want = ctx.expected.gradient_factors(scenario)
        gap = _relative_gap(got, want)
        if bool((gap <= NORMS_RTOL).all()):
            continue
        from autograder.judge.expect import step_bounds

        states = ctx.expected.hidden_states(scenario)
        weight_hh = ctx.expected.network(scenario).rnn.weight_hh_l0.detach()
        shifted = step_bounds(torch.cat([states[:, :1], states[:, :-1]], dim=1), weight_hh)
        expect(not bool((_relative_gap(got, shifted) <= NORMS_RTOL).all()),
               f"{R} (on {words}): bound t uses the slope of h_t; the step back from h_(t+1) to h_t has the "
               "Jacobian diag(1 - h_(t+1)^2) W_hh: take the slope of the state that step computed")
        t = int(gap.argmax())
        expect(False, f"{R} (on {words}): bound {t} is {float(got[t]):.4g}, but the largest spectral norm of "
                      f"diag(1 - h_{t + 1}^2) W_hh over the batch is {float(want[t]):.4g}")
