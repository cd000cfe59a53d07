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
  model is built with ``batch_first=True``, which reads its ``(5, 3, 10)``
  inputs as 5 sequences of 3 steps: no error, just another meaning. Here every
  tensor is batch-first: ``(batch, seq_len, input_size)``.
* Its targets have one label per time step (many-to-many), but the model
  returns one output per sequence; here each whole sequence gets one label, an
  int64 class index: targets have shape ``(batch,)``.
* It pairs ``output_size=1`` with ``nn.CrossEntropyLoss``. Cross-entropy needs
  one output (logit) per class, so a two-class task needs ``output_size=2``.

Part 1 (the core, 100 points): ``SimpleRNN``, ``training_step``, ``train``
and ``predict``. Part 2, "under the hood" (20 points): ``rnn_forward_manual``
(the recurrence ``nn.RNN`` computes, written out one time step at a time),
``hidden_gradient_norms`` (backpropagation through time made visible: how the
gradient reaching each hidden state shrinks over a long sequence) and
``gradient_factors`` (why: each step back in time measured against the bound
that tanh and the recurrent weights set, which shows both the vanishing and
the exploding gradient the module warns about).

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
        * ``self.rnn``: a single-layer ``nn.RNN`` (tanh) from ``input_size``
          to ``hidden_size`` features that reads inputs laid out
          ``(batch, seq_len, input_size)`` (see its ``batch_first`` argument).
        * ``self.fc``: an ``nn.Linear`` layer mapping one hidden state
          (``hidden_size`` features) to ``output_size`` logits, one per class.
        """
        super().__init__()
        # Hint: a module's layers are attributes made once, here; PyTorch's recurrent layers read
        #   (seq_len, batch, features) unless told otherwise. Look up torch.nn.RNN (its arguments, batch_first
        #   among them) and torch.nn.Linear.
        ### BEGIN SOLUTION
        self.hidden_size = hidden_size
        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)
        ### END SOLUTION

    def forward(self, x):
        """Run the sequences through the RNN and classify each one.

        Args:
            x: float tensor ``(batch, seq_len, input_size)``. Any batch size
                (1 included) and any sequence length (1 included).

        Returns:
            logits: float tensor ``(batch, output_size)``: ``self.fc`` applied
            to the RNN's output at the last time step. Raw logits: no softmax
            (``nn.CrossEntropyLoss`` applies it itself).

        Start from a zero initial hidden state of shape
        ``(num_layers, batch, hidden_size)`` = ``(1, batch, hidden_size)``,
        made on the same device as ``x``. ``self.rnn`` returns ``out`` of shape
        ``(batch, seq_len, hidden_size)`` (one hidden state per time step) and
        the final hidden state of shape ``(1, batch, hidden_size)``.
        """
        # Hint: the recurrence needs a starting state for every sequence, and tensors that compute together
        #   must live on one device; the classifier should read the state that has seen the whole sequence.
        #   Look up what torch.nn.RNN takes and returns, the device argument of torch.zeros, and indexing.
        ### BEGIN SOLUTION
        h0 = torch.zeros(1, x.size(0), self.hidden_size, device=x.device, dtype=x.dtype)
        out, _ = self.rnn(x, h0)
        return self.fc(out[:, -1, :])
        ### END SOLUTION


def training_step(model, inputs, targets, criterion, optimizer, max_grad_norm=None):
    """Take one optimisation step on one batch and return its loss.

    Args:
        model: any network mapping ``(batch, seq_len, input_size)`` to
            logits ``(batch, n_classes)`` (a ``SimpleRNN`` or another model).
        inputs: float tensor ``(batch, seq_len, input_size)``.
        targets: int64 tensor ``(batch,)`` of class indices.
        criterion: the loss function to use, e.g. ``nn.CrossEntropyLoss()``.
        optimizer: an optimizer over ``model``'s parameters.
        max_grad_norm: ``None`` for no clipping, else a float: the largest
            total gradient norm allowed (``torch.nn.utils.clip_grad_norm_``).

    Returns:
        The loss of this batch, computed before the step, as a Python
        ``float`` (not a tensor).

    Five things, in order: clear the gradients left from an earlier step,
    compute the loss of the model's output, backpropagate, clip (only when
    ``max_grad_norm`` is given), and let the optimizer step. Tip from the
    module: clipping goes after backpropagation and before the step; it tames
    exploding gradients.
    """
    # Hint: backward adds new gradients to those already in .grad; clipping can only act on gradients that
    #   exist and are not used yet. Look up Optimizer.zero_grad, Tensor.backward,
    #   torch.nn.utils.clip_grad_norm_, Optimizer.step and Tensor.item.
    ### BEGIN SOLUTION
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = criterion(outputs, targets)
    loss.backward()
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()
    ### END SOLUTION


def train(model, inputs, targets, *, epochs=100, lr=0.01, max_grad_norm=None, device=None):
    """Train ``model`` on the whole data set, one full-batch step per epoch.

    Args:
        model: the network to train; this very object is trained in place.
        inputs: float tensor ``(n_sequences, seq_len, input_size)``.
        targets: int64 tensor ``(n_sequences,)`` of class indices.
        epochs: number of epochs (one ``training_step`` each).
        lr: learning rate of the Adam optimizer.
        max_grad_norm: passed on to ``training_step``.
        device: where to train (``"cpu"``, ``"cuda"``, a ``torch.device``);
            ``None`` means the device the model's parameters are on. Move the
            model, the inputs and the targets there.

    Returns:
        A list of ``epochs`` Python floats: the loss of each epoch, in order.

    Use the Adam optimizer (``torch.optim.Adam``) over the model's parameters
    with learning rate ``lr``, made once for the whole run, and cross-entropy
    loss (``nn.CrossEntropyLoss``).
    """
    # Hint: everything that computes together lives on one device; an optimizer keeps state across steps
    #   (Adam's running averages). Look up Module.parameters, Module.to, Tensor.to, torch.optim.Adam and
    #   nn.CrossEntropyLoss.
    ### BEGIN SOLUTION
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
    ### END SOLUTION


def predict(model, inputs):
    """Predict the class of each sequence.

    Args:
        model: a trained network returning logits ``(batch, n_classes)``.
        inputs: float tensor ``(batch, seq_len, input_size)``.

    Returns:
        int64 tensor ``(batch,)``: the index of the largest logit of each
        sequence.

    Put the model in evaluation mode (``Module.eval``) and compute without
    tracking gradients (``torch.no_grad``).
    """
    # Hint: some layers behave differently while training, and predicting needs no gradients; the logits
    #   are (batch, n_classes). Look up Module.eval, torch.no_grad and torch.argmax (its dim argument).
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        return model(inputs).argmax(dim=1)
    ### END SOLUTION


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
    # Hint: each step feeds its state into the next, so the steps run in order, and autograd must see every
    #   operation. Look up torch.tanh, the @ operator (matrix product), torch.stack and Tensor.unsqueeze.
    ### BEGIN SOLUTION
    batch, seq_len, _ = x.shape
    h = x.new_zeros(batch, weight_hh.shape[0]) if h0 is None else h0[0]
    states = []
    for t in range(seq_len):
        h = torch.tanh(x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
        states.append(h)
    return torch.stack(states, dim=1), h.unsqueeze(0)
    ### END SOLUTION


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
        hidden state ``h_t`` (the state after step ``t``, ``t = 0`` the first).
        The loss is the mean cross-entropy over the batch (the default
        reduction of ``nn.functional.cross_entropy`` and
        ``nn.CrossEntropyLoss``) of ``model.fc`` applied to the last hidden
        state, the recurrence starting from zeros.

    Run the recurrence yourself (as in ``rnn_forward_manual``) with the
    RNN's own weights, so that every ``h_t`` is a tensor you hold. For an
    untrained network and a long sequence the first entries come out orders of
    magnitude smaller than the last: the vanishing gradient the module warns
    about. ``gradient_factors`` measures why.
    """
    # Hint: autograd keeps the gradient of an intermediate tensor only when asked, and one backward pass
    #   reaches every h_t at once. Look up Tensor.retain_grad (or torch.autograd.grad),
    #   nn.functional.cross_entropy and Tensor.norm; model.rnn keeps its weights as weight_ih_l0 and so on.
    ### BEGIN SOLUTION
    rnn = model.rnn
    h = x.new_zeros(x.shape[0], rnn.hidden_size)
    states = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
                       + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        h.retain_grad()
        states.append(h)
    loss = nn.functional.cross_entropy(model.fc(h), targets)
    loss.backward()
    return torch.stack([state.grad.norm() for state in states])
    ### END SOLUTION


def gradient_factors(model, x, targets):
    """Why the gradient vanishes, or explodes: each step back in time, measured and bounded.

    Args:
        model, x, targets: as for ``hidden_gradient_norms``.

    Returns:
        ``(factors, bounds)``, two float tensors of shape ``(seq_len - 1,)``:

        * ``factors[t] = |dL/dh_t| / |dL/dh_(t+1)|``, from
          ``hidden_gradient_norms``: how much the gradient's norm changes in
          one step back in time (below 1 it shrinks, above 1 it grows).
        * ``bounds[t]``: the most that step back can multiply it by. Going back
          from ``h_(t+1)`` to ``h_t`` multiplies each sequence's gradient by
          the transpose of that step's Jacobian,
          ``dh_(t+1)/dh_t = diag(1 - h_(t+1)^2) W_hh`` (``1 - tanh^2`` is the
          slope of tanh), and a matrix stretches a vector by at most its
          spectral norm, its largest singular value. ``bounds[t]`` is the
          largest of these spectral norms over the batch, so
          ``factors[t] <= bounds[t]`` always.

    What they show: tanh's slope is at most 1, so no bound exceeds the
    spectral norm of ``W_hh``, and the gradient can grow going back only where
    that norm is above 1. A freshly initialised network has ``||W_hh||_2``
    near 1, and its factors come out far below their bounds, about 0.5: the
    gradient halves at every step back, and over 60 steps it vanishes
    (``0.5^60`` is about ``1e-18``). Scale ``W_hh`` up and the factors pass
    1: the gradient grows at every step back and, over a long sequence,
    explodes. Training on this task moves the same way: to carry a running
    total, the network learns a ``W_hh`` that keeps the signal (its spectral
    norm ends near 2), the factors come out above 1, and the norms grow going
    back in time. Gradients that can grow are what ``clip_grad_norm_`` in
    ``training_step`` caps.
    """
    # Hint: a step back multiplies the gradient by the transposed Jacobian of the step, whose size the
    #   slope of tanh and W_hh decide. Look up broadcasting, torch.linalg.matrix_norm (its ord argument)
    #   and Tensor.amax; rnn_forward_manual and hidden_gradient_norms give you the states and the norms.
    ### BEGIN SOLUTION
    norms = hidden_gradient_norms(model, x, targets).detach()
    rnn = model.rnn
    with torch.no_grad():
        out, _ = rnn_forward_manual(x, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
        slopes = 1 - out[:, 1:] ** 2
        jacobians = slopes.unsqueeze(-1) * rnn.weight_hh_l0
        bounds = torch.linalg.matrix_norm(jacobians, ord=2).amax(dim=0)
    return norms[:-1] / norms[1:], bounds
    ### END SOLUTION


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
    # Part 2: the gradient reaching the first and the last hidden state, short and long sequences, and
    # the mean factor of a step back in time against its mean bound (see gradient_factors).
    torch.manual_seed(1)
    untrained = SimpleRNN(input_size=4, hidden_size=16, output_size=2)
    amplified = SimpleRNN(input_size=4, hidden_size=16, output_size=2)
    amplified.load_state_dict(untrained.state_dict())
    with torch.no_grad():
        amplified.rnn.weight_hh_l0.mul_(3.0)
    for name, network in (("untrained", untrained), ("trained", model), ("W_hh x 3", amplified)):
        for length in (10, 60):
            data = make_dataset(64, seq_len=length, seed=2)
            norms = hidden_gradient_norms(network, *data)
            factors, bounds = gradient_factors(network, *data)
            print(f"{name:9} seq_len {length}: |dL/dh_0| = {norms[0]:.2e}, |dL/dh_last| = {norms[-1]:.2e}; "
                  f"a step back: factor {factors.mean():.2f}, bound {bounds.mean():.2f}")
