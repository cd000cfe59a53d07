"""SimpleRNN.__init__: the recurrent layer, its batch-first layout, the read-out layer.

Each is settled by numbers: the judge's own weights, loaded by name into the
student's model, must make ``self.rnn`` and ``self.fc`` compute what torch's
layers compute with them.
"""

import torch

from autograder.judge.catalogue import check, expect
from autograder.judge.context import describe_value

F = "SimpleRNN.__init__"


def _layer_output(ctx):
    rnn_out, fc_out = ctx.layer_outputs
    return rnn_out, fc_out


def _close(got, want) -> bool:
    return (isinstance(got, torch.Tensor) and got.numel() == want.numel()
            and torch.allclose(got.reshape(-1).double(), want.reshape(-1).double(), atol=1e-5, rtol=1e-4))


@check("construction.recurrent_layer")
def test_recurrent_layer(ctx):
    I, H, _ = ctx.plan.sizes
    replica = ctx.replica()
    rnn = replica.rnn
    expect(replica.kind == "RNN" and rnn.nonlinearity == "tanh",
           f"{F}: self.rnn is an nn.{replica.kind}"
           + (f" with nonlinearity={rnn.nonlinearity!r}" if replica.kind == "RNN" else "")
           + "; the exercise uses the plain nn.RNN (tanh)")
    expect((rnn.input_size, rnn.hidden_size) == (I, H),
           f"{F}: for SimpleRNN({I}, {H}, ...) self.rnn maps {rnn.input_size} features to {rnn.hidden_size}; "
           f"expected {I} to {H}")
    expect(rnn.num_layers == 1 and not rnn.bidirectional and rnn.bias,
           f"{F}: self.rnn has num_layers={rnn.num_layers}, bidirectional={rnn.bidirectional}, "
           f"bias={rnn.bias}; "
           "the exercise uses one layer, one direction, with biases (the defaults)")
    rnn_out, _ = _layer_output(ctx)
    with torch.no_grad():
        readings = [replica.rnn_batch_first(ctx.plan.layer_x)[0], replica.rnn(ctx.plan.layer_x)[0]]
    expect(any(_close(rnn_out, want) for want in readings),
           f"{F}: with the grader's weights loaded by name, self.rnn returned {describe_value(rnn_out)} that "
           "differs from nn.RNN's output with the same weights")


@check("construction.batch_first")
def test_batch_first(ctx):
    replica = ctx.replica()
    rnn_out, _ = _layer_output(ctx)
    with torch.no_grad():
        want = replica.rnn_batch_first(ctx.plan.layer_x)[0]
    batch, seq_len, _ = ctx.plan.layer_x.shape
    expect(_close(rnn_out, want) and rnn_out.shape == want.shape,
           f"{F}: given x of shape ({batch}, {seq_len}, input_size), self.rnn "
           + ("read it as seq_len-first" if not replica.rnn.batch_first else
              f"returned {describe_value(rnn_out)}")
           + f"; expected one output per sequence and time step, ({batch}, {seq_len}, hidden_size)")


@check("construction.readout_layer")
def test_readout_layer(ctx):
    _, H, O = ctx.plan.sizes
    replica = ctx.replica()
    fc = replica.fc
    expect((fc.in_features, fc.out_features) == (H, O),
           f"{F}: for SimpleRNN(..., {H}, {O}) self.fc is nn.Linear({fc.in_features}, {fc.out_features}); "
           f"expected nn.Linear({H}, {O})")
    _, fc_out = _layer_output(ctx)
    with torch.no_grad():
        want = fc(ctx.plan.layer_h)
    expect(_close(fc_out, want) and fc.bias is not None,
           f"{F}: with the grader's weights loaded by name, self.fc returned {describe_value(fc_out)} that "
           "differs from nn.Linear's output with the same weights")
