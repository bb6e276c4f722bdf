"""Neural networks of :class:`hosila.Value` scalars: ``Neuron``, ``Layer``, ``MLP``.

The micrograd lecture's networks, one scalar at a time. ``MLP(2, [16, 16, 1])`` is the
moons demo's network: two hidden layers of 16 ReLU neurons and one linear output::

    model = MLP(2, [16, 16, 1], seed=0)
    score = model([0.5, -1.0])            # a Value
    score.backward()                      # gradients land in model.parameters()

Weights start uniform in [-1, 1] and biases at 0, drawn from ``seed`` (or ``rng``) so that
the same seed gives the same network.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hosila.engine import Value

__all__ = ["MLP", "Layer", "Module", "Neuron"]

_NONLINS = ("tanh", "relu", "sigmoid", "linear")


def _rng(seed: int | None, rng: np.random.Generator | None, owner: str) -> np.random.Generator:
    if seed is not None and rng is not None:
        raise ValueError(f"{owner}: give seed= or rng=, not both")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"{owner}: rng must be a numpy.random.Generator, got {type(rng).__name__}"
            )
        return rng
    return np.random.default_rng(seed)


def _check_size(n: int, name: str, owner: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{owner}: {name} must be >= 1, got {n}")
    return int(n)


def _check_nonlin(nonlin: str, name: str, owner: str) -> str:
    if nonlin not in _NONLINS:
        raise ValueError(f"{owner}: {name} must be one of {_NONLINS}, got {nonlin!r}")
    return nonlin


class Module:
    """Base class: something with parameters (Values) that can be zeroed."""

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0.0 (before the next backward pass)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One neuron: ``nonlin(w · x + b)`` with ``nin`` weights and a bias.

    Args:
        nin: number of inputs.
        nonlin: ``"tanh"`` (the lecture's neuron), ``"relu"``, ``"sigmoid"`` or ``"linear"``.
        seed, rng: where the initial weights come from (give at most one).
    """

    def __init__(
        self,
        nin: int,
        nonlin: str = "tanh",
        *,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.nin = _check_size(nin, "nin", "Neuron")
        self.nonlin = _check_nonlin(nonlin, "nonlin", "Neuron")
        weights = _rng(seed, rng, "Neuron").uniform(-1.0, 1.0, size=self.nin)
        self.w = [Value(float(w)) for w in weights]
        self.b = Value(0.0)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """x: ``nin`` Values or numbers -> one Value."""
        if len(x) != self.nin:
            raise ValueError(f"Neuron: expected {self.nin} inputs, got {len(x)}")
        act = Value.dot(self.w, x, self.b)  # w · x + b as one node
        if self.nonlin == "linear":
            return act
        return getattr(act, self.nonlin)()

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, nonlin={self.nonlin!r})"


class Layer(Module):
    """``nout`` neurons that all see the same ``nin`` inputs.

    Calling it returns a list of ``nout`` Values, or one Value when ``nout == 1``.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        nonlin: str = "tanh",
        *,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        nout = _check_size(nout, "nout", "Layer")
        gen = _rng(seed, rng, "Layer")
        self.neurons = [Neuron(nin, nonlin, rng=gen) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """x: ``nin`` Values or numbers -> ``nout`` Values (one Value when nout == 1)."""
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        n = self.neurons[0]
        return f"Layer({n.nin}, {len(self.neurons)}, nonlin={n.nonlin!r})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes ``nouts``, ``nonlin`` between them.

    Args:
        nin: number of inputs.
        nouts: the size of each layer, e.g. ``[16, 16, 1]``.
        nonlin: the hidden layers' non-linearity (default ``"relu"``).
        out_nonlin: the last layer's (default ``"linear"``: raw scores).
        seed, rng: where the initial weights come from (give at most one).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        nonlin: str = "relu",
        out_nonlin: str = "linear",
        *,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        nin = _check_size(nin, "nin", "MLP")
        if isinstance(nouts, (int, str)) or len(nouts) == 0:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        _check_nonlin(nonlin, "nonlin", "MLP")
        _check_nonlin(out_nonlin, "out_nonlin", "MLP")
        gen = _rng(seed, rng, "MLP")
        sizes = [nin, *(_check_size(n, "nouts", "MLP") for n in nouts)]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], out_nonlin if i == last else nonlin, rng=gen)
            for i in range(len(nouts))
        ]
        self.nonlin, self.out_nonlin = nonlin, out_nonlin

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """x: ``nin`` Values or numbers -> the last layer's output."""
        for layer in self.layers:
            x = layer(x)
            if isinstance(x, Value):
                x = [x]
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        nin = self.layers[0].neurons[0].nin
        nouts = [len(layer.neurons) for layer in self.layers]
        return f"MLP({nin}, {nouts}, nonlin={self.nonlin!r}, out_nonlin={self.out_nonlin!r})"
