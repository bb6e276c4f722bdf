"""hosila.optim.lr_scheduler against torch.optim.lr_scheduler: the same lr (and momentum) at
every step, and the same weights after training with the schedule."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import hosila
from hosila import optim
from hosila.optim import lr_scheduler as hsched
from tests.test_optim import INIT, loss_fn, make_params, values

torch.set_num_threads(1)
tsched = torch.optim.lr_scheduler


def _groups(params):
    return [{"params": params[:2]}, {"params": params[2:], "lr": 0.05}]


def _momentum(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def run(name, kwargs, opt_name="SGD", opt_kwargs=None, steps=20, metrics=None):
    """Train with the scheduler in both libraries; return per-step (lrs, momenta) and weights."""
    opt_kwargs = dict(lr=0.1, momentum=0.9) if opt_kwargs is None else opt_kwargs
    results = []
    for lib, omod, smod in ((hosila, optim, hsched), (torch, torch.optim, tsched)):
        params = make_params(lib)
        opt = getattr(omod, opt_name)(_groups(params), **opt_kwargs)
        sched = name(smod, opt) if callable(name) else getattr(smod, name)(opt, **kwargs)
        trace = [(list(sched.get_last_lr()), _momentum(opt))]
        for i in range(steps):
            opt.zero_grad()
            loss_fn(lib, params).backward()
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[i])
            trace.append(
                ([float(g["lr"]) for g in opt.param_groups], _momentum(opt), sched.get_last_lr())
            )
        results.append((trace, values(params), sched))
    return results


def assert_traces_equal(h, t):
    assert len(h) == len(t)
    for step, (a, b) in enumerate(zip(h, t, strict=True)):
        np.testing.assert_allclose(a[0], b[0], rtol=1e-9, atol=1e-15, err_msg=f"lr, step {step}")
        if a[1][0] is not None or b[1][0] is not None:
            np.testing.assert_allclose(a[1], b[1], rtol=1e-9, err_msg=f"momentum, step {step}")
        if len(a) > 2:
            np.testing.assert_allclose(a[2], b[2], rtol=1e-9, err_msg=f"last_lr, step {step}")


CASES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("StepLR", dict(step_size=1)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("MultiStepLR", dict(milestones=[15, 4])),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7)),  # 20 steps pass T_max twice: the cosine rises again
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.01)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=8)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=20)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=21)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], epochs=3, steps_per_epoch=7, anneal_strategy="linear")),
    (
        "OneCycleLR",
        dict(max_lr=0.3, total_steps=20, three_phase=True, pct_start=0.25, div_factor=10.0),
    ),
    (
        "OneCycleLR",
        dict(max_lr=0.3, total_steps=25, final_div_factor=100.0, base_momentum=[0.8, 0.7]),
    ),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=21, cycle_momentum=False)),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_schedule_matches_pytorch(name, kwargs):
    (ht, hw, _), (tt, tw, _) = run(name, kwargs)
    assert_traces_equal(ht, tt)
    for a, b in zip(hw, tw, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    # the schedule did change the lr (the comparison is not vacuous)
    assert len({round(x[0][0], 12) for x in ht}) > 2


def _warmup(e):
    return min(1.0, (e + 1) / 4)


MORE = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, _warmup),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [_warmup, lambda e: 0.9**e]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95 if e % 2 else 0.8),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=6),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=15, power=2.0),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=4),
    "CosineAnnealingWarmRestarts-mult": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001
    ),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.1, total_iters=4), m.CosineAnnealingLR(o, T_max=10)],
        milestones=[4],
    ),
    "SequentialLR-3": lambda m, o: m.SequentialLR(
        o,
        [
            m.ConstantLR(o, factor=0.5, total_iters=3),
            m.ExponentialLR(o, gamma=0.8),
            m.StepLR(o, step_size=2, gamma=0.5),
        ],
        milestones=[5, 11],
    ),
}


@pytest.mark.parametrize("key", list(MORE))
def test_more_schedules_match_pytorch(key):
    (ht, hw, _), (tt, tw, _) = run(MORE[key], None)
    assert_traces_equal(ht, tt)
    for a, b in zip(hw, tw, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert len({round(x[0][0], 12) for x in ht}) > 1  # the lr changed


def test_warm_restarts_fractional_epochs_match_pytorch():
    lrs = []
    for omod, smod, lib in ((optim, hsched, hosila), (torch.optim, tsched, torch)):
        opt = omod.SGD(make_params(lib), lr=0.1)
        sched = smod.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01)
        out = []
        for epoch in (0.5, 1.25, 4.25, 10.0, 2.0, 20.7, 3):
            opt.step()
            sched.step(epoch)
            out.append((sched.get_last_lr()[0], sched.T_cur, sched.T_i, sched.last_epoch))
        lrs.append(out)
    np.testing.assert_allclose(np.array(lrs[0]), np.array(lrs[1]), rtol=1e-9)


def test_lambda_lr_state_dict_keeps_callable_objects_state():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, e):
            return min(1.0, (e + 1) / self.n)

    opt = optim.SGD(make_params(hosila), lr=1.0)
    sched = hsched.LambdaLR(opt, [Warmup(3)])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"n": 3}]
    other = hsched.LambdaLR(optim.SGD(make_params(hosila), lr=1.0), [Warmup(10)])
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].n == 3
    assert hsched.LambdaLR(opt, _warmup).state_dict()["lr_lambdas"] == [None]


def test_sequential_lr_round_trip_and_errors(tmp_path):
    def build():
        opt = optim.SGD(make_params(hosila), lr=1.0)
        return opt, MORE["SequentialLR-3"](hsched, opt)

    opt, ref = build()
    ref_lrs = []
    for _ in range(15):
        opt.step()
        ref.step()
        ref_lrs.append(ref.get_last_lr()[0])
    opt, s1 = build()
    lrs = []
    for _ in range(7):
        opt.step()
        s1.step()
        lrs.append(s1.get_last_lr()[0])
    hosila.save({"o": opt.state_dict(), "s": s1.state_dict()}, tmp_path / "c.st")
    ck = hosila.load(tmp_path / "c.st")
    opt2, s2 = build()
    opt2.load_state_dict(ck["o"])
    s2.load_state_dict(ck["s"])
    for _ in range(8):
        opt2.step()
        s2.step()
        lrs.append(s2.get_last_lr()[0])
    assert lrs == ref_lrs

    opt = optim.SGD(make_params(hosila), lr=1.0)
    a, b = hsched.ExponentialLR(opt, 0.9), hsched.StepLR(opt, 2)
    with pytest.raises(ValueError, match="milestone"):
        hsched.SequentialLR(opt, [a, b], milestones=[2, 4])
    other = optim.SGD(make_params(hosila), lr=1.0)
    with pytest.raises(ValueError, match="different optimizer"):
        hsched.SequentialLR(other, [a, b], milestones=[2])
    with pytest.raises(ValueError, match="T_0"):
        hsched.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="T_mult"):
        hsched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="factor"):
        hsched.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="lr_lambdas"):
        hsched.LambdaLR(opt, [_warmup, _warmup])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(max_lr=0.01, total_steps=21),
        dict(max_lr=0.02, total_steps=21, three_phase=True, anneal_strategy="linear"),
    ],
)
def test_one_cycle_cycles_adam_beta1(kwargs):
    (ht, hw, _), (tt, tw, _) = run("OneCycleLR", kwargs, opt_name="Adam", opt_kwargs=dict())
    assert_traces_equal(ht, tt)
    for a, b in zip(hw, tw, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert 0.85 <= min(x[1][0] for x in ht) < 0.86  # beta1 went down towards base_momentum


def test_one_cycle_values():
    """Hand-checked ends: starts at max_lr/div_factor, peaks at max_lr, ends at the minimum."""
    p = make_params(hosila)
    opt = optim.SGD(p, lr=0.1, momentum=0.9)
    sched = hsched.OneCycleLR(opt, max_lr=1.0, total_steps=12, pct_start=0.5)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(11):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs[0] == pytest.approx(1.0 / 25)
    assert max(lrs) == pytest.approx(1.0) and int(np.argmax(lrs)) == 5  # end of phase 1
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    sched.step()  # step 12 = total_steps is still allowed (as in PyTorch)
    with pytest.raises(ValueError, match="Tried to step 13 times"):
        sched.step()


PLATEAU_METRICS = [
    1.0, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8,
    0.79999, 0.7, 0.7, 0.71, 0.72, 0.6, 0.6, 0.6, 0.6, 0.6,
    0.6, 0.6, 0.6, 0.6, 0.6,
]  # fmt: skip

PLATEAU_CASES = [
    dict(patience=2),
    dict(patience=1, factor=0.5, cooldown=2),
    dict(patience=0, factor=0.5, threshold=0.05, threshold_mode="abs"),
    dict(patience=1, factor=0.3, min_lr=[0.01, 0.004]),
    dict(patience=1, factor=0.1, min_lr=0.0099999999),  # changes below eps are skipped
    dict(mode="max", patience=1, factor=0.5),
    dict(mode="max", patience=2, threshold=0.01, threshold_mode="abs", cooldown=1),
]


@pytest.mark.parametrize("kwargs", PLATEAU_CASES, ids=[str(k) for k in PLATEAU_CASES])
def test_reduce_on_plateau_matches_pytorch(kwargs):
    metrics = PLATEAU_METRICS if kwargs.get("mode") != "max" else [-m for m in PLATEAU_METRICS]
    steps = len(metrics)
    (ht, hw, hs), (tt, tw, ts) = run("ReduceLROnPlateau", kwargs, metrics=metrics, steps=steps)
    assert_traces_equal(ht, tt)
    assert hs.num_bad_epochs == ts.num_bad_epochs and hs.best == ts.best
    assert hs.last_epoch == ts.last_epoch == steps
    assert ht[-1][0] != ht[0][0]  # the lr was reduced at least once


def test_reduce_on_plateau_accepts_a_tensor_metric():
    opt = optim.SGD(make_params(hosila), lr=1.0)
    sched = hsched.ReduceLROnPlateau(opt, patience=0)
    sched.step(hosila.tensor(1.0))
    sched.step(hosila.tensor(2.0))
    assert sched.get_last_lr() == [pytest.approx(0.1)]


def test_chained_schedulers_match_pytorch():
    traces = []
    for omod, smod, lib in ((optim, hsched, hosila), (torch.optim, tsched, torch)):
        opt = omod.SGD(make_params(lib), lr=1.0)
        a = smod.ExponentialLR(opt, gamma=0.9)
        b = smod.MultiStepLR(opt, milestones=[3, 6], gamma=0.5)
        c = smod.CosineAnnealingLR(opt, T_max=5)
        trace = []
        for _ in range(12):
            opt.step()
            for s in (a, b, c):
                s.step()
            trace.append(opt.param_groups[0]["lr"])
        traces.append(trace)
    np.testing.assert_allclose(traces[0], traces[1], rtol=1e-9)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("StepLR", dict(step_size=3, gamma=0.5)),
        ("MultiStepLR", dict(milestones=[2, 4, 4])),
        ("ExponentialLR", dict(gamma=0.8)),
        ("CosineAnnealingLR", dict(T_max=6, eta_min=0.001)),
        ("LinearLR", dict(start_factor=0.2, total_iters=4)),
    ],
)
def test_step_with_epoch_uses_the_closed_form(name, kwargs):
    lrs = []
    for omod, smod, lib in ((optim, hsched, hosila), (torch.optim, tsched, torch)):
        opt = omod.SGD(make_params(lib), lr=0.1)
        sched = getattr(smod, name)(opt, **kwargs)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (5, 2, 9, 3):
                sched.step(epoch)
                out.append(sched.get_last_lr()[0])
        lrs.append(out)
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-9)
    opt = optim.SGD(make_params(hosila), lr=0.1)
    with pytest.warns(UserWarning, match="deprecated"):
        getattr(hsched, name)(opt, **kwargs).step(3)


def test_resume_with_last_epoch_matches_pytorch():
    lrs = []
    for omod, smod, lib in ((optim, hsched, hosila), (torch.optim, tsched, torch)):
        opt = omod.SGD(make_params(lib), lr=0.1)
        opt.param_groups[0]["initial_lr"] = 0.2
        sched = smod.CosineAnnealingLR(opt, T_max=10, last_epoch=4)
        out = [sched.get_last_lr()[0]]
        for _ in range(4):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr()[0])
        lrs.append(out)
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-9)
    with pytest.raises(KeyError, match="initial_lr"):
        hsched.StepLR(optim.SGD(make_params(hosila), lr=0.1), step_size=2, last_epoch=3)


# ---- state_dict round trip ----------------------------------------------------------------

ROUND_TRIP = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 8, 8, 12], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=6, eta_min=0.001)),
    ("LinearLR", dict(start_factor=0.25, total_iters=10)),
    ("OneCycleLR", dict(max_lr=0.4, total_steps=20, three_phase=True)),
    ("ReduceLROnPlateau", dict(patience=1, cooldown=1, factor=0.5)),
]


def _drive(opt, sched, params, start, stop):
    out = []
    for i in range(start, stop):
        opt.zero_grad()
        loss_fn(hosila, params).backward()
        opt.step()
        if isinstance(sched, hsched.ReduceLROnPlateau):
            sched.step(PLATEAU_METRICS[i])
        else:
            sched.step()
        out.append(sched.get_last_lr())
    return out


@pytest.mark.parametrize(("name", "kwargs"), ROUND_TRIP, ids=[n for n, _ in ROUND_TRIP])
def test_state_dict_round_trip_through_a_checkpoint(name, kwargs, tmp_path):
    def build(init=INIT):
        params = make_params(hosila, init=init)
        opt = optim.SGD(_groups(params), lr=0.1, momentum=0.9)
        return params, opt, getattr(hsched, name)(opt, **kwargs)

    p_ref, o_ref, s_ref = build()
    ref = _drive(o_ref, s_ref, p_ref, 0, 16)

    p1, o1, s1 = build()
    first = _drive(o1, s1, p1, 0, 7)
    ckpt = {"weights": values(p1), "optimizer": o1.state_dict(), "scheduler": s1.state_dict()}
    hosila.save(ckpt, tmp_path / "ckpt.safetensors")
    ckpt = hosila.load(tmp_path / "ckpt.safetensors")
    p2, o2, s2 = build(init=ckpt["weights"])
    o2.load_state_dict(ckpt["optimizer"])
    s2.load_state_dict(ckpt["scheduler"])
    assert s2.last_epoch == s1.last_epoch and s2.get_last_lr() == s1.get_last_lr()
    rest = _drive(o2, s2, p2, 7, 16)
    assert first + rest == ref
    for a, b in zip(values(p2), values(p_ref), strict=True):
        np.testing.assert_array_equal(a, b)


def test_state_dict_excludes_the_optimizer_and_is_a_snapshot():
    opt = optim.SGD(make_params(hosila), lr=0.1)
    sched = hsched.MultiStepLR(opt, milestones=[1, 2])
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 0 and sd["milestones"] == {1: 1, 2: 1}
    sched.step()
    assert sd["last_epoch"] == 0 and sd["_last_lr"] == [0.1]


# ---- errors ---------------------------------------------------------------------------------

ERRORS = [
    ("StepLR", dict(step_size=0), ValueError, "step_size"),
    ("StepLR", dict(step_size=2.5), TypeError, "step_size"),
    ("MultiStepLR", dict(milestones=[1, "x"]), TypeError, "milestones"),
    ("ExponentialLR", dict(gamma="0.9"), TypeError, "gamma"),
    ("CosineAnnealingLR", dict(T_max=0), ValueError, "T_max"),
    ("LinearLR", dict(start_factor=0.0), ValueError, "start_factor"),
    ("LinearLR", dict(start_factor=1.5), ValueError, "start_factor"),
    ("LinearLR", dict(end_factor=-0.1), ValueError, "end_factor"),
    ("LinearLR", dict(total_iters=0), ValueError, "total_iters"),
    ("OneCycleLR", dict(max_lr=0.1), ValueError, "total_steps OR"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=0), ValueError, "total_steps"),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=-1), ValueError, "steps_per_epoch"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=9, pct_start=1.5), ValueError, "pct_start"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=9, anneal_strategy="exp"), ValueError, "anneal"),
    ("OneCycleLR", dict(max_lr=[0.1, 0.2, 0.3], total_steps=9), ValueError, "max_lr"),
    ("ReduceLROnPlateau", dict(factor=1.0), ValueError, "factor"),
    ("ReduceLROnPlateau", dict(mode="avg"), ValueError, "mode"),
    ("ReduceLROnPlateau", dict(threshold_mode="pct"), ValueError, "threshold_mode"),
    ("ReduceLROnPlateau", dict(min_lr=[0.1]), ValueError, "min_lr"),
    ("ReduceLROnPlateau", dict(patience=-1), ValueError, "patience"),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "exc", "match"), ERRORS, ids=[f"{e[0]}-{e[1]}" for e in ERRORS]
)
def test_bad_arguments(name, kwargs, exc, match):
    opt = optim.SGD(_groups(make_params(hosila)), lr=0.1, momentum=0.9)
    with pytest.raises(exc, match=match):
        getattr(hsched, name)(opt, **kwargs)


def test_one_cycle_needs_momentum_to_cycle():
    opt = optim.Adagrad(make_params(hosila))
    with pytest.raises(ValueError, match="momentum or beta1"):
        hsched.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    hsched.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="Optimizer"):
        hsched.StepLR(torch.optim.SGD(make_params(torch), lr=0.1), step_size=1)
    with pytest.raises(TypeError, match="Optimizer"):
        hsched.ReduceLROnPlateau("sgd")


def test_reduce_on_plateau_rejects_a_non_number():
    sched = hsched.ReduceLROnPlateau(optim.SGD(make_params(hosila), lr=0.1))
    with pytest.raises(TypeError, match="metrics"):
        sched.step("low")
    assert math.isinf(sched.best)
