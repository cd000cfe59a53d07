"""Common mistakes, each an exact edit of the solution, and the checks it must cost.

One mistake costs points once, on the checks that name it: for most mistakes
the set of failed checks must be exactly the one listed (``EXACT``). A forward
pass that crashes for most inputs costs its own group (and the meta-device
check, which runs it too): those are listed with the scope their failures must
stay in (``SCOPED``). Every charged check's message is one line that names the
function and ends with a hint.
"""

from __future__ import annotations

import pytest

from tests.grader.common import (
    FUNCTION_LINE,
    assert_valid_results,
    by_check,
    edit,
    failed,
    grade_all,
    write_variants,
)
from tests.variants import MANUAL_BODY, MINI_BATCHES

pytestmark = pytest.mark.slow  # every test here grades in the sandbox or runs a subprocess

H0 = "        h0 = torch.zeros(1, x.size(0), self.hidden_size, device=x.device, dtype=x.dtype)\n"
RUN = "        out, _ = self.rnn(x, h0)\n"
READOUT = "        return self.fc(out[:, -1, :])\n"
RNN = "        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)\n"
FC = "        self.fc = nn.Linear(hidden_size, output_size)\n"
ZERO = "    optimizer.zero_grad()\n"
LOSS = "    loss = criterion(outputs, targets)\n"
CLIP = "    if max_grad_norm is not None:\n        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)\n"
STEP = "    optimizer.step()\n"
RETURN_LOSS = "    return loss.item()\n"
ADAM = "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
TRAIN_BODY = """    return [
        training_step(model, inputs, targets, criterion, optimizer, max_grad_norm)
        for _ in range(epochs)
    ]
"""
MOVE = "    model.to(device)\n    inputs, targets = inputs.to(device), targets.to(device)\n"
PREDICT = "    model.eval()\n    with torch.no_grad():\n        return model(inputs).argmax(dim=1)\n"
MANUAL_STEP = "        h = torch.tanh(x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)\n"
MANUAL_H0 = "    h = x.new_zeros(batch, weight_hh.shape[0]) if h0 is None else h0[0]\n"
MANUAL_RETURN = "    return torch.stack(states, dim=1), h.unsqueeze(0)\n"
RETAIN = "        h.retain_grad()\n"
NORMS_RETURN = "    return torch.stack([state.grad.norm() for state in states])\n"
NORMS_START = "    h = x.new_zeros(x.shape[0], rnn.hidden_size)\n"
NORMS_LOSS = "    loss = nn.functional.cross_entropy(model.fc(h), targets)\n"
FACTORS_RETURN = "    return norms[:-1] / norms[1:], bounds\n"
SLOPES = "        slopes = 1 - out[:, 1:] ** 2\n"
BOUNDS = "        bounds = torch.linalg.matrix_norm(jacobians, ord=2).amax(dim=0)\n"
MANUAL_LOOP_FROM_OUT = """    batch, seq_len, _ = x.shape
    h = x.new_zeros(batch, weight_hh.shape[0]) if h0 is None else h0[0]
    out = x.new_zeros(batch, seq_len, weight_hh.shape[0])
    for t in range(seq_len):
"""
FORWARD_CHECKS = {"forward.shapes", "forward.matches_reference", "forward.last_time_step",
                  "forward.batch_independence"}
STEP_CHECKS = {"training_step.returns_float", "training_step.step_taken", "training_step.matches_reference",
               "training_step.zero_grad", "training_step.clipping"}

# name: (variant, the checks it costs, exactly)
EXACT: dict[str, tuple[str, set[str]]] = {
    # --- __init__ ------------------------------------------------------------------------------
    "no_batch_first": (edit((RNN, "        self.rnn = nn.RNN(input_size, hidden_size)\n")),
                       {"construction.batch_first"}),
    "batch_first_false_with_transpose": (
        edit((RNN, "        self.rnn = nn.RNN(input_size, hidden_size)\n"),
             (RUN, "        out, _ = self.rnn(x.transpose(0, 1), h0)\n        out = out.transpose(0, 1)\n")),
        {"construction.batch_first"}),
    "hidden_size_attribute_wrong": (
        edit(("        self.hidden_size = hidden_size\n", "        self.hidden_size = output_size\n")),
        {"forward.shapes"}),
    "hidden_size_hard_coded": (
        edit(("        self.hidden_size = hidden_size\n", "        self.hidden_size = 16\n")), {"forward.shapes"}),
    "lstm_with_h0_and_c0": (
        edit((RNN, "        self.rnn = nn.LSTM(input_size, hidden_size, batch_first=True)\n"),
             (RUN, "        out, _ = self.rnn(x, (h0, torch.zeros_like(h0)))\n")),
        {"construction.recurrent_layer"}),
    "lstm_with_unchanged_forward": (
        edit((RNN, "        self.rnn = nn.LSTM(input_size, hidden_size, batch_first=True)\n")),
        {"construction.recurrent_layer"}),
    "gru_instead_of_rnn": (edit((RNN, "        self.rnn = nn.GRU(input_size, hidden_size, batch_first=True)\n")),
                           {"construction.recurrent_layer"}),
    "relu_rnn": (edit((RNN, "        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True, "
                            "nonlinearity='relu')\n")), {"construction.recurrent_layer"}),
    "bidirectional": (
        edit((RNN, "        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True, bidirectional=True)\n")),
        {"construction.recurrent_layer"}),
    "two_layers": (edit((RNN, "        self.rnn = nn.RNN(input_size, hidden_size, num_layers=2, "
                              "batch_first=True)\n")), {"construction.recurrent_layer"}),
    "linear_wrong_sizes": (edit((FC, "        self.fc = nn.Linear(input_size, output_size)\n")),
                           {"construction.readout_layer"}),
    "output_size_1_hard_coded": (edit((FC, "        self.fc = nn.Linear(hidden_size, 1)\n")),
                                 {"construction.readout_layer"}),
    # --- forward --------------------------------------------------------------------------------
    "h0_on_cpu": (edit((H0, "        h0 = torch.zeros(1, x.size(0), self.hidden_size)\n")),
                  {"device.forward_meta"}),
    "batch_and_time_swapped": (
        edit((RUN, "        out, _ = self.rnn(x.transpose(0, 1).reshape(x.shape), h0)\n")),
        {"forward.matches_reference", "forward.batch_independence"}),
    "first_time_step": (edit((READOUT, "        return self.fc(out[:, 0, :])\n")),
                        {"forward.matches_reference", "forward.last_time_step"}),
    "mean_over_time": (edit((READOUT, "        return self.fc(out.mean(dim=1))\n")),
                       {"forward.matches_reference", "forward.last_time_step"}),
    "readout_out_minus_1": (edit((READOUT, "        return self.fc(out[-1])\n")), FORWARD_CHECKS),
    "squeeze": (edit((READOUT, "        return self.fc(out[:, -1, :]).squeeze()\n")), {"forward.shapes"}),
    "relu_after_fc": (edit((READOUT, "        return torch.relu(self.fc(out[:, -1, :]))\n")),
                      {"forward.matches_reference"}),
    "softmax_after_fc": (edit((READOUT, "        return torch.softmax(self.fc(out[:, -1, :]), dim=1)\n")),
                         {"forward.matches_reference"}),
    # A detached RNN output gives the reference's logits but stops every gradient into the RNN.
    "detached_rnn_output": (edit((READOUT, "        return self.fc(out[:, -1, :].detach())\n")),
                            {"forward.matches_reference"}),
    # No forward at all: nothing to judge the meta device's placement by either.
    "constant_forward": (edit((H0 + RUN + READOUT,
                               "        return torch.zeros(x.size(0), self.fc.out_features, device=x.device)\n")),
                         FORWARD_CHECKS | {"device.forward_meta"}),
    # --- training_step --------------------------------------------------------------------------
    "no_zero_grad": (edit((ZERO, "")), {"training_step.zero_grad"}),
    "backward_without_step": (edit((STEP, "")), {"training_step.step_taken", "training_step.matches_reference"}),
    "zero_grad_between_backward_and_step": (
        edit((ZERO, ""), (STEP, "    optimizer.zero_grad()\n" + STEP)),
        {"training_step.step_taken", "training_step.matches_reference", "training_step.zero_grad"}),
    "clip_after_step": (edit((CLIP + STEP, STEP + CLIP)), {"training_step.clipping"}),
    "never_clips": (edit((CLIP, "")), {"training_step.clipping"}),
    "always_clips_at_1": (
        edit((CLIP, "    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n")), {"training_step.clipping"}),
    "clips_values_not_norm": (
        edit((CLIP, CLIP.replace("clip_grad_norm_", "clip_grad_value_"))), {"training_step.clipping"}),
    "softmax_before_cross_entropy": (
        edit((LOSS, "    loss = criterion(torch.softmax(outputs, dim=1), targets)\n")),
        {"training_step.matches_reference"}),
    "returns_loss_tensor": (edit((RETURN_LOSS, "    return loss\n")), {"training_step.returns_float"}),
    "returns_loss_after_step": (
        edit((RETURN_LOSS, "    return criterion(model(inputs), targets).item()\n")),
        {"training_step.returns_float"}),
    "float_targets": (edit((LOSS, "    loss = criterion(outputs, targets.float())\n")), STEP_CHECKS),
    "detached_outputs_in_step": (edit(("    outputs = model(inputs)\n", "    outputs = model(inputs).detach()\n")),
                                 STEP_CHECKS),
    # --- train ---------------------------------------------------------------------------------------
    "sgd_instead_of_adam": (edit((ADAM, "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n")),
                            {"train.matches_reference", "train.loss_falls"}),
    "ignores_lr": (edit((ADAM, "    optimizer = torch.optim.Adam(model.parameters(), lr=1e-6)\n")),
                   {"train.matches_reference", "train.loss_falls"}),
    "trains_a_deepcopy": (
        edit(("    if device is None:\n", "    import copy\n    model = copy.deepcopy(model)\n    if device is None:\n")),
        {"train.trains_passed_model"}),
    "ignores_device": (edit((MOVE, "")), {"device.train_meta"}),
    "ignores_device_argument": (
        edit(("    if device is None:\n        device = next(model.parameters()).device\n",
              "    device = next(model.parameters()).device\n")), {"device.train_meta"}),
    "does_not_pass_max_grad_norm": (edit((TRAIN_BODY, TRAIN_BODY.replace(", max_grad_norm)", ")"))),
                                    {"train.max_grad_norm"}),
    "new_optimizer_every_epoch": (
        edit((ADAM, ""), (TRAIN_BODY, """    losses = []
    for _ in range(epochs):
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        losses.append(training_step(model, inputs, targets, criterion, optimizer, max_grad_norm))
    return losses
""")), {"train.matches_reference"}),
    "train_returns_tensor": (
        edit(("    return [\n        training_step", "    return torch.tensor([\n        training_step"),
             ("        for _ in range(epochs)\n    ]\n", "        for _ in range(epochs)\n    ])\n")),
        {"train.returns_losses"}),
    "train_returns_none": (edit(("    return [\n        training_step", "    [\n        training_step")),
                           {"train.returns_losses"}),
    "one_epoch_too_many": (edit((TRAIN_BODY, TRAIN_BODY.replace("range(epochs)", "range(epochs + 1)"))),
                           {"train.returns_losses", "train.matches_reference"}),
    # --- predict -------------------------------------------------------------------------------------
    "predict_returns_logits": (edit((PREDICT, "    model.eval()\n    with torch.no_grad():\n"
                                              "        return model(inputs)\n")), {"predict.dtype_shape"}),
    "predict_returns_probabilities": (
        edit((PREDICT, "    model.eval()\n    with torch.no_grad():\n        return torch.softmax(model(inputs), dim=1)\n")),
        {"predict.dtype_shape"}),
    "predict_argmax_wrong_dim": (edit(("        return model(inputs).argmax(dim=1)", "        return model(inputs).argmax(dim=0)")),
                                 {"predict.dtype_shape", "predict.matches_reference"}),
    "predict_leaves_train_mode": (edit(("    model.eval()\n    with", "    with")), {"predict.eval_mode"}),
    "predict_tracks_gradients": (
        edit((PREDICT, "    model.eval()\n    return model(inputs).argmax(dim=1)\n")), {"predict.no_grad"}),
    # --- part 2 -------------------------------------------------------------------------------------
    "manual_ignores_h0": (edit((MANUAL_H0, "    h = x.new_zeros(batch, weight_hh.shape[0])\n")),
                          {"manual.values"}),
    "manual_h_n_without_layer_dimension": (
        edit((MANUAL_RETURN, "    return torch.stack(states, dim=1), h\n")), {"manual.shapes"}),
    "manual_detaches_each_step": (edit((MANUAL_STEP, MANUAL_STEP.rstrip("\n") + ".detach()\n")),
                                  {"manual.gradients"}),
    "norms_returned_as_a_list": (edit((NORMS_RETURN, "    return [state.grad.norm().item() for state in states]\n")),
                                 {"bptt.shape"}),
    "norms_without_retain_grad": (edit((RETAIN, "")), {"bptt.shape", "bptt.values"}),
    # --- part 2: one mistake, one charge --------------------------------------------------------------
    "manual_no_bias_hh": (edit((MANUAL_STEP, MANUAL_STEP.replace(" + bias_hh)", ")"))), {"manual.values"}),
    "manual_no_tanh": (edit((MANUAL_STEP, "        h = x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh\n")),
                       {"manual.values"}),
    "manual_untransposed_w_hh": (edit((MANUAL_STEP, MANUAL_STEP.replace("h @ weight_hh.T", "h @ weight_hh"))),
                                 {"manual.values"}),
    "manual_h_n_from_the_first_step": (
        edit((MANUAL_RETURN, "    return torch.stack(states, dim=1), states[0].unsqueeze(0)\n")), {"manual.values"}),
    "manual_random_start": (
        edit((MANUAL_H0, "    h = torch.randn(batch, weight_hh.shape[0]) if h0 is None else h0[0]\n")), {"manual.values"}),
    "manual_seq_first_out": (edit((MANUAL_RETURN, "    return torch.stack(states, dim=0), h.unsqueeze(0)\n")),
                             {"manual.shapes"}),
    "manual_writes_through_data": (edit((MANUAL_BODY, MANUAL_LOOP_FROM_OUT + """        h = torch.tanh(x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
        out.data[:, t] = h
    return out, h.unsqueeze(0)
""")), {"manual.gradients"}),
    "manual_reads_back_what_it_wrote": (edit((MANUAL_BODY, MANUAL_LOOP_FROM_OUT + """        previous = h if t == 0 else out[:, t - 1]
        out[:, t] = torch.tanh(x[:, t] @ weight_ih.T + bias_ih + previous @ weight_hh.T + bias_hh)
    return out, out[:, -1].unsqueeze(0)
""")), {"manual.gradients"}),
    "manual_fused_rnn_tanh": (edit((MANUAL_BODY, """    h = x.new_zeros(1, x.shape[0], weight_hh.shape[0]) if h0 is None else h0
    return torch.rnn_tanh(x, h, [weight_ih, weight_hh, bias_ih, bias_hh], True, 1, 0.0, False, False, True)
""")), {"manual.values"}),
    "manual_nn_rnn_inside": (edit((MANUAL_BODY, """    rnn = nn.RNN(x.shape[2], weight_hh.shape[0], batch_first=True).to(x.dtype)
    weights = {"weight_ih_l0": weight_ih, "weight_hh_l0": weight_hh, "bias_ih_l0": bias_ih, "bias_hh_l0": bias_hh}
    return torch.func.functional_call(rnn, weights, (x, h0))
""")), {"manual.values"}),
    "manual_nn_rnn_with_weights_copied_in": (edit((MANUAL_BODY, """    rnn = nn.RNN(x.shape[2], weight_hh.shape[0], batch_first=True)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(weight_ih)
        rnn.weight_hh_l0.copy_(weight_hh)
        rnn.bias_ih_l0.copy_(bias_ih)
        rnn.bias_hh_l0.copy_(bias_hh)
    return rnn(x, h0)
""")), {"manual.values", "manual.gradients"}),
    "manual_rnn_cell_op_per_step": (
        edit((MANUAL_STEP, "        h = torch.rnn_tanh_cell(x[:, t], h, weight_ih, weight_hh, bias_ih, bias_hh)\n")),
        {"manual.values"}),
    "norms_reversed": (edit((NORMS_RETURN, "    return torch.stack([state.grad.norm() for state in states[::-1]])\n")),
                       {"bptt.values"}),
    "norms_per_sequence_then_averaged": (
        edit((NORMS_RETURN, "    return torch.stack([state.grad.norm(dim=1).mean() for state in states])\n")),
        {"bptt.values"}),
    "norms_of_the_states": (edit((NORMS_RETURN, "    return torch.stack([state.detach().norm() for state in states])\n")),
                            {"bptt.values"}),
    "norms_of_the_input_gradients": (
        edit(("    rnn = model.rnn\n    h = x.new_zeros", "    rnn = model.rnn\n    x = x.clone().requires_grad_(True)\n"
              "    h = x.new_zeros"), (NORMS_RETURN, "    return x.grad.norm(dim=(0, 2))\n")), {"bptt.values"}),
    "norms_random_start": (edit((NORMS_START, "    h = torch.randn(x.shape[0], rnn.hidden_size)\n")), {"bptt.values"}),
    "norms_retain_grad_on_stacked_out": (
        edit((RETAIN, ""), (NORMS_LOSS + "    loss.backward()\n" + NORMS_RETURN, """    out = torch.stack(states, dim=1)
    out.retain_grad()
    nn.functional.cross_entropy(model.fc(out[:, -1]), targets).backward()
    return out.grad.norm(dim=(0, 2))
""")), {"bptt.values"}),
    "norms_retain_grad_on_nn_rnn_output": (
        edit((NORMS_LOSS + "    loss.backward()\n" + NORMS_RETURN, """    out, _ = rnn(x)
    out.retain_grad()
    nn.functional.cross_entropy(model.fc(out[:, -1]), targets).backward()
    return out.grad.norm(dim=(0, 2))
""")), {"bptt.values"}),
    "norms_of_a_summed_loss": (edit((NORMS_LOSS, NORMS_LOSS.replace("targets)", "targets, reduction='sum')"))),
                               {"bptt.values"}),
    "factors_upside_down": (edit((FACTORS_RETURN, "    return norms[1:] / norms[:-1], bounds\n")),
                            {"factors.per_step"}),
    "bounds_from_the_slope_of_h_t": (edit((SLOPES, "        slopes = 1 - out[:, :-1] ** 2\n")), {"factors.bounds"}),
    "bounds_averaged_over_the_batch": (edit((BOUNDS, BOUNDS.replace(".amax(dim=0)", ".mean(dim=0)"))),
                                       {"factors.bounds"}),
    "bounds_without_the_slopes": (
        edit((BOUNDS, "        bounds = torch.linalg.matrix_norm(rnn.weight_hh_l0, ord=2).repeat(x.shape[1] - 1)\n")),
        {"factors.bounds"}),
    # --- part 1: one mistake, one charge --------------------------------------------------------------
    "random_h0": (edit((H0, H0.replace("torch.zeros(", "torch.randn("))), {"forward.matches_reference"}),
    "learned_random_h0": (
        edit((FC, FC + "        self.h0 = nn.Parameter(torch.randn(1, 1, hidden_size))\n"),
             (H0, "        h0 = self.h0.expand(1, x.size(0), self.hidden_size).contiguous()\n")),
        {"forward.matches_reference"}),
    "step_ignores_its_criterion": (edit((LOSS, "    loss = nn.CrossEntropyLoss()(outputs, targets)\n")),
                                   {"training_step.matches_reference"}),
    "train_on_mini_batches": (edit((TRAIN_BODY, MINI_BATCHES)), {"train.matches_reference"}),
}

# Forward passes that crash for most batch sizes or lengths: their failures stay in forward's checks
# (and the meta-device check, which runs forward too), and include the shape check.
SCOPED: dict[str, tuple[str, set[str]]] = {
    "h0_from_seq_len": (edit((H0, H0.replace("x.size(0)", "x.size(1)"))), {"forward.shapes"}),
    "batch_hard_coded": (edit((H0, H0.replace("x.size(0)", "4"))), {"forward.shapes"}),
    "sequence_length_hard_coded": (edit((READOUT, "        return self.fc(out[:, 11, :])\n")),
                                   {"forward.shapes"}),
}
SCOPE = FORWARD_CHECKS | {"device.forward_meta"}
MISTAKES = {**EXACT, **SCOPED}

# What each mistake looks like in a student's code: the README's "mistake -> checks charged" table.
DESCRIPTIONS = {
    "no_batch_first": "`nn.RNN(input_size, hidden_size)` without `batch_first=True`",
    "batch_first_false_with_transpose": "no `batch_first`, but `x.transpose(0, 1)` in forward (the same function)",
    "hidden_size_attribute_wrong": "`self.hidden_size = output_size`",
    "hidden_size_hard_coded": "`self.hidden_size = 16`",
    "lstm_with_h0_and_c0": "`nn.LSTM` with `(h0, c0)` in forward",
    "lstm_with_unchanged_forward": "`nn.LSTM`, forward unchanged",
    "gru_instead_of_rnn": "`nn.GRU` instead of `nn.RNN`",
    "relu_rnn": "`nonlinearity='relu'`",
    "bidirectional": "`bidirectional=True`",
    "two_layers": "`num_layers=2`",
    "linear_wrong_sizes": "`nn.Linear(input_size, output_size)`",
    "output_size_1_hard_coded": "`nn.Linear(hidden_size, 1)`",
    "h0_on_cpu": "h0 made without `device=x.device`",
    "batch_and_time_swapped": "`x.transpose(0, 1).reshape(x.shape)` before the RNN",
    "first_time_step": "`self.fc(out[:, 0, :])`",
    "mean_over_time": "`self.fc(out.mean(dim=1))`",
    "readout_out_minus_1": "`self.fc(out[-1])` (the module comment's seq-first reading)",
    "squeeze": "`.squeeze()` on the logits",
    "relu_after_fc": "`torch.relu` after `self.fc`",
    "softmax_after_fc": "`torch.softmax` after `self.fc`",
    "detached_rnn_output": "`out[:, -1, :].detach()`",
    "constant_forward": "forward returns zeros (no forward at all)",
    "no_zero_grad": "no `zero_grad()`",
    "backward_without_step": "no `optimizer.step()`",
    "zero_grad_between_backward_and_step": "`zero_grad()` between `backward()` and `step()`",
    "clip_after_step": "clipping after `step()`",
    "never_clips": "no clipping",
    "always_clips_at_1": "always clipping at 1.0",
    "clips_values_not_norm": "`clip_grad_value_` instead of `clip_grad_norm_`",
    "softmax_before_cross_entropy": "`criterion(torch.softmax(outputs, dim=1), targets)`",
    "returns_loss_tensor": "`return loss` (a tensor)",
    "returns_loss_after_step": "returns the loss recomputed after the step",
    "float_targets": "`targets.float()` (training_step crashes)",
    "detached_outputs_in_step": "`model(inputs).detach()` (training_step crashes)",
    "sgd_instead_of_adam": "`torch.optim.SGD` in train",
    "ignores_lr": "Adam with a fixed `lr=1e-6`",
    "trains_a_deepcopy": "train trains `copy.deepcopy(model)`",
    "ignores_device": "train never moves model and data",
    "ignores_device_argument": "train ignores its `device` argument",
    "does_not_pass_max_grad_norm": "train does not pass `max_grad_norm` on",
    "new_optimizer_every_epoch": "a new Adam every epoch",
    "train_returns_tensor": "train returns `torch.tensor(losses)`",
    "train_returns_none": "train returns nothing",
    "one_epoch_too_many": "`range(epochs + 1)`",
    "predict_returns_logits": "predict returns the logits",
    "predict_returns_probabilities": "predict returns softmax probabilities",
    "predict_argmax_wrong_dim": "`argmax(dim=0)`",
    "predict_leaves_train_mode": "no `model.eval()`",
    "predict_tracks_gradients": "no `torch.no_grad()`",
    "manual_ignores_h0": "rnn_forward_manual always starts from zeros",
    "manual_h_n_without_layer_dimension": "rnn_forward_manual returns h_n as (batch, hidden)",
    "manual_detaches_each_step": "rnn_forward_manual detaches each h_t",
    "norms_returned_as_a_list": "hidden_gradient_norms returns a list of floats",
    "norms_without_retain_grad": "hidden_gradient_norms without `retain_grad()` (it crashes)",
    "manual_no_bias_hh": "rnn_forward_manual without `bias_hh`",
    "manual_no_tanh": "rnn_forward_manual without `tanh`",
    "manual_untransposed_w_hh": "rnn_forward_manual with `h @ weight_hh` (not transposed)",
    "manual_h_n_from_the_first_step": "rnn_forward_manual returns the first step's state as h_n",
    "manual_random_start": "rnn_forward_manual starts from `torch.randn` when h0 is None",
    "manual_seq_first_out": "rnn_forward_manual stacks out seq-first, `(seq_len, batch, hidden)`",
    "manual_writes_through_data": "rnn_forward_manual writes each state through `out.data[:, t]`",
    "manual_reads_back_what_it_wrote": "rnn_forward_manual reads `out[:, t - 1]` back after writing it in place",
    "manual_fused_rnn_tanh": "rnn_forward_manual calls `torch.rnn_tanh` (no loop)",
    "manual_nn_rnn_inside": "rnn_forward_manual runs an `nn.RNN` with the given weights (`functional_call`)",
    "manual_nn_rnn_with_weights_copied_in":
        "rnn_forward_manual copies the weights into an `nn.RNN` (two mistakes: no loop, and no gradient back "
        "to the weights)",
    "manual_rnn_cell_op_per_step": "rnn_forward_manual loops over `torch.rnn_tanh_cell`",
    "norms_reversed": "hidden_gradient_norms in reverse order",
    "norms_per_sequence_then_averaged": "hidden_gradient_norms: the norm per sequence, averaged over the batch",
    "norms_of_the_states": "hidden_gradient_norms returns the norms of h_t itself",
    "norms_of_the_input_gradients": "hidden_gradient_norms returns the norms of dLoss/dx_t",
    "norms_random_start": "hidden_gradient_norms starts from `torch.randn` (fails on every seed)",
    "norms_retain_grad_on_stacked_out": "hidden_gradient_norms: `retain_grad()` on the stacked out",
    "norms_retain_grad_on_nn_rnn_output": "hidden_gradient_norms: `retain_grad()` on `nn.RNN`'s output",
    "norms_of_a_summed_loss": "hidden_gradient_norms with `reduction='sum'`",
    "factors_upside_down": "gradient_factors: `norms[1:] / norms[:-1]`",
    "bounds_from_the_slope_of_h_t": "gradient_factors: the bound of step t from the slope of h_t",
    "bounds_averaged_over_the_batch": "gradient_factors: spectral norms averaged over the batch",
    "bounds_without_the_slopes": "gradient_factors: the spectral norm of W_hh alone",
    "random_h0": "forward starts from `torch.randn` (on x's device)",
    "learned_random_h0": "a learned `nn.Parameter` h0 initialised with `torch.randn`",
    "step_ignores_its_criterion": "training_step makes its own `nn.CrossEntropyLoss()`",
    "train_on_mini_batches": "train steps on mini-batches of 32 and returns each epoch's mean",
    "h0_from_seq_len": "h0 sized from `x.size(1)` (crashes unless batch == seq_len)",
    "batch_hard_coded": "h0 sized for a batch of 4 (crashes for other batches)",
    "sequence_length_hard_coded": "`out[:, 11, :]` (crashes for shorter sequences)",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mistakes")
    write_variants(folder, {name: text for name, (text, _) in MISTAKES.items()})
    return grade_all(folder, tmp_path_factory.mktemp("mistakes-out"))


def test_corpus_is_large_enough():
    assert len(MISTAKES) >= 50
    assert set(DESCRIPTIONS) == set(MISTAKES)


def test_every_mistake_was_graded(graded):
    assert set(graded) == set(MISTAKES)


@pytest.mark.parametrize("name", sorted(EXACT))
def test_mistake_costs_exactly_its_checks(graded, name):
    results = graded[name]
    assert_valid_results(results)
    got, want = failed(results), EXACT[name][1]
    messages = {c: by_check(results)[c]["output"] for c in sorted(got ^ want)}
    assert got == want, f"charged {sorted(got - want)} too, missed {sorted(want - got)}: {messages}"


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_crashing_forward_costs_only_forward(graded, name):
    got = failed(graded[name])
    assert SCOPED[name][1] <= got <= SCOPE, sorted(got)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_message_is_one_line_naming_the_function_with_a_hint(graded, name):
    tests = by_check(graded[name])
    for check_id in sorted(failed(graded[name])):
        message = tests[check_id]["output"]
        assert message and "\n" not in message and "Traceback" not in message, (check_id, message)
        assert FUNCTION_LINE.match(message), (check_id, message)
        assert ". Hint: " in message, (check_id, message)
        assert "could not be checked" not in message and "unexpected form" not in message, message


def test_the_readout_slip_is_named(graded):
    message = by_check(graded["readout_out_minus_1"])["forward.batch_independence"]["output"]
    assert "out[-1]" in message, message


def test_a_constant_forward_is_not_called_independent(graded):
    assert "forward.batch_independence" in failed(graded["constant_forward"])


def test_a_softmax_is_named_as_such(graded):
    message = by_check(graded["softmax_after_fc"])["forward.matches_reference"]["output"]
    assert "softmax" in message, message


def test_train_blames_max_grad_norm_truly(graded):
    message = by_check(graded["does_not_pass_max_grad_norm"])["train.max_grad_norm"]["output"]
    assert "received None" in message, message


@pytest.mark.parametrize("name, check_id, words", [
    ("norms_retain_grad_on_stacked_out", "bptt.values", "only directly"),
    ("norms_retain_grad_on_nn_rnn_output", "bptt.values", "only directly"),
    ("norms_reversed", "bptt.values", "reverse order"),
    ("manual_fused_rnn_tanh", "manual.values", "fused recurrent operation rnn_tanh"),
    ("manual_rnn_cell_op_per_step", "manual.values", "fused recurrent operation rnn_tanh_cell"),
    ("manual_reads_back_what_it_wrote", "manual.gradients", "modified by an inplace operation"),
    ("manual_writes_through_data", "manual.gradients", "not the one your own forward implies"),
    ("factors_upside_down", "factors.per_step", "upside down"),
    ("bounds_from_the_slope_of_h_t", "factors.bounds", "uses the slope of h_t"),
    ("random_h0", "forward.matches_reference", "started from a non-zero initial state"),
    ("learned_random_h0", "forward.matches_reference", "the same for every sequence"),
    ("step_ignores_its_criterion", "training_step.matches_reference", "a plain nn.CrossEntropyLoss() gives"),
    ("train_on_mini_batches", "train.matches_reference", "one full-batch step per epoch"),
])
def test_the_message_names_the_mistake(graded, name, check_id, words):
    message = by_check(graded[name])[check_id]["output"]
    assert words in message, message


def test_a_failure_that_follows_from_another_names_its_root_cause(graded):
    # hidden_gradient_norms raises: the first check to report it is the root cause of the other.
    tests = by_check(graded["norms_without_retain_grad"])
    assert "cause" not in tests["bptt.shape"]["extra_data"]
    assert tests["bptt.values"]["extra_data"]["cause"] == "bptt.shape"
    # A root cause is never given on a passed check, nor on a check failing on its own.
    for results in graded.values():
        for test in by_check(results).values():
            cause = test["extra_data"].get("cause")
            assert cause is None or (test["status"] == "failed" and by_check(results)[cause]["status"] == "failed")



def test_the_selftests_mistakes_are_in_this_corpus_with_the_same_charges():
    """`python -m autograder selftest` checks two of these mistakes on every install: the same edit of
    the solution, the same checks charged (one source of truth for what each mistake costs)."""
    from autograder.judge import selftest

    for name, (pairs, charged) in selftest.MISTAKES.items():
        variant, expected = EXACT[name]
        assert edit(*pairs) == variant, name
        assert set(charged) == set(expected), name
