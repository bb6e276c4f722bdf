"""Module bookkeeping: registration, iteration, modes, state dicts and containers vs torch.nn."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import hosila
from hosila import nn
from tests.nn.helpers import to_numpy_state, to_torch_state


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2, bias=False))
        self.scale = nn.Parameter(hosila.ones(2))
        self.register_buffer("steps", hosila.zeros(1))
        self.register_buffer("scratch", hosila.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.bn(self.fc(x))) * self.scale


class TNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(3, 4)
        self.bn = torch.nn.BatchNorm1d(4)
        self.head = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(4, 2, bias=False))
        self.scale = torch.nn.Parameter(torch.ones(2))
        self.register_buffer("steps", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.bn(self.fc(x))) * self.scale


def test_names_match_torch():
    h, t = Net(), TNet()
    assert [n for n, _ in h.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in h.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in h.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in h.named_children()] == [n for n, _ in t.named_children()]
    assert list(h.state_dict()) == list(t.state_dict())
    assert [n for n, _ in h.named_parameters(prefix="m", recurse=False)] == ["m.scale"]
    assert len(list(h.parameters())) == len(list(t.parameters())) == 6
    assert len(list(h.parameters(recurse=False))) == 1
    assert len(list(h.modules())) == 6
    assert len(list(h.children())) == 3
    assert len(list(h.buffers())) == len(list(t.buffers())) == 5
    assert "scratch" not in h.state_dict()
    assert h.state_dict()["bn.num_batches_tracked"].dtype == np.int64


def test_state_dict_round_trip_with_torch_gives_same_outputs():
    h, t = Net().double(), TNet().double()
    h.load_state_dict(to_numpy_state(t))
    x = np.random.default_rng(0).standard_normal((5, 3))
    for train in (True, False):
        h.train(train)
        t.train(train)
        np.testing.assert_allclose(h(hosila.tensor(x)).data, t(torch.tensor(x)).detach().numpy())
    # and the other way: hosila weights into torch
    h2, t2 = Net().double(), TNet().double()
    t2.load_state_dict(to_torch_state(h2))
    h2.eval()
    t2.eval()
    np.testing.assert_allclose(h2(hosila.tensor(x)).data, t2(torch.tensor(x)).detach().numpy())


def test_state_dict_shares_memory_and_is_detached():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["weight"].requires_grad
    with hosila.no_grad():
        m.weight.data[0, 0] = 42.0
    assert sd["weight"].data[0, 0] == 42.0
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_load_state_dict_errors_name_keys():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    sd = {k: v.data.copy() for k, v in m.state_dict().items()}
    del sd["2.bias"]
    sd["extra.weight"] = np.zeros(2)
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "2.bias"') as e:
        m.load_state_dict(sd)
    assert '"extra.weight"' in str(e.value)
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["2.bias"] and res.unexpected_keys == ["extra.weight"]
    missing, unexpected = res
    assert missing == ["2.bias"]
    bad = {k: v.data.copy() for k, v in m.state_dict().items()}
    bad["0.weight"] = np.zeros((4, 2))
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight.*\(4, 2\).*\(3, 2\)"):
        m.load_state_dict(bad, strict=False)
    with pytest.raises(TypeError):
        m.load_state_dict([1, 2])
    ok = m.load_state_dict(m.state_dict())
    assert ok.missing_keys == [] and ok.unexpected_keys == []


def test_load_state_dict_accepts_tensors_arrays_and_casts():
    m = nn.Linear(2, 2)
    sd = {"weight": hosila.ones(2, 2, dtype=hosila.float64), "bias": np.array([1.0, 2.0])}
    m.load_state_dict(sd)
    assert m.weight.dtype == np.float32 and m.weight.data.sum() == 4
    np.testing.assert_array_equal(m.bias.data, [1.0, 2.0])
    m.load_state_dict({"weight": torch.zeros(2, 2), "bias": torch.zeros(2)})
    assert not m.weight.data.any()


def test_save_load_safetensors_round_trip_both_libraries(tmp_path):
    from safetensors.torch import load_file, save_file

    h, t = Net(), TNet()
    path = tmp_path / "h.safetensors"
    hosila.save(h.state_dict(), path)
    t.load_state_dict(load_file(str(path)))
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    h.eval()
    t.eval()
    np.testing.assert_allclose(
        h(hosila.tensor(x)).data, t(torch.tensor(x)).detach().numpy(), atol=1e-6
    )
    t2 = TNet()
    save_file(t2.state_dict(), str(tmp_path / "t.safetensors"))
    h2 = Net()
    h2.load_state_dict(hosila.load(tmp_path / "t.safetensors"))
    h2.eval()
    t2.eval()
    np.testing.assert_allclose(
        h2(hosila.tensor(x)).data, t2(torch.tensor(x)).detach().numpy(), atol=1e-6
    )


def test_train_eval_and_training_flag():
    m = Net()
    assert m.training and m.bn.training
    assert m.eval() is m
    assert not m.training and not m.bn.training and not m.head[1].training
    m.train()
    assert m.head[0].training
    with pytest.raises(ValueError):
        m.train("yes")


def test_zero_grad_apply_requires_grad():
    m = Net()
    m(hosila.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "BatchNorm1d", "ReLU", "Linear", "Sequential", "Net"]
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_setattr_rules():
    m = nn.Module()
    m.w = nn.Parameter(hosila.zeros(2))
    assert "w" in dict(m.named_parameters())
    m.w = None
    assert m.w is None and list(m.parameters()) == []
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = hosila.zeros(2)
    m.register_buffer("b", hosila.zeros(1))
    m.b = hosila.ones(1)
    assert m.state_dict()["b"].data[0] == 1
    with pytest.raises(TypeError):
        m.b = 3
    with pytest.raises(KeyError):
        m.register_buffer("a.b", None)
    with pytest.raises(TypeError):
        m.register_parameter("p", hosila.zeros(1))
    m.sub = nn.Linear(1, 1)
    assert "sub.weight" in m.state_dict()
    del m.sub
    assert "sub.weight" not in m.state_dict()
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = m.nothing

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(hosila.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_shared_parameters_counted_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, lin)
    assert len(list(m.parameters())) == 2
    assert list(m.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_to_double_float():
    m = Net()
    m.double()
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m.bn.running_mean.dtype == np.float64
    assert m.bn.num_batches_tracked.dtype == np.int64
    w = m.fc.weight
    m.float()
    assert m.fc.weight is w and w.dtype == np.float32
    assert m.to(hosila.float64) is m and w.dtype == np.float64


def test_repr_tree_matches_torch():
    h, t = Net(), TNet()
    # the parameter/buffer-only lines are not in torch's repr either
    assert repr(h).replace("Net", "X") == repr(t).replace("TNet", "X")
    assert repr(nn.ModuleList([nn.ReLU(), nn.Linear(1, 2)])) == repr(
        torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.Linear(1, 2)])
    )


def test_sequential_container():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    s = nn.Sequential(*layers)
    assert len(s) == 3 and s[0] is layers[0] and s[-1] is layers[2]
    assert list(s) == layers
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is layers[1]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and "3" in dict(s.named_children())
    x = hosila.randn(4, 2)
    out = s(x)
    assert out.shape == (4, 1) and (out.data > 0).all()
    named = nn.Sequential(OrderedDict([("a", nn.Linear(2, 2)), ("b", nn.Tanh())]))
    assert list(named.state_dict()) == ["a.weight", "a.bias"]
    with pytest.raises(IndexError):
        s[10]
    del s[0]
    assert len(s) == 3 and [n for n, _ in s.named_children()] == ["0", "1", "2"]
    s.insert(0, nn.Identity())
    assert isinstance(s[0], nn.Identity)


def test_modulelist_moduledict_identity():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    assert isinstance(ml[-1], nn.Tanh) and len(ml[1:3]) == 2
    holder = nn.Module()
    holder.layers = ml
    assert "layers.0.weight" in holder.state_dict()
    md = nn.ModuleDict({"enc": nn.Linear(2, 2), "act": nn.ReLU()})
    assert list(md.keys()) == ["enc", "act"] and "enc" in md and len(md) == 2
    md["dec"] = nn.Linear(2, 1)
    assert list(md.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    x = hosila.randn(2, 3)
    assert nn.Identity(5, k=1)(x) is x


def test_modulelist_repr_groups_repeats_like_torch():
    def build(m):
        return m.ModuleList(
            [m.ReLU(), m.ReLU(), m.Linear(1, 2), m.Sequential(m.Tanh()), m.Sequential(m.Tanh())]
        )

    assert repr(build(nn)) == repr(build(torch.nn))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_forward_hooks():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seen = []
    handle = m[0].register_forward_hook(lambda mod, args, out: seen.append(out.shape))
    pre = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    out = m(hosila.randn(4, 2))
    assert seen == [(4, 3)]
    np.testing.assert_allclose(out.data, np.maximum(m[0].bias.data, 0)[None].repeat(4, 0))
    handle.remove()
    pre.remove()
    m(hosila.randn(1, 2))
    assert seen == [(4, 3)]
    with m.register_forward_hook(lambda mod, args, out: out * 2):
        x = hosila.randn(2, 2)
        np.testing.assert_allclose(m(x).data, 2 * m[1](m[0](x)).data)


def test_half_and_type():
    m = nn.Linear(2, 2)
    assert m.half() is m and m.weight.dtype == np.float16
    m.type(hosila.float64)
    assert m.bias.dtype == np.float64 and m.cpu() is m
    with pytest.raises(TypeError, match="floating"):
        m.to(hosila.int64)


def test_get_submodule_get_parameter_add_module():
    m = Net()
    assert m.get_submodule("head.1") is m.head[1]
    assert m.get_submodule("") is m
    assert m.get_parameter("head.1.weight") is m.head[1].weight
    assert m.get_parameter("scale") is m.scale
    with pytest.raises(AttributeError, match="no submodule"):
        m.get_submodule("head.7")
    with pytest.raises(AttributeError, match="no parameter"):
        m.get_parameter("fc.gamma")
    m.add_module("extra", nn.Tanh())
    assert "extra" in dict(m.named_children())
    with pytest.raises(TypeError):
        m.add_module("bad", 3)
    m.extra = None
    assert "extra" not in dict(m.named_children())
