"""Linear-classifier losses: naive = vectorised = hosila autograd = numerical gradient;
classifiers learn a separable toy problem; random search."""

from __future__ import annotations

import numpy as np
import pytest

import hosila
from hosila.classic import (
    LinearSVM,
    SoftmaxClassifier,
    append_bias,
    plot_templates,
    random_search,
    regularization,
    softmax_loss_naive,
    softmax_loss_vectorized,
    svm_loss_naive,
    svm_loss_vectorized,
)

REGS = [("l2", 0.5), ("l1", 0.5), ("elastic", 0.3)]


def _problem(seed=0, n=9, d=6, c=4):
    rng = np.random.default_rng(seed)
    X = append_bias(rng.standard_normal((n, d)))
    W = 0.5 * rng.standard_normal((d + 1, c))
    y = rng.integers(0, c, n)
    return W, X, y


def _autograd_loss(kind, W, X, y, reg, reg_type, l1_ratio):
    """The same loss built from hosila Tensor ops; returns (loss, dW) by backward()."""
    w = hosila.tensor(W, requires_grad=True)
    x = hosila.tensor(X)
    n = X.shape[0]
    rows = np.arange(n)
    s = x @ w
    if kind == "svm":
        correct = s[rows, y].unsqueeze(1)
        margins = (s - correct + 1.0).clamp(min=0.0)
        # the j = y_i terms are exactly 1 each: subtract them
        data = (margins.sum() - n) / n
    else:
        data = -s.log_softmax(dim=1)[rows, y].sum() / n
    a, b = {"l2": (0.0, 1.0), "l1": (1.0, 0.0), "elastic": (l1_ratio, 1 - l1_ratio)}[reg_type]
    total = data + reg * (a * w.abs().sum() + b * (w * w).sum())
    total.backward()
    return float(total.item()), w.grad


def _numerical(f, W, h=1e-6):
    g = np.zeros_like(W)
    for idx in np.ndindex(*W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += h
        Wm[idx] -= h
        g[idx] = (f(Wp) - f(Wm)) / (2 * h)
    return g


@pytest.mark.parametrize("kind", ["svm", "softmax"])
@pytest.mark.parametrize("reg_type,l1_ratio", REGS)
@pytest.mark.parametrize("seed", [0, 1])
def test_naive_vectorized_autograd_numerical_agree(kind, reg_type, l1_ratio, seed):
    naive, vec = {
        "svm": (svm_loss_naive, svm_loss_vectorized),
        "softmax": (softmax_loss_naive, softmax_loss_vectorized),
    }[kind]
    W, X, y = _problem(seed)
    reg = 0.1
    l_n, g_n = naive(W, X, y, reg, reg_type, l1_ratio)
    l_v, g_v = vec(W, X, y, reg, reg_type, l1_ratio)
    l_a, g_a = _autograd_loss(kind, W, X, y, reg, reg_type, l1_ratio)
    g_num = _numerical(lambda w: vec(w, X, y, reg, reg_type, l1_ratio)[0], W)
    assert isinstance(l_n, float) and g_n.shape == W.shape
    np.testing.assert_allclose(l_v, l_n, rtol=1e-12)
    np.testing.assert_allclose(l_a, l_n, rtol=1e-12)
    np.testing.assert_allclose(g_v, g_n, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_a, g_n, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_num, g_n, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", ["svm", "softmax"])
def test_float32_vectorized_close_to_float64(kind):
    vec = svm_loss_vectorized if kind == "svm" else softmax_loss_vectorized
    W, X, y = _problem(3, n=50, d=20, c=10)
    l64, g64 = vec(W, X, y, 1e-2)
    l32, g32 = vec(W.astype(np.float32), X.astype(np.float32), y, 1e-2)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(l32, l64, rtol=1e-5)
    np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)


def test_known_values():
    # all-zero weights: SVM loss = C - 1 (every margin is 1), softmax loss = log C
    W = np.zeros((4, 10))
    X = np.ones((3, 4))
    y = np.array([0, 5, 9])
    assert svm_loss_vectorized(W, X, y, 0.0)[0] == pytest.approx(9.0)
    assert softmax_loss_vectorized(W, X, y, 0.0)[0] == pytest.approx(np.log(10))
    # softmax stays finite for huge scores (max subtracted)
    loss, grad = softmax_loss_vectorized(np.full((4, 10), 1e4), X, y, 0.0)
    assert np.isfinite(loss) and np.isfinite(grad).all()
    loss_n, _ = softmax_loss_naive(np.full((4, 10), 1e4), X, y, 0.0)
    assert loss_n == pytest.approx(loss)


def test_regularization_values():
    W = np.array([[1.0, -2.0], [0.0, 3.0]])
    assert regularization(W, 0.5)[0] == pytest.approx(0.5 * 14)
    np.testing.assert_allclose(regularization(W, 0.5)[1], W)
    assert regularization(W, 0.5, "l1")[0] == pytest.approx(3.0)
    np.testing.assert_allclose(regularization(W, 0.5, "l1")[1], 0.5 * np.sign(W))
    assert regularization(W, 1.0, "elastic", 0.25)[0] == pytest.approx(0.25 * 6 + 0.75 * 14)
    with pytest.raises(ValueError, match="reg_type must be one of"):
        regularization(W, 1.0, "l3")
    with pytest.raises(ValueError, match="l1_ratio must be in"):
        regularization(W, 1.0, "elastic", 2.0)


def test_loss_argument_errors():
    W, X, y = _problem()
    with pytest.raises(ValueError, match=r"expected W \(D, C\) and X \(N, D\)"):
        svm_loss_vectorized(W, X[:, :-1], y, 0.1)
    with pytest.raises(ValueError, match="labels must be in"):
        softmax_loss_vectorized(W, X, y + 10, 0.1)
    with pytest.raises(ValueError, match="y must be"):
        svm_loss_naive(W, X, y.astype(float), 0.1)
    with pytest.raises(ValueError, match="append_bias: X must be"):
        append_bias(np.zeros(3))


def _blobs(seed=0, n_per=40, c=3, d=5):
    rng = np.random.default_rng(seed)
    centres = 6 * rng.standard_normal((c, d))
    X = np.vstack([centres[i] + rng.standard_normal((n_per, d)) for i in range(c)])
    y = np.repeat(np.arange(c), n_per)
    return X.astype(np.float32), y


@pytest.mark.parametrize("cls", [LinearSVM, SoftmaxClassifier])
@pytest.mark.parametrize("reg_type", ["l2", "l1", "elastic"])
def test_classifiers_learn_separable_blobs(cls, reg_type):
    X, y = _blobs()
    model = cls(reg_type=reg_type, seed=0)
    hist = model.train(X, y, learning_rate=1e-2, reg=1e-4, num_iters=300, batch_size=32)
    assert len(hist) == 300 and len(model.loss_history) == 300
    assert np.mean(hist[-20:]) < hist[0]
    assert model.score(X, y) == 1.0
    assert model.W.shape == (6, 3) and model.W.dtype == np.float32
    assert model.predict(X).dtype == np.int64
    assert model.templates().shape == (5, 3)


def test_training_is_seeded_and_errors():
    X, y = _blobs()
    a, b = LinearSVM(seed=3), LinearSVM(seed=3)
    a.train(X, y, 1e-2, 1e-4, 20, 16)
    b.train(X, y, 1e-2, 1e-4, 20, 16)
    np.testing.assert_array_equal(a.W, b.W)
    with pytest.raises(RuntimeError, match="call train"):
        LinearSVM().predict(X)
    with pytest.raises(ValueError, match="num_iters must be a positive int"):
        LinearSVM().train(X, y, num_iters=0)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        LinearSVM().train(X, y, learning_rate=0)
    with pytest.raises(ValueError, match="y must be"):
        LinearSVM().train(X, y[:-1])
    with pytest.raises(ValueError, match="reg_type must be one of"):
        SoftmaxClassifier(reg_type="l0")
    with pytest.raises(ValueError, match="X has 4 features, the model 5"):
        a.predict(X[:, :4])


def test_random_search_picks_the_best_validation_trial():
    X, y = _blobs(1, n_per=30)
    res = random_search(
        lambda: SoftmaxClassifier(seed=0),
        X[::2],
        y[::2],
        X[1::2],
        y[1::2],
        learning_rates=(1e-4, 1e-1),
        regs=(1e-5, 1e-1),
        n_iter=4,
        num_iters=50,
        batch_size=16,
        seed=0,
    )
    assert len(res.trials) == 4
    vals = [t[3] for t in res.trials]
    assert res.best_val == max(vals)
    i = vals.index(max(vals))
    assert res.best_params == {"learning_rate": res.trials[i][0], "reg": res.trials[i][1]}
    assert res.best_model.score(X[1::2], y[1::2]) == res.best_val
    for lr, reg, _, _ in res.trials:
        assert 1e-4 <= lr <= 1e-1 and 1e-5 <= reg <= 1e-1
    with pytest.raises(ValueError, match="learning_rates must be"):
        random_search(LinearSVM, X, y, X, y, learning_rates=(0, 1))


def test_plot_templates_writes_png(tmp_path):
    W = np.random.default_rng(0).standard_normal((4 * 4 * 3, 3))
    path = tmp_path / "t.png"
    plot_templates(W, str(path), (4, 4, 3), ["a", "b", "c"])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="plot_templates: W must be"):
        plot_templates(W, str(path), (5, 4, 3))


def test_two_layer_net_learns_xor_like_blobs():
    from hosila.classic import TwoLayerNet

    rng = np.random.default_rng(0)
    # XOR: not linearly separable, a hidden layer is needed
    centres = np.array([[0, 0], [4, 4], [0, 4], [4, 0]], dtype=float)
    X = np.vstack([c + 0.5 * rng.standard_normal((25, 2)) for c in centres]).astype(np.float32)
    y = np.repeat([0, 0, 1, 1], 25)
    net = TwoLayerNet(2, 16, 2, seed=0)
    acc = net.train(X, y, X, y, learning_rate=0.05, epochs=40, batch_size=20, lr_decay=1.0)
    assert len(acc) == 40 and acc[-1] == 1.0
    assert net.loss_history[-1] < net.loss_history[0]
    assert net.predict(X).dtype == np.int64
    assert net.forward(X).shape == (100, 2)
    # the linear softmax classifier cannot separate XOR
    lin = SoftmaxClassifier(seed=0)
    lin.train(X, y, 0.05, 1e-4, 300, 20)
    assert lin.score(X, y) < 0.9


def test_two_layer_net_errors():
    from hosila.classic import TwoLayerNet

    with pytest.raises(ValueError, match="hidden_dim must be a positive int"):
        TwoLayerNet(4, 0, 3)
    net = TwoLayerNet(4, 5, 3)
    with pytest.raises(ValueError, match=r"X must be \(N, 4\)"):
        net.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"y must be \(2,\)"):
        net.train(np.zeros((2, 4)), np.zeros(3, dtype=int))
