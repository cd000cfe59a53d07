"""Common mistakes, each an exact edit of the solution, and the hidden checks that must catch it.

Every named check must score below full on its mistake, its message must be one line that names
the function and gives a hint, and the total must stay below 100.
"""

from __future__ import annotations

import pytest

from tests.grader.common import (
    FUNCTION_LINE,
    TOTAL,
    assert_valid_results,
    by_check,
    edit,
    grade_all,
    write_variants,
)

H0 = "        h0 = torch.zeros(1, x.size(0), self.hidden_size, device=x.device, dtype=x.dtype)\n"
READOUT = "        return self.fc(out[:, -1, :])\n"
RNN = "        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)\n"
FC = "        self.fc = nn.Linear(hidden_size, output_size)\n"
ZERO = "    optimizer.zero_grad()\n"
LOSS = "    loss = criterion(outputs, targets)\n"
CLIP = "    if max_grad_norm is not None:\n        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)\n"
STEP = "    optimizer.step()\n"
ADAM = "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
TRAIN_BODY = """    return [
        training_step(model, inputs, targets, criterion, optimizer, max_grad_norm)
        for _ in range(epochs)
    ]
"""
MOVE = "    model.to(device)\n    inputs, targets = inputs.to(device), targets.to(device)\n"
PREDICT = "    model.eval()\n    with torch.no_grad():\n        return model(inputs).argmax(dim=1)\n"

# name: (variant text, check ids that must lose points)
MISTAKES: dict[str, tuple[str, set[str]]] = {
    # --- __init__ -------------------------------------------------------------------
    "no_batch_first": (edit((RNN, "        self.rnn = nn.RNN(input_size, hidden_size)\n")),
                       {"construction.batch_first"}),
    "hidden_size_attribute_wrong": (
        edit(("        self.hidden_size = hidden_size\n", "        self.hidden_size = output_size\n")),
        {"construction.attributes"}),
    "hidden_size_hard_coded": (
        edit(("        self.hidden_size = hidden_size\n", "        self.hidden_size = 16\n")),
        {"construction.attributes", "forward.shapes"}),
    "lstm_instead_of_rnn": (
        edit((RNN, "        self.rnn = nn.LSTM(input_size, hidden_size, batch_first=True)\n"),
             ("        out, _ = self.rnn(x, h0)\n", "        out, _ = self.rnn(x, (h0, torch.zeros_like(h0)))\n")),
        {"construction.layer_types", "construction.parameter_shapes"}),
    "gru_instead_of_rnn": (edit((RNN, "        self.rnn = nn.GRU(input_size, hidden_size, batch_first=True)\n")),
                           {"construction.layer_types", "construction.parameter_shapes"}),
    "bidirectional": (
        edit((RNN, "        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True, bidirectional=True)\n")),
        {"construction.layer_types", "construction.parameter_shapes"}),
    "linear_wrong_sizes": (edit((FC, "        self.fc = nn.Linear(input_size, output_size)\n")),
                           {"construction.layer_types", "construction.parameter_shapes"}),
    "output_size_1_hard_coded": (edit((FC, "        self.fc = nn.Linear(hidden_size, 1)\n")),
                                 {"construction.layer_types", "construction.parameter_shapes"}),
    # --- forward ----------------------------------------------------------------------
    "h0_on_cpu": (edit((H0, "        h0 = torch.zeros(1, x.size(0), self.hidden_size)\n")),
                  {"device.forward_meta"}),
    "h0_from_seq_len": (edit((H0, H0.replace("x.size(0)", "x.size(1)"))),
                        {"forward.shapes", "forward.matches_reference"}),
    "batch_and_time_swapped": (
        edit(("        out, _ = self.rnn(x, h0)\n",
              "        out, _ = self.rnn(x.transpose(0, 1).reshape(x.shape), h0)\n")),
        {"forward.matches_reference", "forward.batch_independence"}),
    "first_time_step": (edit((READOUT, "        return self.fc(out[:, 0, :])\n")),
                        {"forward.matches_reference", "forward.last_time_step"}),
    "batch_hard_coded": (edit((H0, H0.replace("x.size(0)", "4"))), {"forward.shapes"}),
    "sequence_length_hard_coded": (edit((READOUT, "        return self.fc(out[:, 11, :])\n")),
                                   {"forward.shapes"}),
    "squeeze": (edit((READOUT, "        return self.fc(out[:, -1, :]).squeeze()\n")), {"forward.shapes"}),
    "activation_after_fc": (edit((READOUT, "        return torch.relu(self.fc(out[:, -1, :]))\n")),
                            {"forward.matches_reference"}),
    # A detached RNN output gives the reference's logits but stops every gradient into the RNN.
    "detached_rnn_output": (edit((READOUT, "        return self.fc(out[:, -1, :].detach())\n")),
                            {"forward.matches_reference"}),
    # --- training_step ----------------------------------------------------------------
    "no_zero_grad": (edit((ZERO, "")), {"training_step.zero_grad"}),
    "backward_without_step": (edit((STEP + "    return loss.item()", "    return loss.item()")),
                              {"training_step.step_taken", "training_step.matches_reference"}),
    "zero_grad_between_backward_and_step": (
        edit((ZERO, ""), (STEP, "    optimizer.zero_grad()\n" + STEP)),
        {"training_step.step_taken", "training_step.matches_reference"}),
    "clip_after_step": (edit((CLIP + STEP, STEP + CLIP)), {"training_step.clipping"}),
    # train is judged with a known-good training_step standing in, so a training_step
    # mistake costs points on the training_step checks only.
    "never_clips": (edit((CLIP, "")), {"training_step.clipping"}),
    "always_clips_at_1": (
        edit((CLIP, "    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n")),
        {"training_step.clipping"}),
    "float_targets": (edit((LOSS, "    loss = criterion(outputs, targets.float())\n")),
                      {"training_step.returns_float", "training_step.matches_reference"}),
    "softmax_before_cross_entropy": (
        edit((LOSS, "    loss = criterion(torch.softmax(outputs, dim=1), targets)\n")),
        {"training_step.matches_reference"}),
    "detached_outputs_in_step": (
        edit(("    outputs = model(inputs)\n", "    outputs = model(inputs).detach()\n")),
        {"training_step.step_taken", "training_step.matches_reference"}),
    "returns_loss_tensor": (edit(("    return loss.item()", "    return loss")),
                            {"training_step.returns_float"}),
    # --- train ------------------------------------------------------------------------
    "sgd_instead_of_adam": (edit((ADAM, "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n")),
                            {"train.matches_reference"}),
    "ignores_lr": (edit((ADAM, "    optimizer = torch.optim.Adam(model.parameters(), lr=1e-6)\n")),
                   {"train.matches_reference", "train.loss_falls"}),
    "trains_a_deepcopy": (
        edit(("    if device is None:\n", "    import copy\n    model = copy.deepcopy(model)\n    if device is None:\n")),
        {"train.trains_passed_model", "train.matches_reference"}),
    "ignores_device": (edit((MOVE, "")), {"device.train_meta"}),
    "ignores_device_argument": (
        edit(("    if device is None:\n        device = next(model.parameters()).device\n",
              "    device = next(model.parameters()).device\n")),
        {"device.train_meta"}),
    "does_not_pass_max_grad_norm": (
        edit((TRAIN_BODY, TRAIN_BODY.replace(", max_grad_norm)", ")"))), {"train.max_grad_norm"}),
    "new_optimizer_every_epoch": (
        edit((ADAM, ""), (TRAIN_BODY, """    losses = []
    for _ in range(epochs):
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        losses.append(training_step(model, inputs, targets, criterion, optimizer, max_grad_norm))
    return losses
""")),
        {"train.matches_reference"}),
    "train_returns_tensor": (
        edit(("    return [\n        training_step", "    return torch.tensor([\n        training_step"),
             ("        for _ in range(epochs)\n    ]\n", "        for _ in range(epochs)\n    ])\n")),
        {"train.returns_losses"}),
    "train_returns_none": (edit(("    return [\n        training_step", "    [\n        training_step")),
                           {"train.returns_losses"}),
    "one_epoch_too_many": (edit((TRAIN_BODY, TRAIN_BODY.replace("range(epochs)", "range(epochs + 1)"))),
                           {"train.returns_losses", "train.matches_reference"}),
    # --- predict ----------------------------------------------------------------------
    "predict_returns_logits": (edit((PREDICT, "    model.eval()\n    with torch.no_grad():\n        return model(inputs)\n")),
                               {"predict.dtype_shape", "predict.matches_reference"}),
    "predict_returns_probabilities": (
        edit((PREDICT, "    model.eval()\n    with torch.no_grad():\n        return torch.softmax(model(inputs), dim=1)\n")),
        {"predict.dtype_shape", "predict.matches_reference"}),
    "predict_argmax_wrong_dim": (edit(("        return model(inputs).argmax(dim=1)", "        return model(inputs).argmax(dim=0)")),
                                 {"predict.dtype_shape", "predict.matches_reference"}),
    "predict_leaves_train_mode": (edit(("    model.eval()\n    with", "    with")), {"predict.eval_mode"}),
    "predict_tracks_gradients": (
        edit((PREDICT, "    model.eval()\n    return model(inputs).argmax(dim=1)\n")), {"predict.no_grad"}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mistakes")
    write_variants(folder, {name: text for name, (text, _) in MISTAKES.items()})
    return grade_all(folder, tmp_path_factory.mktemp("mistakes-out"))


def test_corpus_is_large_enough():
    assert len(MISTAKES) >= 25


def test_every_mistake_was_graded(graded):
    assert set(graded) == set(MISTAKES)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_loses_points_on_its_checks(graded, name):
    results = graded[name]
    assert_valid_results(results)
    tests = by_check(results)
    caught = {check_id: tests[check_id]["score"] < tests[check_id]["max_score"] for check_id in MISTAKES[name][1]}
    assert all(caught.values()), f"{name} not caught by {[c for c, ok in caught.items() if not ok]}"
    assert results["score"] < TOTAL


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_message_is_one_line_naming_the_function_with_a_hint(graded, name):
    tests = by_check(graded[name])
    for check_id in sorted(MISTAKES[name][1]):
        message = tests[check_id]["output"]
        if tests[check_id]["score"] == tests[check_id]["max_score"]:
            continue  # reported by the test above
        assert message and "\n" not in message and "Traceback" not in message, (check_id, message)
        assert FUNCTION_LINE.match(message), (check_id, message)
        assert "Hint" in message, (check_id, message)
