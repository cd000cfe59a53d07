"""Trusted building blocks shared by the probes (student side) and the judge.

``ReadOut`` is a known-good model with the exercise's layer names, so the
training functions can be judged on their own, whatever the student's
``SimpleRNN`` does. Nothing here is secret: it is neither the reference
solution nor a hidden check.
"""

from __future__ import annotations

import torch
from torch import nn


class ReadOut(nn.Module):
    """nn.RNN (batch-first) + nn.Linear on the last time step: the exercise's architecture."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1, :])


def known_good_step(model, inputs, targets, criterion, optimizer, max_grad_norm=None):
    """A correct training_step, standing in for the student's while ``train`` is judged.

    So a mistake in training_step costs points on the training_step checks only.
    """
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def grouped(tensors: dict, prefix: str) -> dict:
    """The tensors whose names start with ``prefix``, with the prefix removed."""
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def sizes_of(weights: dict) -> tuple[int, int, int]:
    """(input_size, hidden_size, output_size) of a state_dict with the exercise's keys."""
    hidden, inputs = weights["rnn.weight_ih_l0"].shape
    return int(inputs), int(hidden), int(weights["fc.weight"].shape[0])


def readout_with(weights: dict) -> ReadOut:
    model = ReadOut(*sizes_of(weights))
    model.load_state_dict(weights)
    return model


def parameters_of(model: nn.Module, prefix: str = "") -> dict:
    return {prefix + name: p.detach().to("cpu").clone() for name, p in model.named_parameters()}
