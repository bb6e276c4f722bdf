"""k-fold cross-validation over a grid or a random search of hyperparameters, and the
course's plot of accuracy against k with error bars."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def log_uniform(low: float, high: float) -> Callable[[np.random.Generator], float]:
    """A distribution for ``cross_validate(distributions=...)``: 10**U(log10 low, log10 high)."""
    if not 0 < low <= high:
        raise ValueError(f"log_uniform: need 0 < low <= high, got {low!r}, {high!r}")
    return lambda rng: float(10 ** rng.uniform(np.log10(low), np.log10(high)))


@dataclass
class CVResult:
    """Per setting: ``params`` (dict), ``scores`` (folds,), ``mean`` and ``std`` accuracy.

    ``results`` keeps the settings in the order they were tried; ``best`` is the setting with
    the highest mean (the first one among equals)."""

    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def best(self) -> dict[str, Any]:
        if not self.results:
            raise ValueError("CVResult: no settings were evaluated")
        return max(self.results, key=lambda r: r["mean"])  # max keeps the first among equals

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best["params"])


def _settings(
    grid: Mapping[str, Sequence[Any]] | None,
    distributions: Mapping[str, Any] | None,
    n_iter: int,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    if (grid is None) == (distributions is None):
        raise ValueError("cross_validate: give exactly one of grid= or distributions=")
    if grid is not None:
        if not grid or any(len(v) == 0 for v in grid.values()):
            raise ValueError(f"cross_validate: grid needs a non-empty list per name, got {grid!r}")
        names = list(grid)
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]
    assert distributions is not None
    if not isinstance(n_iter, int) or n_iter < 1:
        raise ValueError(f"cross_validate: n_iter must be a positive int, got {n_iter!r}")
    settings = []
    for _ in range(n_iter):
        s = {}
        for name, dist in distributions.items():
            if callable(dist):
                s[name] = dist(rng)
            elif isinstance(dist, Sequence) and not isinstance(dist, str) and len(dist):
                s[name] = dist[int(rng.integers(len(dist)))]
            else:
                raise TypeError(
                    f"cross_validate: distribution {name!r} must be a non-empty "
                    f"list or a callable(rng), got {dist!r}"
                )
        settings.append(s)
    return settings


def _score(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    if hasattr(model, "score"):
        return float(model.score(X, y))
    return float(np.mean(model.predict(X) == y))


def cross_validate(
    make_model: Callable[..., Any],
    X: Any,
    y: Any,
    folds: int = 5,
    grid: Mapping[str, Sequence[Any]] | None = None,
    distributions: Mapping[str, Any] | None = None,
    n_iter: int = 10,
    shuffle: bool = True,
    seed: int = 0,
    fit: Callable[[Any, np.ndarray, np.ndarray], Any] | None = None,
) -> CVResult:
    """k-fold cross-validation of every hyperparameter setting.

    Args:
        make_model: ``make_model(**params)`` returns a fresh model with ``fit(X, y)`` and
            ``score(X, y)`` (or ``predict(X)``), e.g. ``KNearestNeighbor`` with ``k`` and
            ``metric``.
        X: (N, ...) examples; y: (N,) labels.
        folds: the number of folds (>= 2); fold sizes differ by at most one.
        grid: ``{name: [values]}``; every combination is tried.
        distributions: ``{name: list | callable(rng)}`` for a random search of ``n_iter``
            settings (a list is sampled uniformly; see :func:`log_uniform`).
        shuffle, seed: the examples are assigned to folds after a seeded permutation
            (``shuffle=False``: in order, as ``np.array_split`` does).
        fit: ``fit(model, X, y)`` to train instead of ``model.fit(X, y)``.

    Settings that differ only in ``k`` for a ``KNearestNeighbor`` (what ``make_model``
    builds) share the work: per fold one fit and one neighbour search with the largest k,
    and every k is voted from those neighbours (:meth:`KNearestNeighbor.predict_ks`), with
    the same accuracies as fitting each k on its own. Other models, or a given ``fit``, are
    fitted and scored setting by setting.

    Returns a :class:`CVResult`: per setting the fold accuracies, their mean and std.
    """
    X = np.asarray(X.numpy() if hasattr(X, "numpy") else X)
    y = np.asarray(y)
    if X.ndim < 1 or y.shape != (X.shape[0],):
        raise ValueError(
            f"cross_validate: y must be (N,) with N = len(X), got X {X.shape}, y {y.shape}"
        )
    if not isinstance(folds, int) or folds < 2 or folds > X.shape[0]:
        raise ValueError(
            f"cross_validate: folds must be an int in [2, {X.shape[0]}], got {folds!r}"
        )
    rng = np.random.default_rng(seed)
    settings = _settings(grid, distributions, n_iter, rng)
    order = rng.permutation(X.shape[0]) if shuffle else np.arange(X.shape[0])
    parts = np.array_split(order, folds)
    splits = [
        (parts[i], np.concatenate([p for j, p in enumerate(parts) if j != i])) for i in range(folds)
    ]
    fold_scores: dict[int, np.ndarray] = {}
    if fit is None:
        for group in _k_groups(settings):
            ks = [settings[i]["k"] for i in group]
            fast = _knn_scores(make_model, settings[group[0]], ks, X, y, splits)
            if fast is not None:
                fold_scores.update(zip(group, fast, strict=True))
    result = CVResult()
    for n, params in enumerate(settings):
        if n in fold_scores:
            s = fold_scores[n]
        else:
            scores = []
            for val, train in splits:
                model = make_model(**params)
                if fit is not None:
                    fit(model, X[train], y[train])
                else:
                    model.fit(X[train], y[train])
                scores.append(_score(model, X[val], y[val]))
            s = np.asarray(scores)
        result.results.append(
            {"params": params, "scores": s, "mean": float(s.mean()), "std": float(s.std())}
        )
    return result


def _k_groups(settings: list[dict[str, Any]]) -> list[list[int]]:
    """Indices of the settings that have a ``k`` and differ only in it, group by group."""
    groups: dict[Any, list[int]] = {}
    for n, params in enumerate(settings):
        if "k" not in params:
            continue
        try:
            key = tuple((name, v) for name, v in params.items() if name != "k")
            groups.setdefault(key, []).append(n)
        except TypeError:  # an unhashable value: that setting is scored on its own
            continue
    return list(groups.values())


def _knn_scores(
    make_model: Callable[..., Any],
    params: dict[str, Any],
    ks: list[Any],
    X: np.ndarray,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
) -> list[np.ndarray] | None:
    """Fold accuracies (folds,) for each k of ``ks`` when ``make_model`` builds a
    ``KNearestNeighbor``: one fit and one neighbour search (the largest k) per fold, every k
    voted from it (``KNearestNeighbor.predict_ks``). ``None`` for any other model."""
    from hosila.classic.knn import KNearestNeighbor

    if not isinstance(make_model(**params), KNearestNeighbor):
        return None
    other = {name: v for name, v in params.items() if name != "k"}
    scores = np.empty((len(ks), len(splits)))
    for i, (val, train) in enumerate(splits):
        model = make_model(**other, k=max(ks))
        model.fit(X[train], y[train])
        scores[:, i] = (model.predict_ks(X[val], ks) == y[val]).mean(axis=1)
    return list(scores)


def plot_cv(result: CVResult, param: str, path: str, title: str | None = None) -> None:
    """Scatter of each fold's accuracy against ``param`` (e.g. ``"k"``) with the mean and
    its standard deviation as error bars, saved as a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hosila.classic.linear import _save_fig

    rows = [r for r in result.results if param in r["params"]]
    if not rows:
        raise ValueError(f"plot_cv: no setting has the parameter {param!r}")
    fig, ax = plt.subplots(figsize=(6, 4))
    xs = [r["params"][param] for r in rows]
    for x, r in zip(xs, rows, strict=True):
        ax.scatter([x] * len(r["scores"]), r["scores"], color="0.6", s=12)
    order = np.argsort(xs)
    ax.errorbar(
        np.asarray(xs)[order],
        [rows[i]["mean"] for i in order],
        yerr=[rows[i]["std"] for i in order],
        marker="o",
        capsize=3,
    )
    ax.set_xlabel(param)
    ax.set_ylabel("cross-validation accuracy")
    ax.set_title(title or f"Cross-validation on {param}")
    fig.tight_layout()
    _save_fig(fig, path)
    plt.close(fig)
