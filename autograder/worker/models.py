"""Known-good models of *another* architecture, for judging the model-agnostic functions.

``training_step``, ``train`` and ``predict`` take any model, so they are judged
on these rather than on an ``nn.RNN`` model: nothing here could stand in for
the student's ``SimpleRNN``, so digging these out of the worker's memory
earns nothing. The judge builds the same models to compute its expectations.
"""

from __future__ import annotations

import torch
from torch import nn


class MeanPoolMLP(nn.Module):
    """Average over time, then a two-layer perceptron: (batch, seq, input) -> (batch, output)."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        self.hidden = nn.Linear(input_size, hidden_size)
        self.out = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x.mean(dim=1))))


class ModeRevealingMLP(MeanPoolMLP):
    """A MeanPoolMLP whose output shows its mode and whether gradients are tracked.

    In training mode it permutes its logits by ``train_order``, with gradients
    enabled by ``grad_order`` (the judge draws both, with no class left in place),
    so each of the four combinations predicts other classes for every sequence:
    the judge reads eval mode and no_grad off the predictions alone, and no
    combination predicts a constant that could be guessed.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int):
        super().__init__(input_size, hidden_size, output_size)
        self.register_buffer("train_order", torch.arange(output_size))
        self.register_buffer("grad_order", torch.arange(output_size))

    def forward(self, x):
        logits = super().forward(x)
        if self.training:
            logits = logits[:, self.train_order]
        if torch.is_grad_enabled():
            logits = logits[:, self.grad_order]
        return logits


def sizes_of(weights: dict) -> tuple[int, int, int]:
    """(input, hidden, output) sizes of a MeanPoolMLP state dict."""
    hidden, inputs = weights["hidden.weight"].shape
    return int(inputs), int(hidden), int(weights["out.weight"].shape[0])


def build(cls, weights: dict) -> nn.Module:
    model = cls(*sizes_of(weights))
    model.load_state_dict(weights)
    return model


class Layers(nn.Module):
    """The exercise's two layers as plain attributes, with no forward of its own.

    Part 2's functions read ``model.rnn`` and ``model.fc`` directly; handing them
    this container (not a SimpleRNN) keeps a working forward out of the worker.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        raise RuntimeError("this model has no forward: compute with model.rnn's weights and model.fc")
