"""k-nearest-neighbour classifier: the course's first data-driven image classifier.

``compute_distances`` keeps the three teaching versions side by side (two loops, one loop,
no loop); ``predict`` is the fast path: it works on blocks of test rows so that the
``(rows, n_train)`` distance block never exceeds ``max_memory`` bytes, does the L2 math in
float32 with BLAS, and then re-checks near-ties in float64 so that the neighbours found are
exactly those of the float64 distances (ties to the smaller training index).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

_METRICS = ("l2", "l1")

# Relative error bound used to decide which float32 distances are "near ties" that are
# re-checked in float64. For d = |x|^2 + |y|^2 - 2 x.y computed in float32 the rounding
# error is below about D * eps32 * (|x|^2 + |y|^2) in the worst case and ~sqrt(D) * eps32
# in practice; 1e-4 covers D = 3072 worst-case-ish (3072 * 6e-8 = 1.8e-4 of |x||y|).
_TIE_RTOL = 1e-4


def _as_2d(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if arr.ndim < 1:
        raise ValueError(f"{name} must be an array of examples (N, ...), got a scalar")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr.reshape(arr.shape[0], -1)


def _vote(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Majority label of each row of ``labels`` (rows, k); ties go to the smallest label."""
    rows = labels.shape[0]
    counts = np.zeros((rows, n_classes), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(rows), labels.shape[1]), labels.ravel()), 1)
    return counts.argmax(axis=1)  # argmax returns the first (smallest) label among ties


class KNearestNeighbor:
    """k-nearest-neighbour classifier with L2 (Euclidean) or L1 (Manhattan) distance.

    Args:
        k: the default number of neighbours of :meth:`predict` and :meth:`score`.
        metric: ``"l2"`` or ``"l1"``.
        max_memory: the largest distance block held at once, in bytes (default 128 MiB).
            Test rows are processed in chunks of ``max_memory // (4 * n_train)`` rows; for
            50 000 training images that is 671 rows and 134 MB, whatever the test size.
            ``predict`` needs about 1.25 x max_memory (the block and a boolean mask of it)
            plus a few arrays of ``rows x D``. The L1 path also bounds its ``(rows, cols, D)``
            difference block by it.
        chunk_size: fix the number of test rows per chunk instead (overrides max_memory).
        exact: re-check near-ties of the float32 distances in float64 so that the result
            equals the float64 computation (default True; False gives the raw float32 answer).

    Example::

        knn = KNearestNeighbor(k=5).fit(X_train, y_train)  # X: (N, ...) any shape per example
        y_pred = knn.predict(X_test)
    """

    def __init__(
        self,
        k: int = 1,
        metric: str = "l2",
        max_memory: int = 128 * 2**20,
        chunk_size: int | None = None,
        exact: bool = True,
    ) -> None:
        if metric not in _METRICS:
            raise ValueError(f"KNearestNeighbor: metric must be 'l2' or 'l1', got {metric!r}")
        if not isinstance(max_memory, int) or max_memory <= 0:
            raise ValueError(
                f"KNearestNeighbor: max_memory must be a positive int (bytes), got {max_memory!r}"
            )
        if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
            raise ValueError(
                f"KNearestNeighbor: chunk_size must be a positive int or None, got {chunk_size!r}"
            )
        self._check_k(k)
        self.k = int(k)
        self.metric = metric
        self.max_memory = max_memory
        self.chunk_size = chunk_size
        self.exact = bool(exact)
        self.X_train: np.ndarray | None = None
        self.y_train: np.ndarray | None = None

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any) -> KNearestNeighbor:
        """Remember the training data. X: (N, ...) numeric; y: (N,) integer labels."""
        X = _as_2d(X, "X")
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"KNearestNeighbor.fit: y must be (N,) with N = {X.shape[0]}, got shape {y.shape}"
            )
        if y.dtype.kind not in "iu":
            raise TypeError(f"KNearestNeighbor.fit: y must be integer labels, got dtype {y.dtype}")
        if y.size and y.min() < 0:
            raise ValueError(f"KNearestNeighbor.fit: labels must be >= 0, got {y.min()}")
        if X.shape[0] == 0:
            raise ValueError("KNearestNeighbor.fit: X has no examples")
        self.X_train = X
        self.y_train = y.astype(np.int64)
        self.n_classes = int(self.y_train.max()) + 1
        # float32 copy, centred on the training mean: distances do not change, but the
        # norms shrink, and with them the cancellation in |x|^2 + |y|^2 - 2 x.y.
        # (Worked through in blocks of rows: no float64 copy of the whole training set.)
        # L1 needs none of this: it works on the data as they are.
        self._mean = X.mean(axis=0, dtype=np.float64)
        self._int_data = X.dtype.kind in "biu"
        if self.metric != "l2":
            return self
        self._Xc32 = np.empty(X.shape, dtype=np.float32)
        self._sq_train64 = np.empty(X.shape[0], dtype=np.float64)
        step = max(1, self.max_memory // (8 * X.shape[1]))
        for s in range(0, X.shape[0], step):
            block = X[s : s + step].astype(np.float64)
            block -= self._mean
            self._sq_train64[s : s + step] = np.einsum("ij,ij->i", block, block)
            self._Xc32[s : s + step] = block
        self._sq_train32 = self._sq_train64.astype(np.float32)
        return self

    @staticmethod
    def _check_k(k: Any) -> None:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"KNearestNeighbor: k must be a positive int, got {k!r}")

    def _check(self, X: Any) -> np.ndarray:
        if self.X_train is None:
            raise RuntimeError("KNearestNeighbor: call fit(X, y) before predict")
        X = _as_2d(X, "X")
        if X.shape[1] != self.X_train.shape[1]:
            raise ValueError(
                f"KNearestNeighbor: X has {X.shape[1]} features per example, "
                f"the training data {self.X_train.shape[1]}"
            )
        return X

    def _rows_per_chunk(self) -> int:
        if self.chunk_size is not None:
            return self.chunk_size
        assert self.X_train is not None
        return max(1, self.max_memory // (4 * self.X_train.shape[0]))

    # ---------------------------------------------------------- teaching versions
    def compute_distances(self, X: Any, loops: int = 0) -> np.ndarray:
        """Distances between each test example and each training example.

        X: (n_test, ...) -> (n_test, n_train) float64 for ``loops=2`` and ``1`` (the plain
        definitions) and float32 for ``loops=0`` (the fast path: chunked, BLAS for L2).
        L2 is the Euclidean distance sqrt(sum (x - y)^2); L1 is sum |x - y|.
        """
        X = self._check(X)
        if loops == 2:
            return self._distances_two_loops(X)
        if loops == 1:
            return self._distances_one_loop(X)
        if loops == 0:
            out = np.empty((X.shape[0], self.X_train.shape[0]), dtype=np.float32)  # type: ignore[union-attr]
            for start, d in self._blocks(X):
                out[start : start + d.shape[0]] = np.sqrt(d) if self.metric == "l2" else d
                del d  # let the block go before the next one is computed
            return out
        raise ValueError(f"compute_distances: loops must be 0, 1 or 2, got {loops!r}")

    def _distances_two_loops(self, X: np.ndarray) -> np.ndarray:
        """For reading: one distance at a time."""
        Xtr = self.X_train.astype(np.float64)  # type: ignore[union-attr]
        Xte = X.astype(np.float64)
        dists = np.zeros((Xte.shape[0], Xtr.shape[0]))
        for i in range(Xte.shape[0]):
            for j in range(Xtr.shape[0]):
                diff = Xte[i] - Xtr[j]
                if self.metric == "l2":
                    dists[i, j] = np.sqrt(np.sum(diff * diff))
                else:
                    dists[i, j] = np.sum(np.abs(diff))
        return dists

    def _distances_one_loop(self, X: np.ndarray) -> np.ndarray:
        """For reading: one test example against all training examples by broadcasting."""
        Xtr = self.X_train.astype(np.float64)  # type: ignore[union-attr]
        Xte = X.astype(np.float64)
        dists = np.zeros((Xte.shape[0], Xtr.shape[0]))
        for i in range(Xte.shape[0]):
            diff = Xtr - Xte[i]
            if self.metric == "l2":
                dists[i] = np.sqrt(np.sum(diff * diff, axis=1))
            else:
                dists[i] = np.sum(np.abs(diff), axis=1)
        return dists

    # ---------------------------------------------------------------- fast path
    def _blocks(self, X: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (start, block) with block the (rows, n_train) float32 *squared* L2 or L1
        distances of ``X[start:start + rows]``; at most one block is alive at a time."""
        rows = self._rows_per_chunk()
        for start in range(0, X.shape[0], rows):
            chunk = X[start : start + rows]
            if self.metric == "l2":
                yield start, self._l2_block(chunk)
            else:
                yield start, self._l1_block(chunk)

    def _l2_block(self, chunk: np.ndarray) -> np.ndarray:
        # |x - y|^2 = |x|^2 + |y|^2 - 2 x.y: one float32 matrix product (BLAS), clamped at 0.
        c = (chunk.astype(np.float64) - self._mean).astype(np.float32)
        d = c @ self._Xc32.T  # (rows, n_train)
        d *= -2.0
        d += np.einsum("ij,ij->i", c, c, dtype=np.float64).astype(np.float32)[:, None]
        d += self._sq_train32[None, :]
        np.maximum(d, 0.0, out=d)
        return d

    def _l1_block(self, chunk: np.ndarray) -> np.ndarray:
        # No (rows, n_train, D) array: sub-blocks of training columns sized to max_memory.
        Xtr = self.X_train
        assert Xtr is not None
        n_train, dim = Xtr.shape
        d = np.empty((chunk.shape[0], n_train), dtype=np.float32)
        if self._int_data and Xtr.dtype == np.uint8 and chunk.dtype == np.uint8:
            # Exact integer path for images: |a - b| = max(a, b) - min(a, b) stays in uint8.
            # Small reused uint8 buffers (rr, cols, D) of about 2 MiB: they stay in the CPU
            # cache, and fresh large ones would cost page faults on every block.
            rr = min(chunk.shape[0], 8)
            cols = min(n_train, max(1, min(self.max_memory, 1 << 21) // (2 * dim * rr)))
            hi = np.empty((rr, cols, dim), dtype=np.uint8)
            lo = np.empty_like(hi)
            total = np.empty((rr, cols), dtype=np.uint32)
            for i in range(0, chunk.shape[0], rr):
                a = chunk[i : i + rr, None, :]
                h = a.shape[0]
                for j in range(0, n_train, cols):
                    b = Xtr[None, j : j + cols, :]
                    w = b.shape[1]
                    np.maximum(a, b, out=hi[:h, :w])
                    np.minimum(a, b, out=lo[:h, :w])
                    np.subtract(hi[:h, :w], lo[:h, :w], out=hi[:h, :w])
                    np.add.reduce(hi[:h, :w], axis=2, dtype=np.uint32, out=total[:h, :w])
                    d[i : i + h, j : j + w] = total[:h, :w]
            return d
        a32 = chunk.astype(np.float32)
        b32 = Xtr.astype(np.float32) if Xtr.dtype != np.float32 else Xtr
        cols = max(1, self.max_memory // max(1, 4 * dim * chunk.shape[0]))
        for j in range(0, n_train, cols):
            diff = a32[:, None, :] - b32[None, j : j + cols, :]
            np.abs(diff, out=diff)
            d[:, j : j + cols] = diff.sum(axis=2)
        return d

    def _exact(self, rows: np.ndarray, cols: np.ndarray, X: np.ndarray) -> np.ndarray:
        """float64 distances (squared for L2) of the pairs (X[rows], X_train[cols]), a few
        pairs at a time so that the float64 differences stay within ``max_memory``."""
        assert self.X_train is not None
        out = np.empty(rows.shape[0], dtype=np.float64)
        step = max(1, self.max_memory // (8 * self.X_train.shape[1]))
        for s in range(0, rows.shape[0], step):
            diff = X[rows[s : s + step]].astype(np.float64)
            diff -= self.X_train[cols[s : s + step]]
            if self.metric == "l2":
                out[s : s + step] = np.einsum("ij,ij->i", diff, diff)
            else:
                out[s : s + step] = np.abs(diff).sum(axis=1)
        return out

    def kneighbors(self, X: Any, k: int = 1) -> np.ndarray:
        """Indices of the k nearest training examples of each row of X: (n_test, k), nearest
        first; equal distances are ordered by training index."""
        X = self._check(X)
        assert self.X_train is not None
        n_train = self.X_train.shape[0]
        self._check_k(k)
        if k > n_train:
            raise ValueError(f"predict: k = {k} is larger than the {n_train} training examples")
        out = np.empty((X.shape[0], k), dtype=np.int64)
        for start, d in self._blocks(X):
            out[start : start + d.shape[0]] = self._select(d, k, X[start : start + d.shape[0]])
            del d  # let the block go before the next one is computed
        return out

    def _select(self, d: np.ndarray, k: int, chunk: np.ndarray) -> np.ndarray:
        """The k nearest of each row of the distance block d (rows, n_train), nearest first.

        The float32 choice (argmin / argpartition) is kept where it is certain; where other
        training points lie within the rounding bound ``tol`` of the k-th distance, those
        "border" points are compared in float64 (ties: the smaller index) -- only them, the
        points surely inside (below kth - tol) stay as they are."""
        rows = np.arange(d.shape[0])
        if k == 1:
            near = d.argmin(axis=1)[:, None]
        else:
            near = np.argpartition(d, k - 1, axis=1)[:, :k]
        key = d[rows[:, None], near]
        kth = key.max(axis=1)
        if self.exact and not (self.metric == "l1" and self._int_data):
            if self.metric == "l2":
                c = (chunk.astype(np.float64) - self._mean).astype(np.float32)
                sq = np.einsum("ij,ij->i", c, c, dtype=np.float64)
                tol = 2 * _TIE_RTOL * (sq + self._sq_train64.max())
            else:
                tol = 2 * _TIE_RTOL * np.maximum(kth.astype(np.float64), 1e-30)
            hi = (kth + tol).astype(np.float32)
            lo = (kth - tol).astype(np.float32)
        else:  # exact integer L1 distances (or exact=False): only true ties matter
            hi = lo = kth
        cand = d <= hi[:, None]
        if k > 1:  # nearest first, equal float32 distances by index
            near = np.take_along_axis(near, np.lexsort((near, key), axis=1), axis=1)
        ambiguous = np.flatnonzero(cand.sum(axis=1) > k)
        if ambiguous.size == 0:
            return near
        sub = d[ambiguous]
        sure = sub < lo[ambiguous, None]
        border = cand[ambiguous] & ~sure
        need = k - sure.sum(axis=1)  # how many border points each row takes
        br, bc = np.nonzero(border)
        exact = self._exact(ambiguous[br], bc, chunk)
        order = np.lexsort((bc, exact, br))  # by row, then exact distance, then index
        br, bc, exact = br[order], bc[order], exact[order]
        rank = np.arange(br.size) - np.searchsorted(br, br)
        keep = rank < need[br]
        sr, sc = np.nonzero(sure)
        # the k chosen per row: sure points (by float32 distance) then border (by exact one)
        r_all = np.concatenate([sr, br[keep]])
        c_all = np.concatenate([sc, bc[keep]])
        group = np.concatenate([np.zeros(sr.size), np.ones(int(keep.sum()))])
        val = np.concatenate([sub[sr, sc].astype(np.float64), exact[keep]])
        order = np.lexsort((c_all, val, group, r_all))
        near[ambiguous] = c_all[order].reshape(ambiguous.size, k)
        return near

    def predict(self, X: Any, k: int | None = None) -> np.ndarray:
        """Predicted labels (n_test,) int64 for X: (n_test, ...): the most common label of
        the k nearest training examples (``k=None``: the model's ``k``); ties in the vote
        go to the smallest label."""
        k = self.k if k is None else k
        near = self.kneighbors(X, k)
        assert self.y_train is not None
        labels = self.y_train[near]
        if k == 1:
            return labels[:, 0]
        return _vote(labels, self.n_classes)

    def predict_ks(self, X: Any, ks: Sequence[int]) -> np.ndarray:
        """Predictions for several k at once: (len(ks), n_test) int64, row i equal to
        ``predict(X, ks[i])``. X: (n_test, ...).

        The distances are computed once: ``kneighbors`` with the largest k, those neighbours
        sorted by their float64 distance (equal ones by training index), and the vote for
        each k taken over the first k of them -- the same k nearest as ``predict`` finds,
        ties in the vote to the smallest label. This is what cross-validation over k uses."""
        ks = list(ks)
        if not ks:
            raise ValueError("KNearestNeighbor.predict_ks: ks must be a non-empty list of ints")
        for k in ks:
            self._check_k(k)
        X = self._check(X)
        kmax = max(ks)
        near = self.kneighbors(X, kmax)
        if kmax > 1:
            # kneighbors orders near-equal float32 distances by index; the prefixes must be
            # the k nearest in float64, so order by the exact distances (kmax per row).
            rows = np.repeat(np.arange(X.shape[0]), kmax)
            exact = self._exact(rows, near.ravel(), X).reshape(near.shape)
            near = np.take_along_axis(near, np.lexsort((near, exact), axis=1), axis=1)
        assert self.y_train is not None
        labels = self.y_train[near]
        return np.stack([_vote(labels[:, :k], self.n_classes) for k in ks])

    def score(self, X: Any, y: Any, k: int | None = None) -> float:
        """Accuracy of ``predict(X, k)`` against the labels ``y``: (n_test,)."""
        y = np.asarray(y)
        return float(np.mean(self.predict(X, k) == y))
