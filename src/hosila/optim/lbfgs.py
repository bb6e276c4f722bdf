"""L-BFGS: a quasi-Newton method that builds a curvature model from recent steps.

This follows PyTorch's ``torch.optim.LBFGS`` algorithm (itself modelled on Mark Schmidt's
minFunc): the two-loop recursion over at most ``history_size`` curvature pairs, a first step
of ``min(1, 1/‖g‖₁)·lr``, and either a fixed step ``lr`` or a strong-Wolfe line search
(bracketing with cubic interpolation, then zoom), with the same stopping tests. All vectors
are flat NumPy arrays over the concatenated parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from hosila.optim.optimizer import Optimizer, _check, _number
from hosila.tensor import Tensor


def _cubic_min(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clipped to
    ``bounds`` (default: the interval between x1 and x2); the midpoint if the cubic has no
    minimum."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(disc)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(
    evaluate: Callable[[float], tuple[float, np.ndarray]],
    t: float,
    d: np.ndarray,
    f: float,
    g: np.ndarray,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """Find a step ``t`` along ``d`` that satisfies the strong Wolfe conditions.

    ``evaluate(t)`` returns (loss, flat gradient) at x + t·d; ``f``, ``g``, ``gtd`` are the
    loss, gradient and directional derivative at t = 0. Returns (loss, gradient, t, number of
    evaluations).
    """
    d_norm = float(np.abs(d).max())
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    it = 0
    # Bracketing phase: grow t until an interval holds a point satisfying the conditions.
    while it < max_ls:
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):
            bracket, b_f, b_g, b_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new],
                [
                    gtd_prev,
                    gtd_new,
                ],
            )
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, b_f, b_g, b_gtd = [t], [f_new], [g_new], [gtd_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, b_f, b_g, b_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new],
                [
                    gtd_prev,
                    gtd_new,
                ],
            )
            break
        lo, hi = t + 0.01 * (t - t_prev), t * 10.0
        t_next = _cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(lo, hi))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        it += 1
    if it == max_ls:
        bracket, b_f, b_g, b_gtd = [0.0, t], [f, f_new], [g, g_new], [gtd, gtd_new]

    # Zoom phase: shrink the bracket until the conditions hold (or it is too small).
    insufficient = False
    low, high = (0, 1) if b_f[0] <= b_f[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_min(bracket[0], b_f[0], b_gtd[0], bracket[1], b_f[1], b_gtd[1])
        b_max, b_min = max(bracket), min(bracket)
        eps = 0.1 * (b_max - b_min)
        if min(b_max - t, t - b_min) < eps:
            # too close to an end: move away from it, unless the last step already progressed
            if insufficient or t >= b_max or t <= b_min:
                t = b_max - eps if abs(t - b_max) < abs(t - b_min) else b_min + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= b_f[low]:
            bracket[high], b_f[high], b_g[high], b_gtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if b_f[0] <= b_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], b_f[high] = bracket[low], b_f[low]
                b_g[high], b_gtd[high] = b_g[low], b_gtd[low]
            bracket[low], b_f[low], b_g[low], b_gtd[low] = t, f_new, g_new, gtd_new
    return b_f[low], b_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """Limited-memory BFGS (PyTorch's algorithm). ``step(closure)`` runs up to ``max_iter``
    iterations; ``closure`` must zero the gradients, compute the loss, call ``backward()``
    and return the loss.

    Args:
        lr: step length (default 1). max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when max |gradient| ≤ this (default 1e-7).
        tolerance_change: stop when the step or the loss change is below this (default 1e-9).
        history_size: number of curvature pairs kept (default 100).
        line_search_fn: ``None`` (fixed step lr) or ``"strong_wolfe"``.

    All parameters form one group (per-parameter options are not supported). The state of
    the whole problem (direction ``d``, step ``t``, history ``old_dirs``/``old_stps``/``ro``,
    ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``n_iter``, ``func_evals``) is kept under
    the first parameter, so that later ``step`` calls continue the same curvature model.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if isinstance(max_iter, bool) or not isinstance(max_iter, int):
            raise TypeError(f"LBFGS: max_iter must be an int, got {max_iter!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups): "
                f"got {len(self.param_groups)} groups"
            )
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def _validate_group(self, group: dict[str, Any]) -> None:
        lr = _number(group, "lr", "LBFGS")
        _check(lr >= 0, f"LBFGS: Invalid learning rate: {lr} (lr must be >= 0)")
        for key in ("max_iter", "max_eval", "history_size"):
            v = group[key]
            _check(
                isinstance(v, int) and not isinstance(v, bool) and v > 0,
                f"LBFGS: {key} must be a positive int, got {v!r}",
            )
        for key in ("tolerance_grad", "tolerance_change"):
            _check(_number(group, key, "LBFGS") >= 0, f"LBFGS: {key} must be >= 0")
        _check(
            group["line_search_fn"] in (None, "strong_wolfe"),
            f"LBFGS: line_search_fn must be None or 'strong_wolfe', "
            f"got {group['line_search_fn']!r}",
        )

    # ---- flat views of the parameters ---------------------------------------------------

    def _flat_grad(self) -> np.ndarray:
        parts = []
        for p in self._params:
            if p.grad is None:
                parts.append(np.zeros(p.data.size, dtype=p.data.dtype))
            else:
                g = p.grad.data if isinstance(p.grad, Tensor) else p.grad
                parts.append(np.asarray(g, dtype=p.data.dtype).reshape(-1))
        return np.concatenate(parts)

    def _add_step(self, t: float, d: np.ndarray) -> None:
        """θ ← θ + t·d over the concatenated parameters."""
        offset = 0
        for p in self._params:
            n = p.data.size
            p.data += t * d[offset : offset + n].reshape(p.data.shape)
            offset += n

    def _set_params(self, values: list[np.ndarray]) -> None:
        for p, v in zip(self._params, values, strict=True):
            p.data[...] = v

    # ---- the algorithm -----------------------------------------------------------------

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # noqa: C901
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss of the first closure
        call (at the parameters on entry)."""
        if closure is None:
            raise ValueError(
                "LBFGS.step: closure is required (a function that zeroes the gradients, "
                "computes the loss, calls backward() and returns the loss)"
            )
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tol_grad, tol_change = float(group["tolerance_grad"]), float(group["tolerance_change"])
        history_size = group["history_size"]
        line_search = group["line_search_fn"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max() <= tol_grad:  # already optimal
            return orig_loss

        d = state.get("d")
        t = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        h_diag = state.get("H_diag")
        prev_g = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # -- direction: steepest descent first, then the two-loop recursion
            if state["n_iter"] == 1:
                d = -g
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1.0
            else:
                y = g - prev_g
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only if the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                k = len(old_dirs)
                alphas = [0.0] * k
                q = -g
                for i in range(k - 1, -1, -1):
                    alphas[i] = float(old_stps[i] @ q) * ro[i]
                    q -= alphas[i] * old_dirs[i]
                d = q * h_diag
                for i in range(k):
                    beta = float(old_dirs[i] @ d) * ro[i]
                    d += (alphas[i] - beta) * old_stps[i]
            prev_g = g.copy()
            prev_loss = loss

            # -- step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(np.abs(g).sum())) * lr
            else:
                t = lr
            gtd = float(g @ d)
            if gtd > -tol_change:  # not a descent direction
                break

            ls_evals = 0
            if line_search is not None:
                x0 = [p.data.copy() for p in self._params]

                def evaluate(step: float, x0: list = x0, d: np.ndarray = d) -> tuple:
                    self._add_step(step, d)
                    f = float(self._evaluate(closure))
                    grad = self._flat_grad()
                    self._set_params(x0)
                    return f, grad

                loss, g, t, ls_evals = _strong_wolfe(evaluate, t, d, loss, g, gtd)
                self._add_step(t, d)
                optimal = np.abs(g).max() <= tol_grad
            else:
                self._add_step(t, d)
                optimal = False
                if n_iter != max_iter:
                    loss = float(self._evaluate(closure))
                    g = self._flat_grad()
                    optimal = np.abs(g).max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            # -- stopping tests
            if n_iter == max_iter or evals >= max_eval or optimal:
                break
            if np.abs(d * t).max() <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break

        state["d"] = d
        state["t"] = t
        state["old_dirs"] = old_dirs
        state["old_stps"] = old_stps
        state["ro"] = ro
        state["H_diag"] = h_diag
        state["prev_flat_grad"] = prev_g
        state["prev_loss"] = prev_loss
        return orig_loss
