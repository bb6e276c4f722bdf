"""hosila.optim against torch.optim: the same small network trained for 20 steps from the same
weights in both libraries must end with the same weights (float64, to 1e-6)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import hosila
from hosila import optim

torch.set_num_threads(1)  # tiny tensors: threads only add overhead (and slow the suite)

# ---- a tiny 2-layer classifier, written with tensor ops in both libraries ---------------------

N, D, H, C = 12, 5, 6, 3
_rng = np.random.default_rng(1234)
X = _rng.standard_normal((N, D))
Y = _rng.integers(0, C, N)
SHAPES = [(H, D), (H,), (C, H), (C,)]
INIT = [_rng.standard_normal(s) * 0.5 for s in SHAPES]


def make_params(lib, dtype=np.float64, init=INIT):
    """Fresh leaf tensors (W1, b1, W2, b2) holding copies of ``init``."""
    if lib is hosila:
        return [hosila.tensor(a.astype(dtype), requires_grad=True) for a in init]
    return [torch.tensor(a.astype(dtype), requires_grad=True) for a in init]


def loss_fn(lib, params):
    """Mean cross-entropy of tanh(x W1ᵀ + b1) W2ᵀ + b2."""
    w1, b1, w2, b2 = params
    x = lib.tensor(X.astype(np.dtype(str(w1.dtype).replace("torch.", ""))))
    logits = (x @ w1.T + b1).tanh() @ w2.T + b2
    logp = logits.log_softmax(1)
    if lib is hosila:
        return -logp[np.arange(N), Y].mean()
    return -logp[torch.arange(N), torch.tensor(Y)].mean()


def values(params):
    return [
        p.data.copy() if isinstance(p, hosila.Tensor) else p.detach().numpy().copy() for p in params
    ]


def train(lib, opt, params, steps):
    losses = []

    def closure():
        opt.zero_grad()
        loss = loss_fn(lib, params)
        loss.backward()
        return loss

    for _ in range(steps):
        loss = opt.step(closure)
        losses.append(float(loss.detach() if lib is torch else loss))
    return losses


def run_both(name, kwargs, steps=20, groups=None):
    """Train in hosila and torch; return (hosila weights, torch weights, hosila/torch losses)."""
    out = []
    for lib, mod in ((hosila, optim), (torch, torch.optim)):
        params = make_params(lib)
        spec = params if groups is None else groups(params)
        opt = getattr(mod, name)(spec, **kwargs)
        losses = train(lib, opt, params, steps)
        out.append((values(params), losses))
    return out[0][0], out[1][0], out[0][1], out[1][1]


def assert_same(h, t, atol=1e-6):
    for a, b in zip(h, t, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=atol)


CASES = [  # hyper-parameters beyond the option combinations below
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.2, momentum=0.5, dampening=0.9, weight_decay=0.3)),
    ("Adagrad", dict(lr=0.3, eps=1e-3, lr_decay=0.5)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.02, alpha=0.5, centered=True, momentum=0.9)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6)),
    ("Adam", dict(lr=0.05, betas=(0.0, 0.5), amsgrad=True)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True, betas=(0.5, 0.99))),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_matches_pytorch_after_20_steps(name, kwargs):
    h, t, hl, tl = run_both(name, kwargs)
    assert_same(h, t)
    np.testing.assert_allclose(hl, tl, rtol=1e-6)
    # the run changed the weights (the comparison is not vacuous)
    assert max(np.abs(a - b).max() for a, b in zip(h, INIT, strict=True)) > 1e-3


PRODUCTS = {
    "SGD": dict(
        lr=[0.05],
        momentum=[0.0, 0.9],
        dampening=[0.0, 0.4],
        nesterov=[False, True],
        weight_decay=[0.0, 0.1],
        maximize=[False, True],
    ),
    "Adagrad": dict(
        lr=[0.1],
        lr_decay=[0.0, 0.05],
        weight_decay=[0.0, 0.1],
        initial_accumulator_value=[0.0, 0.5],
        maximize=[False, True],
    ),
    "RMSprop": dict(
        lr=[0.005],
        centered=[False, True],
        momentum=[0.0, 0.6],
        weight_decay=[0.0, 0.1],
        maximize=[False, True],
    ),
    "Adam": dict(
        lr=[0.02],
        amsgrad=[False, True],
        weight_decay=[0.0, 0.1],
        maximize=[False, True],
        decoupled_weight_decay=[False, True],
    ),
    "AdamW": dict(
        lr=[0.02], amsgrad=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True]
    ),
}


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_every_option_combination_matches_pytorch(name):
    """All combinations of the options (the valid ones: Nesterov needs momentum and no
    dampening), 20 steps each."""
    keys = list(PRODUCTS[name])
    count = 0
    for combo in itertools.product(*PRODUCTS[name].values()):
        kwargs = dict(zip(keys, combo, strict=True))
        if kwargs.get("nesterov") and (kwargs["momentum"] == 0 or kwargs["dampening"] != 0):
            continue
        h, t, _, _ = run_both(name, kwargs)
        for a, b in zip(h, t, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=str(kwargs))
        count += 1
    assert count >= 8


def test_maximize_goes_uphill():
    _, _, losses, _ = run_both("SGD", dict(lr=0.1, maximize=True), steps=10)
    assert losses[-1] > losses[0]
    _, _, losses, _ = run_both("SGD", dict(lr=0.1), steps=10)
    assert losses[-1] < losses[0]


@pytest.mark.parametrize(
    ("name", "kwargs", "group_opts"),
    [
        ("SGD", dict(lr=0.1, momentum=0.9), dict(lr=0.01, momentum=0.5, nesterov=True)),
        ("Adam", dict(lr=0.01), dict(lr=0.05, betas=(0.5, 0.6), amsgrad=True)),
        ("RMSprop", dict(lr=0.01), dict(centered=True, momentum=0.3)),
        ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.2), dict(lr_decay=0.1, eps=1e-3)),
        ("AdamW", dict(lr=0.01), dict(weight_decay=0.0)),
    ],
)
def test_parameter_groups_with_own_options(name, kwargs, group_opts):
    def groups(p):
        return [{"params": p[:2]}, {"params": p[2:], **group_opts}]

    h, t, _, _ = run_both(name, kwargs, groups=groups)
    assert_same(h, t)


def test_group_options_filled_from_defaults():
    p = make_params(hosila)
    opt = optim.SGD([{"params": p[:2]}, {"params": p[2:], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"][0] is p[2]


def test_add_param_group_matches_pytorch():
    """Train the first layer for 5 steps, then add the second layer as a new group."""
    out = []
    for lib, mod in ((hosila, optim), (torch, torch.optim)):
        params = make_params(lib)
        opt = mod.Adam(params[:2], lr=0.02)
        train(lib, opt, params, 5)
        opt.add_param_group({"params": params[2:], "lr": 0.05})
        train(lib, opt, params, 10)
        out.append(values(params))
    assert_same(*out)
    # the second layer was frozen for 5 steps but still got gradients: check it moved
    assert np.abs(out[0][2] - INIT[2]).max() > 1e-3


def test_params_without_grad_are_skipped():
    out = []
    for lib, mod in ((hosila, optim), (torch, torch.optim)):
        params = make_params(lib)
        extra = make_params(lib, init=[np.ones(4)])[0]  # never used: grad stays None
        opt = mod.SGD([*params, extra], lr=0.1, momentum=0.9, weight_decay=0.1)
        train(lib, opt, params, 5)
        out.append((values(params), values([extra])[0], len(opt.state)))
    assert_same(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], np.ones(4))
    assert out[0][2] == 4  # state only for the parameters that had gradients


def test_named_parameters_are_accepted():
    p = make_params(hosila)
    opt = optim.SGD([(f"p{i}", t) for i, t in enumerate(p)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["p0", "p1", "p2", "p3"]
    assert opt.param_groups[0]["params"][3] is p[3]
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1, 2, 3]


# ---- float32 stays float32 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("Adagrad", dict(lr=0.1, weight_decay=0.01)),
        ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
        ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
        ("AdamW", dict(lr=0.01)),
        ("LBFGS", dict(lr=1, line_search_fn="strong_wolfe")),
    ],
)
def test_float32_parameters_and_state_stay_float32(name, kwargs):
    hp = make_params(hosila, np.float32)
    tp = make_params(torch, np.float32)
    ho = getattr(optim, name)(hp, **kwargs)
    to = getattr(torch.optim, name)(tp, **kwargs)
    hl = train(hosila, ho, hp, 5)
    tl = train(torch, to, tp, 5)
    for p in hp:
        assert p.data.dtype == np.float32
    for st in ho.state.values():
        for k, v in st.items():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32, k
    if name == "LBFGS":
        # float32 rounding differences change line-search branches: compare the progress only
        assert hl[-1] < 0.5 * hl[0]
        np.testing.assert_allclose(hl[-1], tl[-1], rtol=0.05)
    else:
        assert_same(values(hp), values(tp), atol=1e-5)


def test_updates_are_in_place():
    p = make_params(hosila)
    arrays = [t.data for t in p]
    opt = optim.Adam(p, lr=0.1)
    train(hosila, opt, p, 2)
    assert all(t.data is a for t, a in zip(p, arrays, strict=True))


def test_step_does_not_change_the_gradient():
    p = make_params(hosila)
    loss_fn(hosila, p).backward()
    grads = [t.grad.copy() for t in p]
    optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.5, maximize=True).step()
    optim.Adam(p, lr=0.1, weight_decay=0.5, maximize=True).step()
    optim.RMSprop(p, weight_decay=0.5, maximize=True).step()
    optim.Adagrad(p, weight_decay=0.5, maximize=True).step()
    for t, g in zip(p, grads, strict=True):
        np.testing.assert_array_equal(t.grad, g)


def test_step_without_closure_returns_none():
    p = make_params(hosila)
    loss_fn(hosila, p).backward()
    assert optim.SGD(p, lr=0.1).step() is None


def test_closure_runs_with_grad_enabled():
    p = make_params(hosila)
    opt = optim.SGD(p, lr=0.1)
    with hosila.no_grad():
        loss = opt.step(lambda: (loss_fn(hosila, p).backward(), 7.0)[1])
    assert loss == 7.0
    assert p[0].grad is not None


# ---- zero_grad -------------------------------------------------------------------------------


def test_zero_grad_sets_to_none_by_default():
    p = make_params(hosila)
    loss_fn(hosila, p).backward()
    opt = optim.SGD(p, lr=0.1)
    opt.zero_grad()
    assert all(t.grad is None for t in p)


def test_zero_grad_set_to_none_false_zeroes_in_place():
    p = make_params(hosila)
    loss_fn(hosila, p).backward()
    arrays = [t.grad for t in p]
    optim.SGD(p, lr=0.1).zero_grad(set_to_none=False)
    for t, a in zip(p, arrays, strict=True):
        assert t.grad is a
        assert not t.grad.any()


# ---- LBFGS ----------------------------------------------------------------------------------

LBFGS_CASES = [
    dict(),
    dict(lr=0.5),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", history_size=3, max_iter=8),
    dict(history_size=2, max_iter=5, lr=0.8),
    dict(max_iter=4, max_eval=6, line_search_fn="strong_wolfe"),
    dict(tolerance_grad=1e-3, tolerance_change=1e-4, line_search_fn="strong_wolfe"),
]


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=[str(k) for k in LBFGS_CASES])
def test_lbfgs_matches_pytorch(kwargs):
    out = []
    for lib, mod in ((hosila, optim), (torch, torch.optim)):
        params = make_params(lib)
        opt = mod.LBFGS(params, **kwargs)
        losses = train(lib, opt, params, 4)
        st = opt.state[params[0]]
        out.append((values(params), losses, st["func_evals"], st["n_iter"]))
    assert_same(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6)
    assert out[0][2:] == out[1][2:]  # same number of evaluations and iterations
    assert out[0][1][-1] < out[0][1][0]


def test_lbfgs_minimises_a_quadratic():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((6, 6))
    A = a @ a.T + np.eye(6)
    b = rng.standard_normal(6)
    x = hosila.tensor(np.zeros(6), requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=50)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (hosila.tensor(A) @ x)) - (hosila.tensor(b) * x).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x.data, np.linalg.solve(A, b), atol=1e-5)


def test_lbfgs_stops_at_once_at_an_optimum():
    x = hosila.tensor(np.zeros(3), requires_grad=True)
    opt = optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert len(calls) == 1 and not x.data.any()


def test_lbfgs_errors():
    p = make_params(hosila)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": p[:2]}, {"params": p[2:]}])
    opt = optim.LBFGS(p)
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [hosila.tensor([1.0], requires_grad=True)]})
    with pytest.raises(ValueError, match="closure"):
        opt.step()
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS(p, line_search_fn="armijo")
    with pytest.raises(ValueError, match="history_size"):
        optim.LBFGS(p, history_size=0)
    with pytest.raises(ValueError, match="learning rate"):
        optim.LBFGS(p, lr=-1)


# ---- state_dict round trip --------------------------------------------------------------------

ROUND_TRIP = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adam", dict(lr=0.02, amsgrad=True, betas=(0.8, 0.95))),
    ("AdamW", dict(lr=0.02, weight_decay=0.1)),
    ("LBFGS", dict(line_search_fn="strong_wolfe", history_size=5, max_iter=3)),
    ("LBFGS", dict(max_iter=3)),
]


@pytest.mark.parametrize(("name", "kwargs"), ROUND_TRIP, ids=[n for n, _ in ROUND_TRIP])
@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "file"])
def test_state_dict_round_trip_continues_identically(name, kwargs, through_file, tmp_path):
    steps = 3 if name == "LBFGS" else 10
    groups = name != "LBFGS"

    def spec(p):
        return [{"params": p[:2]}, {"params": p[2:], "lr": 0.01}] if groups else p

    # uninterrupted
    p_ref = make_params(hosila)
    ref = getattr(optim, name)(spec(p_ref), **kwargs)
    train(hosila, ref, p_ref, 2 * steps)

    # interrupted: save weights + optimizer, rebuild both, load, continue
    p1 = make_params(hosila)
    opt1 = getattr(optim, name)(spec(p1), **kwargs)
    train(hosila, opt1, p1, steps)
    sd = opt1.state_dict()
    weights = values(p1)
    train(hosila, opt1, p1, 1)  # keep going: a state dict is a snapshot, not a view
    if through_file:
        hosila.save({"weights": weights, "optimizer": sd}, tmp_path / "ckpt.safetensors")
        ckpt = hosila.load(tmp_path / "ckpt.safetensors")
        weights, sd = ckpt["weights"], ckpt["optimizer"]
    p2 = make_params(hosila, init=weights)
    opt2 = getattr(optim, name)(spec(p2), **kwargs)
    opt2.load_state_dict(sd)
    train(hosila, opt2, p2, steps)
    for a, b in zip(values(p2), values(p_ref), strict=True):
        np.testing.assert_array_equal(a, b)
    assert opt2.param_groups[-1]["lr"] == (0.01 if groups else kwargs.get("lr", 1))


def test_state_dict_layout_matches_pytorch():
    hp, tp = make_params(hosila), make_params(torch)
    ho = optim.Adam([{"params": hp[:2]}, {"params": hp[2:], "lr": 0.1}], lr=0.01)
    to = torch.optim.Adam([{"params": tp[:2]}, {"params": tp[2:], "lr": 0.1}], lr=0.01)
    train(hosila, ho, hp, 3)
    train(torch, to, tp, 3)
    hs, ts = ho.state_dict(), to.state_dict()
    assert sorted(hs["state"]) == sorted(ts["state"]) == [0, 1, 2, 3]
    assert [g["params"] for g in hs["param_groups"]] == [g["params"] for g in ts["param_groups"]]
    for i in range(4):
        assert set(hs["state"][i]) == set(ts["state"][i])
        assert hs["state"][i]["step"] == int(ts["state"][i]["step"])
        np.testing.assert_allclose(hs["state"][i]["exp_avg"], ts["state"][i]["exp_avg"].numpy())
    for hg, tg in zip(hs["param_groups"], ts["param_groups"], strict=True):
        for k, v in hg.items():
            assert tg[k] == v, k


def test_load_state_dict_accepts_string_keys_tensors_and_casts_dtype():
    p64 = make_params(hosila)
    opt = optim.Adam(p64, lr=0.02)
    train(hosila, opt, p64, 3)
    sd = opt.state_dict()
    sd["state"] = {
        str(k): {n: hosila.tensor(v) if isinstance(v, np.ndarray) else v for n, v in s.items()}
        for k, s in sd["state"].items()
    }
    sd["param_groups"][0]["betas"] = list(sd["param_groups"][0]["betas"])
    p32 = make_params(hosila, np.float32)
    opt32 = optim.Adam(p32, lr=0.02)
    opt32.load_state_dict(sd)
    st = opt32.state[p32[0]]
    assert st["exp_avg"].dtype == np.float32 and st["step"] == 3
    assert opt32.param_groups[0]["betas"] == (0.9, 0.999)
    train(hosila, opt32, p32, 1)


def test_load_state_dict_errors():
    p = make_params(hosila)
    opt = optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": p[:2]}, {"params": p[2:]}], lr=0.1).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="has 4 parameters, the optimizer's has 3"):
        optim.SGD(p[:3], lr=0.1).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


# ---- argument errors ---------------------------------------------------------------------------

ERRORS = [
    ("SGD", dict(lr=-0.1), "learning rate.*lr|lr.*learning rate"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "momentum"),
    ("SGD", dict(lr=0.1, weight_decay=-1e-3), "weight_decay"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov.*momentum"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening"),
    ("Adagrad", dict(lr=-1.0), "learning rate"),
    ("Adagrad", dict(lr_decay=-1.0), "lr_decay"),
    ("Adagrad", dict(weight_decay=-1.0), "weight_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    ("Adagrad", dict(eps=-1.0), "epsilon.*eps"),
    ("RMSprop", dict(lr=-1.0), "learning rate"),
    ("RMSprop", dict(eps=-1.0), "eps"),
    ("RMSprop", dict(momentum=-1.0), "momentum"),
    ("RMSprop", dict(weight_decay=-1.0), "weight_decay"),
    ("RMSprop", dict(alpha=-1.0), "alpha"),
    ("Adam", dict(lr=-1.0), "learning rate"),
    ("Adam", dict(eps=-1.0), "eps"),
    ("Adam", dict(betas=(1.0, 0.999)), "beta parameter at index 0"),
    ("Adam", dict(betas=(0.9, -0.1)), "beta parameter at index 1"),
    ("Adam", dict(betas=(0.9,)), "betas"),
    ("Adam", dict(weight_decay=-1.0), "weight_decay"),
    ("AdamW", dict(betas=(0.9, 1.5)), "beta parameter at index 1"),
    ("AdamW", dict(weight_decay=-0.1), "weight_decay"),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "match"), ERRORS, ids=[f"{e[0]}-{e[1]}" for e in ERRORS]
)
def test_bad_arguments_raise_value_error(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)(make_params(hosila), **kwargs)
    if kwargs.get("betas") != (0.9,):  # (PyTorch raises IndexError for a 1-tuple)
        with pytest.raises(ValueError):  # PyTorch rejects the same arguments
            getattr(torch.optim, name)(make_params(torch), **kwargs)


def test_bad_group_option_raises_value_error():
    p = make_params(hosila)
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([{"params": p[:2]}, {"params": p[2:], "lr": -1.0}], lr=0.1)
    opt = optim.Adam(p[:2])
    with pytest.raises(ValueError, match="beta parameter at index 0"):
        opt.add_param_group({"params": p[2:], "betas": (2.0, 0.9)})


def test_bad_params_raise():
    p = make_params(hosila)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p[0], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="params\\[1\\] is a ndarray"):
        optim.SGD([p[0], np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p[0] * 2], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        optim.SGD({p[0], p[1]}, lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": p[:2]}, {"params": p[1:]}], lr=0.1)
    with pytest.raises(TypeError, match="lr must be a number"):
        optim.SGD(p, lr="fast")
    with pytest.raises(TypeError, match="floating-point"):
        optim.SGD([hosila.tensor([1, 2])], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate"):
        optim.SGD([p[0], p[0]], lr=0.1)


def test_repr_lists_the_groups():
    text = repr(optim.SGD(make_params(hosila), lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "lr: 0.1" in text and "momentum: 0.9" in text


def test_a_custom_optimizer_gets_groups_state_and_state_dicts():
    """The subclassing recipe of docs/optim.md."""

    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=1e-3, momentum=0.0):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        def step(self, closure=None):
            loss = self._evaluate(closure)
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    buf = self.state[p].setdefault("momentum_buffer", np.zeros_like(p.data))
                    buf *= group["momentum"]
                    buf += p.grad
                    p.data -= group["lr"] * np.sign(buf)
            return loss

    p = make_params(hosila)
    opt = SignSGD([{"params": p[:2]}, {"params": p[2:], "lr": 0.001}], lr=0.01, momentum=0.5)
    losses = train(hosila, opt, p, 10)
    assert losses[-1] < losses[0]
    sd = opt.state_dict()
    assert sd["param_groups"][1] == {"lr": 0.001, "momentum": 0.5, "params": [2, 3]}
    assert set(sd["state"]) == {0, 1, 2, 3}
