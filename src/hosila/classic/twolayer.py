"""A two-layer network (affine - ReLU - affine - softmax) on feature vectors, built from
``hosila.nn`` layers and trained by hosila's autograd and optimizers: the step from the linear
classifiers to neural networks (the course trains it on HOG + colour features)."""

from __future__ import annotations

from typing import Any

import numpy as np

import hosila
from hosila import nn
from hosila.nn import functional as F
from hosila.tensor import Tensor


class TwoLayerNet:
    """scores = fc2(relu(fc1(x))), trained on the mean softmax cross-entropy plus
    ``weight_decay`` (Adam's L2 penalty on all parameters).

    Args:
        input_dim: D, hidden_dim: H, num_classes: C.
        std: the standard deviation of the initial weights (biases start at zero); default
            He initialisation, sqrt(2 / D) for the first layer and sqrt(1 / H) for the second.
        seed: seeds the initial weights and the minibatch order.

    ``model`` is ``nn.Sequential(Linear(D, H), ReLU(), Linear(H, C))``, so
    ``model.state_dict()`` loads into the same PyTorch network. Inputs ``X (N, D)``.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int,
        num_classes: int,
        std: float | None = None,
        seed: int = 0,
    ) -> None:
        for name, v in (
            ("input_dim", input_dim),
            ("hidden_dim", hidden_dim),
            ("num_classes", num_classes),
        ):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"TwoLayerNet: {name} must be a positive int, got {v!r}")
        self.model = nn.Sequential(
            nn.Linear(input_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, num_classes)
        )
        rng = np.random.default_rng(seed)
        s1 = std if std is not None else np.sqrt(2.0 / input_dim)  # He initialisation
        s2 = std if std is not None else np.sqrt(1.0 / hidden_dim)
        with hosila.no_grad():
            for layer, s in ((self.model[0], s1), (self.model[2], s2)):
                fan_in, fan_out = layer.in_features, layer.out_features
                # drawn as (in, out), as the course writes W, then stored as Linear's (out, in)
                w = s * rng.standard_normal((fan_in, fan_out))
                layer.weight.data[...] = w.T
                layer.bias.data[...] = 0.0
        self.seed = seed
        self.loss_history: list[float] = []

    def parameters(self) -> list[Tensor]:
        """The weights and biases of both layers."""
        return list(self.model.parameters())

    def forward(self, X: Any) -> Tensor:
        """Class scores (N, C) for X: (N, D)."""
        x = X if isinstance(X, Tensor) else hosila.tensor(np.asarray(X, dtype=np.float32))
        weight = self.model[0].weight
        if x.dtype != weight.dtype:  # Linear does not promote (as PyTorch)
            x = x.to(weight.dtype)
        d = self.model[0].in_features
        if x.ndim != 2 or x.shape[1] != d:
            raise ValueError(f"TwoLayerNet: X must be (N, {d}), got {tuple(x.shape)}")
        return self.model(x)

    @staticmethod
    def loss_fn(scores: Tensor, y: np.ndarray) -> Tensor:
        """Mean softmax cross-entropy of scores (N, C) against labels y (N,)."""
        return F.cross_entropy(scores, hosila.tensor(np.asarray(y, dtype=np.int64)))

    def train(
        self,
        X: Any,
        y: Any,
        X_val: Any = None,
        y_val: Any = None,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        epochs: int = 10,
        batch_size: int = 200,
        lr_decay: float = 0.95,
        verbose: bool = False,
    ) -> list[float]:
        """Train with Adam on shuffled minibatches; the learning rate is multiplied by
        ``lr_decay`` after each epoch. Returns the validation accuracy after each epoch
        (empty without validation data); the loss of each step goes to ``loss_history``."""
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=np.int64)
        if y.shape != (X.shape[0],):
            raise ValueError(f"TwoLayerNet.train: y must be ({X.shape[0]},), got {y.shape}")
        if epochs < 1 or batch_size < 1 or learning_rate <= 0:
            raise ValueError(
                "TwoLayerNet.train: epochs and batch_size must be >= 1 and "
                f"learning_rate > 0, got {epochs}, {batch_size}, {learning_rate}"
            )
        opt = hosila.optim.Adam(self.parameters(), lr=learning_rate, weight_decay=weight_decay)
        rng = np.random.default_rng(self.seed)
        val_acc = []
        for epoch in range(epochs):
            order = rng.permutation(X.shape[0])
            for s in range(0, X.shape[0], batch_size):
                idx = order[s : s + batch_size]
                loss = self.loss_fn(self.forward(X[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                self.loss_history.append(float(loss.item()))
            for g in opt.param_groups:
                g["lr"] *= lr_decay
            if X_val is not None:
                val_acc.append(self.score(X_val, y_val))
                if verbose:
                    print(
                        f"epoch {epoch + 1}/{epochs}: loss {self.loss_history[-1]:.4f} "
                        f"val acc {val_acc[-1]:.4f}"
                    )
        return val_acc

    def predict(self, X: Any, batch_size: int = 5000) -> np.ndarray:
        """Predicted labels (N,) int64."""
        X = np.asarray(X, dtype=np.float32)
        out = []
        with hosila.no_grad():
            for s in range(0, X.shape[0], batch_size):
                out.append(self.forward(X[s : s + batch_size]).numpy().argmax(axis=1))
        return np.concatenate(out).astype(np.int64) if out else np.zeros(0, dtype=np.int64)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == np.asarray(y)))
