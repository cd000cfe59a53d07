"""Variants of the reference solution shared by the exercise and grader tests.

Each variant is an exact edit of ``solutions/rnn.py``, so the corpora follow the
one source; an edit whose anchor vanished fails loudly.
"""

from __future__ import annotations

from autograder import paths

SOLUTION = paths.SOLUTION_FILE.read_text(encoding="utf-8")


def edit(*pairs: tuple[str, str], text: str = SOLUTION) -> str:
    """``text`` (the solution by default) with each (old, new) replacement applied exactly once."""
    for old, new in pairs:
        assert text.count(old) == 1, f"variant anchor not unique or missing: {old!r}"
        text = text.replace(old, new)
    return text


# Correct forms the module or the issues name: full marks from the grader, every
# visible test passed.
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
    "inference_mode": edit(("    with torch.no_grad():\n        return", "    with torch.inference_mode():\n        return")),
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
    # The readout applied to every step, then the last step's logits taken.
    "fc_then_last_step": edit((FORWARD, """        h0 = torch.zeros(1, x.size(0), self.hidden_size, device=x.device)
        out, _ = self.rnn(x, h0)
        return self.fc(out)[:, -1]
""")),
    # A learned initial state made as zeros: at the weights it is judged with, forward computes the
    # exercise's (a design choice, free of charge; a learned state made random is charged once).
    "learned_zero_h0": edit(
        ("        self.fc = nn.Linear(hidden_size, output_size)\n",
         "        self.fc = nn.Linear(hidden_size, output_size)\n"
         "        self.h0 = nn.Parameter(torch.zeros(1, 1, hidden_size))\n"),
        (FORWARD, """        h0 = self.h0.expand(1, x.size(0), self.hidden_size).contiguous()
        out, _ = self.rnn(x, h0)
        return self.fc(out[:, -1, :])
""")),
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

# Part 2, "under the hood": the reference's bodies and correct forms of them (visible tests pass;
# the grader gives full marks on part 2).
# train over mini-batches of 32 (the mean of their losses per epoch) where the reference takes one
# step per epoch on the whole set: a mistake in both the visible and the hidden suites
MINI_BATCHES = """    losses = []
    for _ in range(epochs):
        epoch = []
        for start in range(0, len(inputs), 32):
            epoch.append(training_step(model, inputs[start:start + 32], targets[start:start + 32], criterion,
                                       optimizer, max_grad_norm))
        losses.append(sum(epoch) / len(epoch))
    return losses
"""

MANUAL_BODY = """    batch, seq_len, _ = x.shape
    h = x.new_zeros(batch, weight_hh.shape[0]) if h0 is None else h0[0]
    states = []
    for t in range(seq_len):
        h = torch.tanh(x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
        states.append(h)
    return torch.stack(states, dim=1), h.unsqueeze(0)
"""
BPTT_LOOP = """        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
                       + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        h.retain_grad()
        states.append(h)
    loss = nn.functional.cross_entropy(model.fc(h), targets)
    loss.backward()
    return torch.stack([state.grad.norm() for state in states])
"""

FACTORS_BODY = """    norms = hidden_gradient_norms(model, x, targets).detach()
    rnn = model.rnn
    with torch.no_grad():
        out, _ = rnn_forward_manual(x, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
        slopes = 1 - out[:, 1:] ** 2
        jacobians = slopes.unsqueeze(-1) * rnn.weight_hh_l0
        bounds = torch.linalg.matrix_norm(jacobians, ord=2).amax(dim=0)
    return norms[:-1] / norms[1:], bounds
"""
BPTT_BODY = """    rnn = model.rnn
    h = x.new_zeros(x.shape[0], rnn.hidden_size)
    states = []
    for t in range(x.shape[1]):
""" + BPTT_LOOP

CORRECT_PART2 = {
    # Every state written into a preallocated out (autograd follows the in-place writes).
    "manual_preallocated_out": edit((MANUAL_BODY, """    batch, seq_len, _ = x.shape
    h = x.new_zeros(batch, weight_hh.shape[0]) if h0 is None else h0[0]
    out = x.new_zeros(batch, seq_len, weight_hh.shape[0])
    for t in range(seq_len):
        h = torch.tanh(x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
        out[:, t] = h
    return out, h.unsqueeze(0)
""")),
    # F.tanh, torch.addmm and F.linear; zeros made in the default dtype; h_n sliced from out.
    "manual_functional_tanh_and_addmm": edit((MANUAL_BODY, """    F = torch.nn.functional
    h = torch.zeros(x.size(0), weight_hh.size(0)) if h0 is None else h0.squeeze(0)
    states = []
    for t in range(x.size(1)):
        h = F.tanh(torch.addmm(bias_ih, x[:, t], weight_ih.t()) + F.linear(h, weight_hh, bias_hh))
        states.append(h)
    out = torch.stack(states, 1)
    return out, out[:, -1:].transpose(0, 1)
""")),
    # hidden_gradient_norms calling the student's own rnn_forward_manual one step at a time.
    "bptt_reuses_the_manual_step": edit((BPTT_BODY, """    rnn = model.rnn
    h = x.new_zeros(1, x.shape[0], rnn.hidden_size)
    states = []
    for t in range(x.shape[1]):
        _, h = rnn_forward_manual(x[:, t:t + 1], rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0,
                                  rnn.bias_hh_l0, h0=h)
        h.retain_grad()
        states.append(h)
    nn.functional.cross_entropy(model.fc(h[0]), targets).backward()
    return torch.stack([state.grad.norm() for state in states])
""")),
    # gradient_factors with a loop of its own, einsum for the Jacobians and svdvals for their norms.
    "factors_own_loop_and_svdvals": edit((FACTORS_BODY, """    norms = hidden_gradient_norms(model, x, targets)
    w_ih, w_hh = model.rnn.weight_ih_l0.detach(), model.rnn.weight_hh_l0.detach()
    b = model.rnn.bias_ih_l0.detach() + model.rnn.bias_hh_l0.detach()
    h = torch.zeros(x.shape[0], w_hh.shape[0])
    bounds = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ w_ih.T + h @ w_hh.T + b)
        if t > 0:
            jacobian = torch.einsum("bi,ij->bij", 1 - h * h, w_hh)
            bounds.append(torch.linalg.svdvals(jacobian)[:, 0].max())
    factors = torch.tensor([norms[t] / norms[t + 1] for t in range(len(norms) - 1)])
    return factors, torch.stack(bounds)
""")),
    # torch.nn.functional.linear, squeeze(0) for h0, unsqueeze-and-cat instead of stack, h_n from out.
    "manual_linear_and_cat": edit((MANUAL_BODY, """    hidden = weight_hh.shape[0]
    h = torch.zeros(x.shape[0], hidden, dtype=x.dtype) if h0 is None else h0.squeeze(0)
    outputs = []
    for step in range(x.shape[1]):
        pre = nn.functional.linear(x[:, step, :], weight_ih, bias_ih) + nn.functional.linear(h, weight_hh, bias_hh)
        h = torch.tanh(pre)
        outputs.append(h.unsqueeze(1))
    out = torch.cat(outputs, dim=1)
    return out, out[:, -1, :].unsqueeze(0)
""")),
    # hidden_gradient_norms with torch.autograd.grad over the states (no retain_grad), reusing
    # the student's own recurrence through a helper.
    "bptt_autograd_grad": edit((BPTT_LOOP, """        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
                       + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        states.append(h)
    loss = nn.functional.cross_entropy(model.fc(h), targets)
    grads = torch.autograd.grad(loss, states)
    return torch.stack([g.norm() for g in grads])
""")),
    # Tensor hooks record each h_t's gradient; norms in float64 then back.
    "bptt_hooks": edit((BPTT_LOOP, """        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
                       + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        states.append(h)
    seen = [None] * len(states)
    for index, state in enumerate(states):
        state.register_hook(lambda grad, index=index: seen.__setitem__(index, grad))
    nn.functional.cross_entropy(model.fc(h), targets).backward()
    return torch.tensor([float(g.double().pow(2).sum().sqrt()) for g in seen])
""")),
}
