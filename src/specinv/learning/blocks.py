"""Network building blocks shared by the domains' models."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def mlp(n_in: int, n_out: int, hidden: tuple[int, ...] | list[int],
        activation: type[torch.nn.Module] | None = None) -> torch.nn.Sequential:
    """Plain multilayer perceptron: Linear, activation, …, Linear (linear output).

    The layers sit at indices 0, 2, 4, … of the ``Sequential`` (activations in
    between), so state-dict keys are ``"0.weight"``, ``"2.weight"``, …

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    hidden : sequence of int
        Widths of the hidden layers (may be empty: one Linear layer).
    activation : type of torch.nn.Module, optional
        Activation after every hidden layer (default ``torch.nn.ReLU``).

    Returns
    -------
    torch.nn.Sequential
        Freshly initialized (torch's default init, drawn layer by layer in order).
    """
    import torch

    act = activation or torch.nn.ReLU
    layers: list[torch.nn.Module] = []
    prev = n_in
    for width in hidden:
        layers += [torch.nn.Linear(prev, width), act()]
        prev = width
    layers.append(torch.nn.Linear(prev, n_out))
    return torch.nn.Sequential(*layers)
