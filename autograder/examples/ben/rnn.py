"""Module 11 exercise: a recurrent network that remembers.

The task
--------
Each example is a sequence of ``seq_len`` time steps, each step a vector of
``input_size`` numbers. The label is 1 when the values of feature 0 add up to
more than zero over the whole sequence, else 0. No single time step decides
the answer: the network has to carry a running total in its hidden state,
which is exactly what a recurrent network is for.

What was fixed from the module's code sample
--------------------------------------------
The module's training sample cannot run as printed, so this exercise uses a
corrected version of it:

* Its data comment says ``(sequence_length, batch_size, input_size)`` while the
  model is built with ``batch_first=True``. Here every tensor is batch-first:
  ``(batch, seq_len, input_size)``.
* It pairs ``output_size=1`` with ``nn.CrossEntropyLoss``. Cross-entropy needs
  one output (logit) per class, so a two-class task needs ``output_size=2`` and
  int64 class indices as targets, one label per sequence: shape ``(batch,)``.

Fill in every function marked "YOUR CODE HERE", in order, and run
``pytest exercises`` after each one.
"""

from __future__ import annotations

import torch
from torch import nn


def make_dataset(n_sequences=256, seq_len=12, input_size=4, *, seed=0):
    """Make the exercise's data set (given: nothing to fill in here).

    Args:
        n_sequences: number of sequences (the batch dimension).
        seq_len: time steps per sequence.
        input_size: features per time step.
        seed: the same seed always gives the same data. The global random
            number generator is left untouched.

    Returns:
        inputs: float32 tensor of shape ``(n_sequences, seq_len, input_size)``,
            batch-first, standard normal values.
        targets: int64 tensor of shape ``(n_sequences,)``: 1 where the sum over
            time of feature 0 is positive, else 0.
    """
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n_sequences, seq_len, input_size, generator=generator)
    targets = (inputs[:, :, 0].sum(dim=1) > 0).long()
    return inputs, targets


class SimpleRNN(nn.Module):
    """One recurrent layer followed by a linear read-out of the last time step."""

    def __init__(self, input_size, hidden_size, output_size):
        """Build the layers.

        Set three attributes (graders and saved weights rely on these names):

        * ``self.hidden_size``: the int ``hidden_size``.
        * ``self.rnn``: ``nn.RNN(input_size, hidden_size, batch_first=True)``,
          so it reads inputs shaped ``(batch, seq_len, input_size)``.
        * ``self.fc``: ``nn.Linear(hidden_size, output_size)``, mapping a hidden
          state to one logit per class.
        """
        super().__init__()
        self.hidden_size = hidden_size
        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        """Run the sequences through the RNN and classify each one.

        Args:
            x: float tensor ``(batch, seq_len, input_size)``. Any batch size
                (1 included) and any sequence length (1 included).

        Returns:
            logits: float tensor ``(batch, output_size)``: ``self.fc`` applied
            to the RNN output at the last time step.

        Start from a zero initial hidden state of shape
        ``(1, batch, hidden_size)`` (num_layers, batch, hidden) on the same
        device as ``x``. The RNN returns ``out`` of shape
        ``(batch, seq_len, hidden_size)`` and the final hidden state of shape
        ``(1, batch, hidden_size)``.
        """
        h0 = torch.zeros(1, x.size(0), self.hidden_size, device=x.device, dtype=x.dtype)
        out, _ = self.rnn(x, h0)
        return self.fc(out[:, 0, :])


def training_step(model, inputs, targets, criterion, optimizer, max_grad_norm=None):
    """Take one optimisation step on one batch and return its loss.

    Args:
        model: the network, e.g. a ``SimpleRNN``.
        inputs: float tensor ``(batch, seq_len, input_size)``.
        targets: int64 tensor ``(batch,)`` of class indices.
        criterion: the loss function, e.g. ``nn.CrossEntropyLoss()``.
        optimizer: an optimizer over ``model``'s parameters.
        max_grad_norm: ``None`` for no clipping, else a float: clip the total
            gradient norm to it with ``torch.nn.utils.clip_grad_norm_``.

    Returns:
        The loss of this batch as a Python ``float`` (not a tensor).

    In order: clear the old gradients, forward, loss, backward, clip (only
    when ``max_grad_norm`` is given), step. Tip from the module: clipping goes
    between ``loss.backward()`` and ``optimizer.step()``; it tames exploding
    gradients.
    """
    outputs = model(inputs)
    loss = criterion(outputs, targets)
    loss.backward()
    optimizer.step()
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    return loss.item()


def train(model, inputs, targets, *, epochs=100, lr=0.01, max_grad_norm=None, device=None):
    """Train ``model`` on the whole data set, one full-batch step per epoch.

    Args:
        model: the network to train; this very object is trained in place.
        inputs: float tensor ``(n_sequences, seq_len, input_size)``.
        targets: int64 tensor ``(n_sequences,)`` of class indices.
        epochs: number of epochs (one ``training_step`` each).
        lr: learning rate for ``torch.optim.Adam``.
        max_grad_norm: passed on to ``training_step``.
        device: where to train (``"cpu"``, ``"cuda"``, a ``torch.device``);
            ``None`` means the device the model's parameters are on. Move the
            model, the inputs and the targets there.

    Returns:
        A list of ``epochs`` Python floats: the loss of each epoch, in order.

    Use ``nn.CrossEntropyLoss()`` and ``torch.optim.Adam(model.parameters(), lr=lr)``.
    """
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    inputs, targets = inputs.to(device), targets.to(device)
    model.train()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return [
        training_step(model, inputs, targets, criterion, optimizer, max_grad_norm)
        for _ in range(epochs)
    ]


def predict(model, inputs):
    """Predict the class of each sequence.

    Args:
        model: a trained network returning logits ``(batch, output_size)``.
        inputs: float tensor ``(batch, seq_len, input_size)``.

    Returns:
        int64 tensor ``(batch,)``: the index of the largest logit of each
        sequence.

    Put the model in evaluation mode and compute without tracking gradients
    (``torch.no_grad()``).
    """
    model.eval()
    with torch.no_grad():
        return model(inputs).argmax(dim=1)


# --- Part 2: under the hood ------------------------------------------------------------


def rnn_forward_manual(x, weight_ih, weight_hh, bias_ih, bias_hh, h0=None):
    """What ``nn.RNN`` (one layer, tanh, batch-first) computes, one time step at a time.

    Args:
        x: float tensor ``(batch, seq_len, input_size)``.
        weight_ih: ``(hidden_size, input_size)``; weight_hh: ``(hidden_size,
            hidden_size)``; bias_ih and bias_hh: ``(hidden_size,)``. The same
            tensors ``nn.RNN`` keeps as ``weight_ih_l0`` and so on.
        h0: the initial hidden state ``(1, batch, hidden_size)``, or ``None``
            for zeros.

    Returns:
        ``(out, h_n)``: ``out`` of shape ``(batch, seq_len, hidden_size)``
        holds the hidden state after every step; ``h_n`` of shape
        ``(1, batch, hidden_size)`` the one after the last step.

    Each step: ``h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)``, where
    ``x_t`` is ``(batch, input_size)`` and ``h_t`` is ``(batch, hidden_size)``.
    Gradients must flow back through ``out`` and ``h_n`` to ``x``, the weights
    and ``h0`` exactly as through ``nn.RNN``: build them with differentiable
    torch operations (no in-place writes into a tensor made beforehand, no
    ``detach``).
    """
    # Hint: h starts as h0 without its layer dimension, (batch, hidden_size), or as zeros of that shape;
    #   for each t, x_t is x's (batch, input_size) slice at step t and the new h is the docstring's formula
    #   (look up torch.tanh and the @ operator); keep every h, join them along dimension 1 (look up
    #   torch.stack) and give h_n back its layer dimension (look up Tensor.unsqueeze).
    batch, seq_len, _ = x.shape
    h = h0[0] if h0 is not None else torch.zeros(batch, weight_hh.shape[0])
    out = []
    for t in range(seq_len):
        h = torch.tanh(x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
        out.append(h)
    return torch.stack(out, dim=1), h.unsqueeze(0)


def hidden_gradient_norms(model, x, targets):
    """Backpropagation through time made visible: how much the loss depends on each ``h_t``.

    Args:
        model: has ``model.rnn`` (a one-layer, batch-first ``nn.RNN``) and
            ``model.fc`` (an ``nn.Linear``), as a ``SimpleRNN`` does.
        x: float tensor ``(batch, seq_len, input_size)``.
        targets: int64 tensor ``(batch,)``.

    Returns:
        float tensor ``(seq_len,)``: entry ``t`` is the norm, over the batch and
        the hidden units, of the gradient of the loss with respect to the
        hidden state ``h_t``, where the loss is the cross-entropy of
        ``model.fc`` applied to the last hidden state (starting from zeros).

    Run the recurrence yourself (as in ``rnn_forward_manual``) with the
    RNN's own weights, so that every ``h_t`` is a tensor you hold. On a long
    sequence the first entries come out orders of magnitude smaller than the
    last: the vanishing gradient the module warns about.
    """
    # Hint: run the recurrence of rnn_forward_manual from zeros (batch, hidden_size) with model.rnn's
    #   weight_ih_l0, weight_hh_l0, bias_ih_l0 and bias_hh_l0; a non-leaf tensor keeps its .grad only when
    #   asked (look up Tensor.retain_grad); the loss is the cross-entropy of model.fc on the last h (look
    #   up nn.functional.cross_entropy); after one backward, each h_t.grad's norm is one entry.
    rnn = model.rnn
    h = torch.zeros(x.shape[0], rnn.hidden_size)
    states = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
                       + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        states.append(h)
    loss = nn.functional.cross_entropy(model.fc(h), targets)
    loss.backward()
    return torch.stack([s.grad.norm() for s in states])


def gradient_factors(model, x, targets):
    """Why the gradient vanishes, or explodes: each step back in time, measured and bounded.

    Returns ``(factors, bounds)``, two float tensors of shape ``(seq_len - 1,)``:
    ``factors[t] = |dL/dh_t| / |dL/dh_(t+1)|`` and ``bounds[t]``, the largest
    spectral norm over the batch of ``diag(1 - h_(t+1)^2) W_hh``.
    """
    norms = hidden_gradient_norms(model, x, targets)
    factors = norms[:-1] / norms[1:]
    rnn = model.rnn
    h = torch.zeros(x.shape[0], rnn.hidden_size)
    bounds = []
    with torch.no_grad():
        for t in range(x.shape[1] - 1):
            h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
                           + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
            jac = torch.diag_embed(1 - h ** 2) @ rnn.weight_hh_l0
            bounds.append(torch.linalg.matrix_norm(jac, ord=2).max())
    return factors, torch.stack(bounds)


if __name__ == "__main__":
    torch.manual_seed(0)
    inputs, targets = make_dataset()
    model = SimpleRNN(input_size=4, hidden_size=16, output_size=2)
    print(model)
    losses = train(model, inputs, targets, epochs=100, lr=0.01)
    for epoch in range(0, len(losses), 10):
        print(f"Epoch {epoch}, Loss: {losses[epoch]:.4f}")
    test_inputs, test_targets = make_dataset(seed=1)
    accuracy = (predict(model, test_inputs) == test_targets).float().mean().item()
    print(f"Held-out accuracy: {accuracy:.2f}")
