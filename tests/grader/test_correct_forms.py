"""Correct forms of the exercise: each must earn every hidden check in full (100 / 100)."""

from __future__ import annotations

import nbformat
import pytest

from tests.grader.common import (
    IDS,
    SOLUTION,
    TOTAL,
    assert_valid_results,
    by_check,
    edit,
    grade_all,
    write_variants,
)

FORWARD = """        h0 = torch.zeros(1, x.size(0), self.hidden_size, device=x.device, dtype=x.dtype)
        out, _ = self.rnn(x, h0)
        return self.fc(out[:, -1, :])
"""
TRAIN_BODY = """    return [
        training_step(model, inputs, targets, criterion, optimizer, max_grad_norm)
        for _ in range(epochs)
    ]
"""
MAIN = 'if __name__ == "__main__":\n'

CORRECT = {
    # The module's own forward: h0 follows the device (not the dtype), fc on out[:, -1, :].
    "module_forward": edit((FORWARD, """        h0 = torch.zeros(1, x.size(0), self.hidden_size).to(x.device)
        out, _ = self.rnn(x, h0)
        out = self.fc(out[:, -1, :])
        return out
""")),
    "no_h0": edit((FORWARD, "        out, _ = self.rnn(x)\n        return self.fc(out[:, -1, :])\n")),
    "h_n_last": edit((FORWARD, "        _, h_n = self.rnn(x)\n        return self.fc(h_n[-1])\n")),
    "new_zeros": edit((FORWARD, """        h0 = x.new_zeros(1, x.shape[0], self.hidden_size)
        out, _ = self.rnn(x, h0)
        return self.fc(out[:, -1])
""")),
    "model_zero_grad": edit(("    optimizer.zero_grad()\n", "    model.zero_grad()\n")),
    "zero_grad_keep_tensors": edit(("    optimizer.zero_grad()\n", "    optimizer.zero_grad(set_to_none=False)\n")),
    "inference_mode": edit(("    with torch.no_grad():\n", "    with torch.inference_mode():\n")),
    "keyword_arguments": edit(
        ("        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)",
         "        self.rnn = nn.RNN(input_size=input_size, hidden_size=hidden_size, batch_first=True)"),
        ("        self.fc = nn.Linear(hidden_size, output_size)",
         "        self.fc = nn.Linear(in_features=hidden_size, out_features=output_size)"),
        ("    loss = criterion(outputs, targets)", "    loss = criterion(input=outputs, target=targets)"),
        ("        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)",
         "        torch.nn.utils.clip_grad_norm_(parameters=model.parameters(), max_norm=max_grad_norm)"),
        (TRAIN_BODY, """    return [
        training_step(model=model, inputs=inputs, targets=targets, criterion=criterion,
                      optimizer=optimizer, max_grad_norm=max_grad_norm)
        for _ in range(epochs)
    ]
"""),
        ("        return model(inputs).argmax(dim=1)", "        return torch.argmax(model(inputs), dim=1)"),
    ),
    "helpers_and_extra_attributes": edit(
        ("        self.fc = nn.Linear(hidden_size, output_size)\n",
         "        self.fc = nn.Linear(hidden_size, output_size)\n"
         "        self.input_size = input_size\n        self.output_size = output_size\n"
         "        self.name = 'my rnn'\n        self.history = []\n"),
        (FORWARD, """        out, _ = self.rnn(x, self.init_hidden(x))
        return self.fc(self.last_step(out))

    def init_hidden(self, x):
        return torch.zeros(1, x.size(0), self.hidden_size, device=x.device)

    @staticmethod
    def last_step(out):
        return out[:, -1, :]

    def count_parameters(self):
        return sum(p.numel() for p in self.parameters())
"""),
    ),
    "prints_everywhere": edit(
        ("        self.fc = nn.Linear(hidden_size, output_size)\n",
         "        self.fc = nn.Linear(hidden_size, output_size)\n        print('built', self)\n"),
        ("    optimizer.zero_grad()\n", "    print('step on', tuple(inputs.shape))\n    optimizer.zero_grad()\n"),
        (TRAIN_BODY, """    losses = []
    for epoch in range(epochs):
        losses.append(training_step(model, inputs, targets, criterion, optimizer, max_grad_norm))
        print(f"Epoch {epoch + 1}/{epochs}, Loss: {losses[-1]:.4f}")
    return losses
"""),
        ("    model.eval()\n", "    print('predicting')\n    model.eval()\n"),
    ),
    "trains_at_import": SOLUTION.replace(MAIN, """torch.manual_seed(0)
model = SimpleRNN(4, 16, 2)
losses = train(model, *make_dataset(), epochs=20)
print("trained at import:", losses[-1])

""" + MAIN),
    "super_with_class": edit(("        super().__init__()", "        super(SimpleRNN, self).__init__()")),
    "adam_keywords_and_criterion_param": edit(
        ("    criterion = nn.CrossEntropyLoss()\n", "    criterion = nn.functional.cross_entropy\n"),
        ("    optimizer = torch.optim.Adam(model.parameters(), lr=lr)",
         "    optimizer = torch.optim.Adam(params=model.parameters(), lr=lr)"),
    ),
    "explicit_for_loop": edit((TRAIN_BODY, """    losses = []
    for _ in range(epochs):
        loss = training_step(model, inputs, targets, criterion, optimizer, max_grad_norm)
        losses.append(loss)
    return losses
""")),
    "step_with_functional_loss_and_float": edit(
        ("    return loss.item()", "    return float(loss.detach())"),
    ),
    "device_with_fallback": edit(
        ("    if device is None:\n        device = next(model.parameters()).device\n",
         "    device = torch.device(device) if device is not None else next(model.parameters()).device\n"),
        ("    model.to(device)\n", "    model = model.to(device)\n"),
    ),
}

# An inline loop does everything training_step does, inside train, without calling it. The
# contract says "one training_step per epoch"; the numbers are the reference's. The grader is
# expected to give full marks (its train checks compare losses and weights, and the meta device
# check accepts an inline loop explicitly).
INLINE_TRAIN = edit((TRAIN_BODY, """    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        losses.append(loss.item())
    return losses
"""))


def _notebook(later_cells_use_timed_results: bool = False, setup_cell_first: bool = False) -> str:
    """The solution split over notebook cells, with magics, shell lines and a %%time cell.

    With ``later_cells_use_timed_results``, a later cell reads the variable the ``%%time``
    cell (and a ``%time`` line) assigned, as it would in Jupyter. With ``setup_cell_first``,
    the ``!pip``/``%matplotlib`` cell comes before the cell holding ``from __future__ import
    annotations`` (fine in Jupyter, where each cell is compiled on its own).
    """
    head, rest = SOLUTION.split("class SimpleRNN(nn.Module):", 1)
    model, rest = rest.split("def training_step(", 1)
    steps, main = rest.split(MAIN, 1)
    setup = nbformat.v4.new_code_cell("!pip install torch\n%matplotlib inline\nimport math")
    cells = [
        nbformat.v4.new_markdown_cell("# Module 11: recurrent networks"),
        *([setup] if setup_cell_first else []),
        nbformat.v4.new_code_cell(head),
        *([] if setup_cell_first else [setup]),
        nbformat.v4.new_code_cell("class SimpleRNN(nn.Module):" + model),
        nbformat.v4.new_code_cell("def training_step(" + steps),
        nbformat.v4.new_code_cell("%%time\nlosses = train(SimpleRNN(4, 16, 2), *make_dataset(), epochs=5)"),
    ]
    if later_cells_use_timed_results:
        cells += [
            nbformat.v4.new_code_cell("print(losses[-1])"),
            nbformat.v4.new_code_cell("%time accuracy = predict(SimpleRNN(4, 16, 2), make_dataset()[0])\n"
                                      "print(accuracy.shape)"),
        ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(notebook)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("correct")
    write_variants(folder, {**CORRECT, "inline_train": INLINE_TRAIN})
    (folder / "notebook.ipynb").write_text(_notebook(), encoding="utf-8")
    (folder / "notebook_uses_timed_cell.ipynb").write_text(_notebook(True), encoding="utf-8")
    (folder / "notebook_setup_cell_first.ipynb").write_text(_notebook(setup_cell_first=True), encoding="utf-8")
    (folder / "reference.py").write_text(SOLUTION, encoding="utf-8")
    return grade_all(folder, tmp_path_factory.mktemp("correct-out"))


def test_every_form_was_graded(graded):
    assert set(graded) == {*CORRECT, "inline_train", "notebook", "notebook_uses_timed_cell", "notebook_setup_cell_first", "reference"}


@pytest.mark.parametrize("name", ["reference", *sorted(CORRECT), "notebook", "notebook_uses_timed_cell",
                                  "notebook_setup_cell_first"])
def test_correct_form_earns_full_marks(graded, name):
    results = graded[name]
    assert_valid_results(results)
    lost = {i: t["output"] for i, t in by_check(results).items() if t["score"] != t["max_score"]}
    assert not lost, lost
    assert results["score"] == TOTAL == 100


def test_inline_training_loop_earns_full_marks(graded):
    results = graded["inline_train"]
    assert_valid_results(results)
    lost = {i: t["output"] for i, t in by_check(results).items() if t["score"] != t["max_score"]}
    assert not lost, lost


def test_prints_show_up_in_the_output_excerpt_only(graded):
    results = graded["prints_everywhere"]
    assert "What your code printed" in results["output"] and "Epoch 1/" in results["output"]
    assert all("Epoch" not in t["output"] for t in results["tests"])


def test_results_order_follows_the_catalogue(graded):
    assert [t["tags"][0] for t in graded["reference"]["tests"][:len(IDS)]] == [i.split(".")[0] for i in IDS]
