"""Batch norm, dropout and an L2 penalty on the 8×8 digits, side by side.

Four small CNNs with the same architecture and the same initial weights (hosila.manual_seed)
are trained with SGD + momentum on the 1 438 training digits shipped with hosila:

* ``plain``     Conv-ReLU-Pool-Linear;
* ``l2``        the same, loss + lam · Σw² over the weights (hosila.nn.regularization.l2);
* ``dropout``   Dropout(0.3) before the classifier (inverted: identity in eval mode);
* ``batchnorm`` BatchNorm2d after the convolution (running statistics used in eval mode).

The table gives the final training loss and the train/test accuracy in eval mode. The last
part saves the batch-norm model's state_dict (weights and running statistics) with
``hosila.save``, loads it into a fresh model and checks that both give the same outputs.

Run: python examples/regularization.py [--epochs 15]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

import hosila
from hosila import nn, optim
from hosila.data import Digits
from hosila.nn import functional as F
from hosila.nn.regularization import l2

TRAIN, TEST = Digits(train=True), Digits(train=False)
X_TRAIN = (TRAIN.data[:, None] / 16.0).astype(np.float32)  # (N, 1, 8, 8) in [0, 1]
X_TEST = (TEST.data[:, None] / 16.0).astype(np.float32)
Y_TRAIN, Y_TEST = TRAIN.targets.astype(np.int64), TEST.targets.astype(np.int64)
L2_LAMBDA = 1e-3


def make_model(variant: str) -> nn.Module:
    """(N, 1, 8, 8) digits -> (N, 10) logits; the variants differ by one layer."""
    hosila.manual_seed(0)  # the same initial weights for every variant
    layers: list[nn.Module] = [nn.Conv2d(1, 16, 3, padding=1)]
    if variant == "batchnorm":
        layers.append(nn.BatchNorm2d(16))
    layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
    if variant == "dropout":
        layers.append(nn.Dropout(0.3))
    layers.append(nn.Linear(16 * 4 * 4, 10))
    return nn.Sequential(*layers)


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with hosila.no_grad():
        pred = model(hosila.tensor(x)).data.argmax(axis=1)
    model.train()
    return float((pred == y).mean())


def train(variant: str, epochs: int, batch: int = 64) -> tuple[nn.Module, list[float]]:
    """SGD (lr 0.05, momentum 0.9) over shuffled mini-batches; returns the model and the
    mean training loss of each epoch."""
    model = make_model(variant)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    rng = np.random.default_rng(1)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X_TRAIN))
        total = 0.0
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            loss = F.cross_entropy(model(hosila.tensor(X_TRAIN[idx])), hosila.tensor(Y_TRAIN[idx]))
            if variant == "l2":
                loss = loss + L2_LAMBDA * l2(weights)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(order))
    return model, losses


def checkpoint_round_trip(model: nn.Module) -> bool:
    """Save ``model``'s state_dict, load it into a fresh model; same eval outputs?"""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "digits_cnn.safetensors"
        hosila.save(model.state_dict(), path)
        fresh = make_model("batchnorm")
        fresh.load_state_dict(hosila.load(path))
    model.eval()
    fresh.eval()
    x = hosila.tensor(X_TEST[:32])
    with hosila.no_grad():
        same = bool(np.array_equal(model(x).data, fresh(x).data))
    model.train()
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    print(f"{'variant':10s} {'final loss':>10s} {'train acc':>10s} {'test acc':>9s}")
    bn_model = None
    for variant in ("plain", "l2", "dropout", "batchnorm"):
        model, losses = train(variant, args.epochs)
        print(
            f"{variant:10s} {losses[-1]:10.4f} {accuracy(model, X_TRAIN, Y_TRAIN):10.3f} "
            f"{accuracy(model, X_TEST, Y_TEST):9.3f}"
        )
        if variant == "batchnorm":
            bn_model = model
    print(f"state_dict keys: {list(bn_model.state_dict())}")
    print(f"checkpoint reloads to identical outputs: {checkpoint_round_trip(bn_model)}")


if __name__ == "__main__":
    main()
