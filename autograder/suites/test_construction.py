"""SimpleRNN.__init__: names, layer types and sizes, batch_first, parameter shapes."""

from autograder.checks import check, expect
from autograder.plan import FORWARD_SIZES

I, H, O = FORWARD_SIZES
F = "SimpleRNN.__init__"


@check("construction.attributes")
def test_attributes(ctx):
    info = ctx.info("construct", F)
    expect(info["is_module"], f"{F}: SimpleRNN must be an nn.Module (call super().__init__())")
    expect(info["hidden_size"] == H,
           f"{F}: self.hidden_size should be {H} for SimpleRNN({I}, {H}, {O}), got "
           f"{info['hidden_size'] if info['hidden_size'] is not None else info['hidden_size_type']}."
           " Hint: store the hidden_size argument, not a fixed number")
    expect(info["rnn_type"] != "NoneType" and info["fc_type"] != "NoneType",
           f"{F}: no self.rnn or self.fc attribute. Hint: use exactly these names; "
           "saved weights and graders rely on them")


@check("construction.layer_types")
def test_layer_types(ctx):
    info = ctx.info("construct", F)
    expect(info["rnn_is_rnn"] and info.get("rnn_mode") == "RNN_TANH",
           f"{F}: self.rnn should be an nn.RNN, got {info['rnn_type']}. "
           "Hint: the module uses a plain RNN layer (not LSTM or GRU here)")
    expect((info.get("rnn_input_size"), info.get("rnn_hidden_size")) == (I, H),
           f"{F}: expected nn.RNN({I}, {H}), got nn.RNN({info.get('rnn_input_size')}, "
           f"{info.get('rnn_hidden_size')}). Hint: pass input_size, hidden_size in that order")
    expect(info.get("rnn_num_layers") == 1 and not info.get("rnn_bidirectional"),
           f"{F}: expected one unidirectional layer. Hint: keep nn.RNN's defaults for "
           "num_layers and bidirectional")
    expect(info["fc_is_linear"] and (info.get("fc_in"), info.get("fc_out")) == (H, O),
           f"{F}: expected self.fc = nn.Linear({H}, {O}), got {info['fc_type']}"
           f"({info.get('fc_in')}, {info.get('fc_out')}). "
           "Hint: map hidden_size features to output_size logits")


@check("construction.batch_first")
def test_batch_first(ctx):
    info = ctx.info("construct", F)
    expect(info.get("rnn_batch_first") is True,
           f"{F}: nn.RNN built with batch_first={info.get('rnn_batch_first')}. Hint: inputs are "
           "(batch, seq_len, input_size), so pass batch_first=True")


@check("construction.parameter_shapes")
def test_parameter_shapes(ctx):
    ctx.info("construct", F)  # refuses a SimpleRNN borrowed from the grader
    want = {
        "rnn.weight_ih_l0": [H, I], "rnn.weight_hh_l0": [H, H], "rnn.bias_ih_l0": [H],
        "rnn.bias_hh_l0": [H], "fc.weight": [O, H], "fc.bias": [O],
    }
    got = {k: list(v.shape) for k, v in ctx.result("construct", F).tensors.items()}
    expect(got == want,
           f"{F}: parameters {sorted(got)} do not match "
           f"{sorted(want)} with their shapes. Hint: only self.rnn and self.fc hold parameters")
