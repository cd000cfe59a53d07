"""SimpleRNN.forward: shapes, the reference's logits, the last time step, one sequence at a time.

Forward runs on the student's own model with the judge's weights loaded, and
its numbers are *identified* against what common forward passes compute on the
same layers (see :mod:`autograder.judge.replica`): so the logits check judges
the post-processing, the last-step check the read-out, the shape check the
shape, and one mistake costs points once.
"""

import torch

from autograder.judge.catalogue import check, expect
from autograder.judge.context import describe_value, shape_text
from autograder.judge.replica import POSTS

F = "SimpleRNN.forward"
LAYER_CHECKS = ("construction.recurrent_layer", "construction.batch_first", "construction.readout_layer")


def _run_as_built(ctx):
    """forward on the model exactly as __init__ builds it, once those layers are right."""
    if all(ctx.passed(c) for c in LAYER_CHECKS):
        view = ctx.own_forward()
        if view is not None:
            return view
    return ctx.forward


def _failure(view, case, ctx) -> str:
    x = ctx.case_input(case)
    return f"{F} on input {shape_text(x.shape)}: {view.failures.get(case, 'no output')}{view.note}"


@check("forward.shapes")
def test_shapes(ctx):
    view = _run_as_built(ctx)
    outputs = view.replica.fc.out_features
    for case in ctx.plan.shape_cases:
        x = ctx.case_input(case)
        y = view.outputs[case]
        expect(y is not None, _failure(view, case, ctx))
        want = (x.shape[0], outputs)
        found = view.identified[case]
        expect(tuple(y.shape) == want,
               f"{F}: for input {shape_text(x.shape)} expected logits of shape {shape_text(want)}, got "
               f"{describe_value(y)}"
               + (f": the output is {found.describe()}" if found else "")
               + f"{view.note}")
        expect(found is not None,
               f"{F}: for input {shape_text(x.shape)} the output is not computed from the RNN's outputs "
               f"through self.fc{view.note}")


@check("forward.matches_reference")
def test_matches_reference(ctx):
    view = ctx.forward
    for case in (ctx.plan.main, *ctx.plan.shape_cases, "last"):
        x = ctx.case_input(case)
        expect(view.outputs[case] is not None, _failure(view, case, ctx))
        found = view.identified[case]
        expect(found is not None,
               f"{F}: for input {shape_text(x.shape)} the logits differ from the reference's with the same "
               f"weights, and match no common read-out{view.note}")
        if found.start and found.started("").is_reference:
            # described from the largest batch that showed one: "the same for every sequence" needs two
            shown = [(ctx.case_input(c).shape[0], i, view.identified[c].start)
                     for i, c in enumerate((ctx.plan.main, *ctx.plan.shape_cases, "last"))
                     if view.identified.get(c) is not None and view.identified[c].start]
            start = max(shown)[2] if shown else found.start
            expect(False, f"{F}: the logits are self.fc of the last time step, but started from {start}; the "
                          f"exercise starts from a zero initial hidden state{view.note}")
        expect(found.is_reference,
               f"{F}: for input {shape_text(x.shape)} the output is {found.describe()}; the reference "
               f"returns the raw logits of self.fc on the last time step{view.note}")
    grads = view.gradients
    want = ctx.expected.forward_grads(view.replica, view.identified[ctx.plan.main].readout)
    missing = sorted(k for k in want if k not in grads)
    flows = all(grads[k].shape == v.shape and torch.allclose(grads[k], v, atol=1e-5, rtol=1e-4)
                for k, v in want.items() if k in grads)
    expect(view.backward_ok and not missing and flows,
        f"{F}: the logits are right, but gradients do not flow back into "
        + (", ".join(missing[:4]) if missing else "every layer as they do in the reference")
        + f"{view.note}: no .detach(), .item(), .data or torch.no_grad() inside forward")


@check("forward.last_time_step")
def test_last_time_step(ctx):
    view = ctx.forward
    for case in (ctx.plan.main, "last"):
        expect(view.outputs[case] is not None, _failure(view, case, ctx))
        found = view.identified[case]
        expect(found is not None,
               f"{F}: the output matches no read-out of the RNN's outputs through self.fc, so which time "
               f"step it reads cannot be told{view.note}")
        expect(found.is_last_step,
               f"{F}: the output is {found.describe()}: not the last time step's{view.note}")


@check("forward.batch_independence")
def test_batch_independence(ctx):
    view = ctx.forward
    main = view.outputs[ctx.plan.main]
    expect(main is not None, _failure(view, ctx.plan.main, ctx))
    found = view.identified[ctx.plan.main]
    expect(found is not None,
           f"{F}: the output is not computed from the RNN's outputs through self.fc, so whether each "
           f"sequence is classified on its own cannot be told{view.note}")
    batch = ctx.case_input(ctx.plan.main).shape[0]
    expect(main.numel() % batch == 0 and main.shape[0] == batch,
           f"{F}: a batch of {batch} sequences gave {describe_value(main)}: the output is "
           f"{found.describe()}; expected one row per sequence{view.note}")
    expect(not found.inputs, f"{F}: the output is {found.describe()}: the sequences of a batch are mixed "
                             f"together{view.note}")
    rows = main.reshape(batch, -1)
    # Equal rows are the student's doing only when the reading they were identified as differs
    # between rows (a ReLU after fc gives all-zero rows when every logit came out negative).
    reading = POSTS[found.post](ctx.expected.forward_candidates(view.replica)[ctx.plan.main][
        (found.inputs, found.readout)]).reshape(batch, -1)
    expect(not all(torch.equal(rows[0], rows[i]) for i in range(1, batch))
           or all(torch.allclose(reading[0], reading[i], atol=1e-5) for i in range(1, batch)),
           f"{F}: every sequence of the batch gets the same logits: the output does not depend on the "
           f"input{view.note}")
    for index, case in enumerate(ctx.plan.rows):
        alone = view.outputs[case]
        expect(alone is not None, _failure(view, case, ctx))
        # From an initial state drawn anew for every call, a sequence alone gets other logits than
        # inside the batch; each is then the same computation from its own start (the logits check's
        # matter), which treats every sequence on its own.
        mine = view.identified[case]
        own_start = found.start and mine is not None and mine.started("") == found.started("")
        expect(own_start or (alone.numel() == rows[index].numel()
                             and torch.allclose(alone.reshape(-1), rows[index], atol=1e-5, rtol=1e-4)),
               f"{F}: sequence {index} gets other logits alone than inside a batch of {batch}{view.note}")
