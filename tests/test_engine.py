"""hosila.Value: every op's value and gradient against PyTorch (float64) and against
numerical_derivative; the lecture's neuron; random expression trees; deep chains; reused
nodes; accumulation; bad input."""

from __future__ import annotations

import doctest
import math
import operator

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import hosila
from hosila import Value, numerical_derivative
from hosila.engine import zero_grad

# (name, function of the inputs, input values). The same function runs on hosila Values and
# on torch float64 tensors: both support the operators and .exp/.log/.tanh/.sigmoid/.relu.
UNARY = [
    ("neg", lambda a: -a, [0.7]),
    ("pos", lambda a: +a * 1.0, [0.7]),
    ("exp", lambda a: a.exp(), [0.3]),
    ("exp_neg", lambda a: a.exp(), [-2.1]),
    ("log", lambda a: a.log(), [1.7]),
    ("log_small", lambda a: a.log(), [0.05]),
    ("tanh", lambda a: a.tanh(), [0.4]),
    ("tanh_neg", lambda a: a.tanh(), [-1.3]),
    ("sigmoid", lambda a: a.sigmoid(), [0.8]),
    ("sigmoid_neg", lambda a: a.sigmoid(), [-3.0]),
    ("relu_pos", lambda a: a.relu(), [1.5]),
    ("relu_neg", lambda a: a.relu(), [-1.5]),
    ("add_const", lambda a: a + 2.5, [0.3]),
    ("radd_const", lambda a: 2.5 + a, [0.3]),
    ("add_int", lambda a: a + 2, [0.3]),
    ("sub_const", lambda a: a - 2.5, [0.3]),
    ("rsub_const", lambda a: 2.5 - a, [0.3]),
    ("mul_const", lambda a: a * -1.5, [0.3]),
    ("rmul_const", lambda a: -1.5 * a, [0.3]),
    ("div_const", lambda a: a / 4.0, [0.3]),
    ("rdiv_const", lambda a: 4.0 / a, [0.3]),
    ("pow_2", lambda a: a**2, [-1.3]),
    ("pow_3", lambda a: a**3, [-1.3]),
    ("pow_half", lambda a: a**0.5, [1.3]),
    ("pow_minus1", lambda a: a**-1, [1.3]),
    ("pow_minus2_5", lambda a: a**-2.5, [1.3]),
    ("pow_0", lambda a: a**0, [1.3]),
    ("rpow_const", lambda a: 2.0**a, [0.7]),
]
BINARY = [
    ("add", lambda a, b: a + b, [0.3, -1.2]),
    ("sub", lambda a, b: a - b, [0.3, -1.2]),
    ("mul", lambda a, b: a * b, [0.3, -1.2]),
    ("div", lambda a, b: a / b, [0.3, -1.2]),
    ("pow_value", lambda a, b: a**b, [1.7, -0.6]),
    ("pow_value_lt1", lambda a, b: a**b, [0.4, 2.5]),
    ("mixed", lambda a, b: (a * b + b.exp()).tanh() / (1.0 + a**2), [0.5, -0.4]),
]
OPS = UNARY + BINARY


def _hosila_grads(fn, xs):
    vs = [Value(x) for x in xs]
    out = fn(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def _torch_grads(fn, xs):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = fn(*ts)
    out.backward()
    return out.item(), [t.grad.item() for t in ts]


@pytest.mark.parametrize("name,fn,xs", OPS, ids=[o[0] for o in OPS])
def test_op_matches_torch(name, fn, xs):
    value, grads = _hosila_grads(fn, xs)
    t_value, t_grads = _torch_grads(fn, xs)
    assert isinstance(value, float)
    assert value == pytest.approx(t_value, rel=1e-12, abs=1e-12)
    assert grads == pytest.approx(t_grads, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name,fn,xs", OPS, ids=[o[0] for o in OPS])
def test_op_matches_numerical_derivative(name, fn, xs):
    _, grads = _hosila_grads(fn, xs)
    for i in range(len(xs)):

        def f(t, i=i):
            args = list(xs)
            args[i] = t
            return fn(*[Value(a) for a in args]).data

        assert grads[i] == pytest.approx(numerical_derivative(f, xs[i], h=1e-6), abs=1e-6)


def test_lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert x1.grad == pytest.approx(-1.5)
    assert w1.grad == pytest.approx(1.0)
    assert x2.grad == pytest.approx(0.5)
    assert w2.grad == pytest.approx(0.0)
    assert b.grad == pytest.approx(0.5)
    assert o.grad == 1.0


def test_lecture_neuron_built_from_exp():
    # tanh(n) = (e^2n - 1) / (e^2n + 1): the same gradients through exp, /, + and -
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))


def test_micrograd_readme_expression():
    # the expression from micrograd's README, checked against torch
    def expr(a, b):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        return g + 10.0 / f

    value, grads = _hosila_grads(expr, [-4.0, 2.0])
    t_value, t_grads = _torch_grads(expr, [-4.0, 2.0])
    assert value == pytest.approx(t_value, rel=1e-12)
    assert grads == pytest.approx(t_grads, rel=1e-12)
    assert value == pytest.approx(24.7041, abs=1e-4)


def test_relu_gradient_at_zero_is_zero_like_torch():
    a = Value(0.0)
    a.relu().backward()
    assert a.grad == 0.0


@pytest.mark.parametrize(
    "a,b,grads",
    [
        (0.0, 2.0, (0.0, 0.0)),  # d/db at a = 0 is 0 (torch too)
        (0.0, 0.5, (math.inf, 0.0)),  # d/da of sqrt at 0 is inf (torch too)
        (0.0, 1.0, (1.0, 0.0)),
    ],
)
def test_pow_value_exponent_at_zero_base(a, b, grads):
    base, exponent = Value(a), Value(b)
    (base**exponent).backward()
    t_base = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    t_exp = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    (t_base**t_exp).backward()
    assert (base.grad, exponent.grad) == (t_base.grad.item(), t_exp.grad.item()) == grads


def test_pow_zero_exponent_has_zero_base_gradient():
    a = Value(0.0)
    out = a**0
    out.backward()
    assert out.data == 1.0 and a.grad == 0.0


def test_pow_op_names():
    a = Value(2.0)
    assert (a**2).op == "**2"
    assert (a**0.5).op == "**0.5"
    assert (a ** Value(2.0)).op == "**"
    assert (2 ** Value(2.0)).data == 4.0


# ---- n-ary ops --------------------------------------------------------------------------


def test_sum_matches_python_sum_and_torch():
    xs = [0.5, -1.25, 2.0, 3.5]
    vs = [Value(x) for x in xs]
    s = Value.sum([vs[0], 2.0, vs[1], vs[2] * vs[3]], start=vs[3])
    s.backward()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    t = sum([ts[0], 2.0, ts[1], ts[2] * ts[3]], ts[3])
    t.backward()
    assert s.data == pytest.approx(t.item(), rel=1e-12)
    assert [v.grad for v in vs] == pytest.approx([x.grad.item() for x in ts])
    assert s.op == "sum" and len(s._prev) == 4


@pytest.mark.parametrize("kind", ["values", "numbers_in", "numbers_w", "mixed", "bias_number"])
def test_dot_matches_torch(kind):
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=4).tolist(), rng.normal(size=4).tolist()
    wv, xv, bv = [Value(a) for a in w], [Value(a) for a in x], Value(0.3)
    wt = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in w]
    xt = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in x]
    bt = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    if kind == "values":
        args_h, args_t = (wv, xv, bv), (wt, xt, bt)
    elif kind == "numbers_in":
        args_h, args_t = (wv, x, bv), (wt, x, bt)
    elif kind == "numbers_w":
        args_h, args_t = (w, xv, bv), (w, xt, bt)
    elif kind == "mixed":
        args_h = ([wv[0], w[1], wv[2], w[3]], [x[0], xv[1], xv[2], x[3]], bv)
        args_t = ([wt[0], w[1], wt[2], w[3]], [x[0], xt[1], xt[2], x[3]], bt)
    else:
        args_h, args_t = (wv, xv, 0.3), (wt, xt, 0.3)
    out = Value.dot(*args_h)
    out.backward()
    ref = sum((a * b for a, b in zip(args_t[0], args_t[1], strict=True)), args_t[2])
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-12)
    for v, t in zip(wv + xv + [bv], wt + xt + [bt], strict=True):
        assert v.grad == pytest.approx(0.0 if t.grad is None else t.grad.item(), abs=1e-12)


def test_dot_of_a_list_with_itself_doubles_the_gradient():
    ps = [Value(1.5), Value(-2.0)]
    out = Value.dot(ps, ps)
    out.backward()
    assert out.data == pytest.approx(6.25)
    assert [p.grad for p in ps] == pytest.approx([3.0, -4.0])


def test_dot_length_mismatch():
    with pytest.raises(ValueError, match="dot: .*same length.*2 and 3"):
        Value.dot([Value(1.0)] * 2, [1.0, 2.0, 3.0])


# ---- random expression trees ------------------------------------------------------------

N_VARS = 3
_UNARY_TREE = {
    "neg": lambda a: -a,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "exp_tanh": lambda a: a.tanh().exp(),
    "log1p_sq": lambda a: (1.0 + a * a).log(),
    "square_tanh": lambda a: a.tanh() ** 2,  # bounded: no overflow however deep the tree
    "half": lambda a: 0.5 * a,
}
_BINARY_TREE = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div_safe": lambda a, b: a / (1.0 + b * b),
    "pow_safe": lambda a, b: (1.0 + a.tanh() ** 2) ** b.tanh(),
    "rsub_const": lambda a, b: 1.5 - a + b,
}

_CONST_TREE = {  # a number on either side of a Value
    "radd_c": lambda c, a: c + a,
    "sub_c": lambda c, a: a - c,
    "rsub_c": lambda c, a: c - a,
    "rmul_c": lambda c, a: c * a,
    "div_c": lambda c, a: a / (c + 3.0),
    "rdiv_c": lambda c, a: c / (1.0 + a * a),
    "rpow_c": lambda c, a: (c + 3.0) ** a.tanh(),
    "pow_c": lambda c, a: (1.0 + a.tanh() ** 2) ** c,
}

_leaf = st.integers(0, N_VARS - 1).map(lambda i: ("var", i))
_const = st.floats(-2.0, 2.0, allow_nan=False)
_tree = st.recursive(
    _leaf,
    lambda sub: st.one_of(
        st.tuples(st.sampled_from(sorted(_UNARY_TREE)), sub),
        st.tuples(st.sampled_from(sorted(_BINARY_TREE)), sub, sub),
        st.tuples(st.sampled_from(sorted(_CONST_TREE)), _const, sub),
    ),
    max_leaves=12,
)


def _evaluate(tree, variables):
    kind = tree[0]
    if kind == "var":
        return variables[tree[1]]
    if kind in _CONST_TREE:
        return _CONST_TREE[kind](tree[1], _evaluate(tree[2], variables))
    args = [_evaluate(t, variables) for t in tree[1:]]
    return (_UNARY_TREE.get(kind) or _BINARY_TREE[kind])(*args)


@settings(max_examples=80, deadline=None)
@given(tree=_tree, xs=st.lists(st.floats(-2.0, 2.0), min_size=N_VARS, max_size=N_VARS))
def test_random_expression_trees_match_torch(tree, xs):
    vs = [Value(x) for x in xs]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    # + 0 * each input: every input is in both graphs, so torch gives every input a grad
    out = _evaluate(tree, vs) + 0.0 * vs[0] + 0.0 * vs[1] + 0.0 * vs[2]
    ref = _evaluate(tree, ts) + 0.0 * ts[0] + 0.0 * ts[1] + 0.0 * ts[2]
    out.backward()
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-9, abs=1e-9)
    for v, t in zip(vs, ts, strict=True):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-9, abs=1e-9)


# ---- graph shape: deep chains, reuse, accumulation --------------------------------------


def test_100000_node_chain_backpropagates():
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0  # 200 000 nodes deep
    y.backward()
    assert x.grad == 1.0
    y.zero_grad()
    assert x.grad == 0.0 and y.grad == 0.0


def test_deep_tanh_chain_gradient():
    x = Value(0.1)
    y = x
    for _ in range(100_000):
        y = y.tanh()
    y.backward()
    expected, t = 1.0, 0.1
    for _ in range(100_000):
        t = math.tanh(t)
        expected *= 1.0 - t * t
    assert y.data == pytest.approx(t) and x.grad == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    "fn,expected",
    [
        (lambda b: b + b, 2.0),
        (lambda b: b * b, 6.0),  # d(b²)/db = 2b = 6
        (lambda b: b - b, 0.0),
        (lambda b: b / b, 0.0),
        (lambda b: b**b, 27.0 * (math.log(3.0) + 1.0)),
        (lambda b: Value.sum([b, b, b]), 3.0),
    ],
)
def test_reused_node_accumulates(fn, expected):
    b = Value(3.0)
    fn(b).backward()
    assert b.grad == pytest.approx(expected)


def test_shared_subexpression():
    a, b = Value(2.0), Value(-1.5)
    c = a * b  # used three times
    out = c.tanh() + c * c + c.exp()
    out.backward()
    ta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-1.5, dtype=torch.float64, requires_grad=True)
    tc = ta * tb
    (tc.tanh() + tc * tc + tc.exp()).backward()
    assert (a.grad, b.grad) == pytest.approx((ta.grad.item(), tb.grad.item()), rel=1e-12)


def test_backward_twice_accumulates_like_pytorch():
    x, w = Value(1.5), Value(-0.5)
    h = (x * w).tanh()
    out = h * h + x
    out.backward()
    once = (x.grad, w.grad, h.grad, out.grad)
    out.backward()
    assert (x.grad, w.grad, h.grad, out.grad) == pytest.approx(tuple(2 * g for g in once))
    tx = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)
    th = (tx * tw).tanh()
    tout = th * th + tx
    tout.backward(retain_graph=True)
    tout.backward()
    assert (x.grad, w.grad) == pytest.approx((tx.grad.item(), tw.grad.item()), rel=1e-12)


def test_backward_from_two_outputs_sharing_leaves():
    x = Value(2.0)
    a, b = x * 3.0, x**2
    a.backward()
    b.backward()
    assert x.grad == pytest.approx(3.0 + 4.0)


def test_zero_grad_method_and_function():
    x, w = Value(1.5), Value(-0.5)
    out = (x * w).tanh() + x
    out.backward()
    out.zero_grad()
    assert x.grad == w.grad == out.grad == 0.0
    assert all(v.grad == 0.0 for v in out._prev)
    out.backward()
    first = x.grad
    zero_grad([x, w])
    assert x.grad == w.grad == 0.0
    out.zero_grad()
    out.backward()
    assert x.grad == pytest.approx(first)


def test_backward_of_a_leaf():
    x = Value(4.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


# ---- construction, conversion, repr -----------------------------------------------------


def test_value_holds_floats():
    assert Value(3).data == 3.0 and type(Value(3).data) is float
    assert type(Value(np.float32(1.5)).data) is float
    assert Value(True).data == 1.0
    v = Value(2.0, label="x")
    assert v.grad == 0.0 and v.label == "x" and v.op == "" and v._prev == ()
    assert repr(v) == "Value(data=2.0, grad=0.0, label='x')"
    assert repr(Value(1.0)) == "Value(data=1.0, grad=0.0)"


def test_numpy_scalars_on_the_left_give_values():
    out = np.float64(2.0) * Value(3.0)
    assert isinstance(out, Value) and out.data == 6.0
    out = np.float32(1.0) + Value(3.0)
    assert isinstance(out, Value) and out.data == 4.0


def test_ops_record_children_and_names():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    assert c._prev == (a, b) and c.op == "*"
    d = a + 1.0
    assert d._prev == (a,) and d.op == "+"  # constants are not nodes
    assert (-a).op == "neg" and a.tanh().op == "tanh"


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad,name", [("a", "str"), (None, "NoneType"), (1 + 2j, "complex")])
def test_value_of_non_number_is_type_error(bad, name):
    with pytest.raises(TypeError, match=f"Value: data must be a real number.*got {name}"):
        Value(bad)


def test_value_of_value_is_type_error():
    with pytest.raises(TypeError, match="got Value"):
        Value(Value(1.0))


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv, pow])
def test_arithmetic_with_non_number_is_type_error(op):
    with pytest.raises(TypeError, match="Value .*a Value or a real number, got str"):
        op(Value(1.0), "x")
    with pytest.raises(TypeError, match="Value .*a Value or a real number, got str"):
        op("x", Value(1.0))


@pytest.mark.parametrize("x", [0.0, -1.0, -1e-300])
def test_log_of_non_positive_is_value_error(x):
    with pytest.raises(ValueError, match=rf"log: .*positive.*{x!r}".replace("-", r"\-")):
        Value(x).log()


@pytest.mark.parametrize(
    "fn",
    [lambda: Value(1.5) / 0, lambda: Value(1.5) / Value(0.0), lambda: 1.5 / Value(0.0)],
)
def test_division_by_zero(fn):
    with pytest.raises(ZeroDivisionError, match=r"div: division by zero \(1\.5 / 0\.0\)"):
        fn()


def test_division_by_a_tiny_number_does_not_underflow():
    a, b = Value(1.0), Value(1e-200)  # b * b underflows to 0.0
    (a / b).backward()
    assert a.grad == pytest.approx(1e200) and b.grad == -math.inf
    c = Value(1e-200)
    (2.0 / c).backward()
    assert c.grad == -math.inf


@pytest.mark.parametrize("a,k", [(1e-100, -3.0), (-1e-100, -3.0), (-1e-76, -4.0)])
def test_pow_slope_beyond_float_range_is_infinite(a, k):
    x = Value(a)
    (x**k).backward()
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    (t**k).backward()
    assert x.grad == t.grad.item() and math.isinf(x.grad)


def test_pow_errors():
    with pytest.raises(ZeroDivisionError, match="pow: 0.0 .*negative power -1"):
        Value(0.0) ** -1
    with pytest.raises(ValueError, match=r"pow: a negative base \(-8.0\).*non-integer.*0.5"):
        Value(-8.0) ** 0.5
    with pytest.raises(ValueError, match=r"pow: the base must be >= 0.*exponent is a Value.*-2.0"):
        Value(-2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="pow: the base must be >= 0"):
        (-2.0) ** Value(2.0)
    with pytest.raises(OverflowError, match="pow"):
        Value(10.0) ** 400.0
    assert (Value(-2.0) ** 3).data == -8.0  # integer powers of negative numbers are fine


def test_exp_overflow_names_the_op():
    with pytest.raises(OverflowError, match="exp"):
        Value(1000.0).exp()
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


# ---- numerical_derivative -----------------------------------------------------------------


def test_numerical_derivative_lecture_example():
    def f(x):
        return 3 * x**2 - 4 * x + 5

    assert numerical_derivative(f, 3.0) == pytest.approx(14.0, abs=1e-6)
    assert numerical_derivative(f, Value(3.0)) == pytest.approx(14.0, abs=1e-6)  # Values too
    assert numerical_derivative(math.sin, 0.0, h=1e-4) == pytest.approx(1.0, abs=1e-8)
    with pytest.raises(ValueError, match="numerical_derivative: h must be > 0"):
        numerical_derivative(f, 3.0, h=0.0)


def test_engine_docstrings_run():
    results = doctest.testmod(hosila.engine)
    assert results.attempted >= 5 and results.failed == 0


def test_exports():
    assert hosila.Value is Value and hosila.numerical_derivative is numerical_derivative
