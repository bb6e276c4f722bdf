"""hosila.nn.scalar: Neuron, Layer, MLP on Values, checked against the same network in torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hosila import Value
from hosila.nn.scalar import MLP, Layer, Module, Neuron


def _torch_mlp(model: MLP, x: list[float]):
    """The same forward pass in torch float64, from the model's weights: (output, params)."""
    params = [
        torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in model.parameters()
    ]
    it = iter(params)
    h = [torch.tensor(v, dtype=torch.float64) for v in x]
    for layer in model.layers:
        out = []
        for n in layer.neurons:
            ws = [next(it) for _ in range(n.nin)]
            b = next(it)
            act = sum((w * xi for w, xi in zip(ws, h, strict=True)), b)
            out.append(
                {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}.get(
                    n.nonlin, lambda t: t
                )(act)
            )
        h = out
    return h, params


@pytest.mark.parametrize("nonlin", ["relu", "tanh", "sigmoid", "linear"])
def test_mlp_forward_and_backward_match_torch(nonlin):
    model = MLP(3, [4, 5, 2], nonlin=nonlin, out_nonlin="tanh", seed=1)
    x = [0.5, -1.0, 2.0]
    out = model(x)
    assert isinstance(out, list) and len(out) == 2
    loss = out[0] * out[1] + out[1]
    loss.backward()
    ref_out, params = _torch_mlp(model, x)
    (ref_out[0] * ref_out[1] + ref_out[1]).backward()
    assert [o.data for o in out] == pytest.approx([o.item() for o in ref_out], rel=1e-12)
    grads = [p.grad for p in model.parameters()]
    ref = [0.0 if p.grad is None else p.grad.item() for p in params]
    assert grads == pytest.approx(ref, rel=1e-10, abs=1e-12)


def test_lecture_network_shape_and_output():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    out = model([0.3, -0.2])
    assert isinstance(out, Value)  # one output neuron: a Value, not a list
    assert [layer.neurons[0].nonlin for layer in model.layers] == ["relu", "relu", "linear"]
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())


def test_inputs_may_be_values_or_numbers():
    model = MLP(2, [3, 1], seed=0)
    a = model([0.5, -1.5])
    xs = [Value(0.5), Value(-1.5)]
    b = model(xs)
    assert a.data == b.data
    b.backward()
    assert any(x.grad != 0.0 for x in xs)


def test_seed_makes_init_reproducible():
    w = [p.data for p in MLP(2, [8, 1], seed=3).parameters()]
    assert w == [p.data for p in MLP(2, [8, 1], seed=3).parameters()]
    assert w != [p.data for p in MLP(2, [8, 1], seed=4).parameters()]
    r1, r2 = np.random.default_rng(7), np.random.default_rng(7)
    assert [p.data for p in Layer(3, 2, rng=r1).parameters()] == [
        p.data for p in Layer(3, 2, rng=r2).parameters()
    ]
    n = Neuron(5, seed=0)
    assert all(-1.0 <= w.data <= 1.0 for w in n.w) and n.b.data == 0.0


def test_parameters_order_and_zero_grad():
    n = Neuron(3, seed=0)
    assert n.parameters() == [*n.w, n.b]
    layer = Layer(3, 2, seed=0)
    assert layer.parameters() == layer.neurons[0].parameters() + layer.neurons[1].parameters()
    out = layer([1.0, 2.0, 3.0])
    (out[0] + out[1]).backward()
    assert any(p.grad for p in layer.parameters())
    layer.zero_grad()
    assert all(p.grad == 0.0 for p in layer.parameters())
    assert Module().parameters() == []


def test_neuron_nonlinearities():
    n = Neuron(2, nonlin="linear", seed=0)
    x = [0.5, -0.25]
    pre = sum(w.data * xi for w, xi in zip(n.w, x, strict=True)) + n.b.data
    assert n(x).data == pytest.approx(pre)
    for name, fn in [("tanh", np.tanh), ("relu", lambda v: max(v, 0.0))]:
        m = Neuron(2, nonlin=name, seed=0)
        assert m(x).data == pytest.approx(fn(pre))
        assert m(x).op == name


def test_reprs():
    assert repr(Neuron(3)) == "Neuron(3, nonlin='tanh')"
    assert repr(Layer(2, 4, "relu")) == "Layer(2, 4, nonlin='relu')"
    assert repr(MLP(2, [16, 16, 1])) == "MLP(2, [16, 16, 1], nonlin='relu', out_nonlin='linear')"


def test_bad_arguments():
    with pytest.raises(ValueError, match="Neuron: nonlin must be one of .*got 'gelu'"):
        Neuron(2, nonlin="gelu")
    with pytest.raises(ValueError, match="MLP: out_nonlin must be one of"):
        MLP(2, [1], out_nonlin="softmax")
    with pytest.raises(TypeError, match="Neuron: nin must be an int, got float"):
        Neuron(2.0)
    with pytest.raises(ValueError, match="Layer: nout must be >= 1, got 0"):
        Layer(2, 0)
    with pytest.raises(ValueError, match="MLP: nouts must be a non-empty list"):
        MLP(2, [])
    with pytest.raises(ValueError, match="MLP: nouts must be a non-empty list"):
        MLP(2, 16)
    with pytest.raises(ValueError, match="MLP: give seed= or rng=, not both"):
        MLP(2, [1], seed=0, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, got int"):
        Neuron(2, rng=5)
    with pytest.raises(ValueError, match="Neuron: expected 2 inputs, got 3"):
        Neuron(2, seed=0)([1.0, 2.0, 3.0])
