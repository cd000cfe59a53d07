"""SimpleRNN.forward: shapes, numbers, last time step, batch independence."""

import torch

from autograder.checks import check, expect
from autograder.context import describe_error, same
from autograder.harness import grouped
from autograder.plan import FORWARD_SHAPES, FORWARD_SIZES, MAIN_CASE

I, H, O = FORWARD_SIZES
F = "SimpleRNN.forward"


def _case(ctx, case):
    result = ctx.result("forward", F)
    ctx.info("forward", F)  # refuses a SimpleRNN borrowed from the grader
    entry = result.info.get("cases", {}).get(case, {})
    if not entry.get("ok"):
        if "error" in entry:
            return None, describe_error(entry["error"])
        return None, f"returned {entry.get('type', 'nothing')} instead of a tensor"
    return result.tensors.get(f"y.{case}"), None


@check("forward.shapes")
def test_shapes(ctx):
    for case, (batch, seq_len) in FORWARD_SHAPES.items():
        y, problem = _case(ctx, case)
        expect(problem is None, f"{F} on input ({batch}, {seq_len}, {I}): {problem}")
        expect(tuple(y.shape) == (batch, O),
               f"{F}: expected logits of shape ({batch}, {O}) for input ({batch}, {seq_len}, {I}), "
               f"got {tuple(y.shape)}. Hint: one row of output_size logits per sequence; keep the "
               "batch dimension when it is 1 (no .squeeze()) and never hard-code sizes")


@check("forward.matches_reference")
def test_matches_reference(ctx):
    want = ctx.expected_forward()
    for case in [*FORWARD_SHAPES, "main"]:
        y, problem = _case(ctx, case)
        expect(problem is None, f"{F}: {problem}")
        expect(y.shape == want[case].shape and torch.allclose(y, want[case], atol=1e-5),
               f"{F}: logits differ from the reference with the same weights (input "
               f"{tuple(ctx.inputs('forward')['x.' + case].shape)}). Hint: zero h0 of shape "
               "(1, batch, hidden_size), run self.rnn, apply self.fc to out[:, -1, :]; "
               "no activation after fc")
    backward = ctx.info("forward", F).get("backward") or {}
    expect(backward.get("ok") is True,
           f"{F}: backpropagating through the logits failed: {describe_error(backward.get('error'))}")
    grads = grouped(ctx.result("forward", F).tensors, "g.")
    want = ctx.expected_forward_grads()
    expect(same(grads, want, atol=1e-5, rtol=1e-4),
           f"{F}: gradients do not reach every layer as in the reference "
           f"(got gradients for {sorted(grads) or 'no parameter'}). Hint: no .detach(), .item(), "
           "torch.no_grad() or .data inside forward: the RNN must be trained through the logits")


@check("forward.last_time_step")
def test_last_time_step(ctx):
    main, problem = _case(ctx, "main")
    expect(problem is None, f"{F}: {problem}")
    last, problem = _case(ctx, "last")
    expect(problem is None, f"{F}: {problem}")
    expect(main.shape == last.shape and not torch.allclose(main, last, atol=1e-4),
           f"{F}: changing only the last time step does not change the output. Hint: read out "
           "the last step, out[:, -1, :], not the first (out[:, 0, :])")
    want = ctx.expected_forward()
    expect(torch.allclose(last, want["last"], atol=1e-5),
           f"{F}: the output does not follow the last time step as the reference does. "
           "Hint: apply self.fc to out[:, -1, :]")


@check("forward.batch_independence")
def test_batch_independence(ctx):
    main, problem = _case(ctx, "main")
    expect(problem is None, f"{F}: {problem}")
    for row in range(MAIN_CASE[0]):
        alone, problem = _case(ctx, f"row{row}")
        expect(problem is None, f"{F} on a batch of one: {problem}")
        expect(alone.shape[0] == 1 and main.shape[0] == MAIN_CASE[0]
               and torch.allclose(alone[0], main[row], atol=1e-5),
               f"{F}: sequence {row} gets different logits alone than inside a batch of "
               f"{MAIN_CASE[0]}. Hint: with batch_first=True, x is (batch, seq_len, input_size); "
               "do not transpose or mix the batch and time dimensions")
