"""Learning-rate schedules (``hosila.optim.lr_scheduler``), PyTorch's classes and semantics.

A scheduler changes ``group["lr"]`` of its optimizer's parameter groups. Make it after the
optimizer, and call ``scheduler.step()`` once per epoch (or per batch for ``OneCycleLR``)
after ``optimizer.step()``. Creating a scheduler already applies the lr of epoch 0.

As in PyTorch, ``step()`` updates the lr *recursively* from the current ``group["lr"]`` (so
schedulers can be chained), ``last_epoch`` counts the calls, ``get_last_lr()`` returns the
lrs just set, and ``state_dict()``/``load_state_dict()`` save and restore every attribute
except the optimizer (plain numbers, lists and strings: ``hosila.save`` can store them).
"""

from __future__ import annotations

import math
import numbers
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from typing import Any

from hosila.optim.optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "SequentialLR",
    "ReduceLROnPlateau",
]

_EPOCH_DEPRECATION = (
    "The epoch parameter in `scheduler.step()` is deprecated (as in PyTorch): call "
    "`scheduler.step()` without it. With it, the closed-form lr of that epoch is used."
)


def _check_optimizer(optimizer: Any, name: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{name}: optimizer must be a hosila.optim.Optimizer, got {type(optimizer).__name__}"
        )


def _check_int(value: Any, arg: str, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: {arg} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: {arg} must be >= {minimum}, got {value}")
    return int(value)


def _check_number(value: Any, arg: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {arg} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


class LRScheduler:
    """Base class: subclasses define ``get_lr()`` (the recursive rule used by ``step()``) and
    ``_closed_form_lr()`` (the lr of ``last_epoch`` from the base lrs)."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        _check_optimizer(optimizer, name)
        _check_int(last_epoch, "last_epoch", name, -1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: param 'initial_lr' is not specified in param_groups[{i}] when "
                        f"resuming an optimizer (last_epoch={last_epoch}): create the scheduler "
                        f"with last_epoch=-1 or load its state_dict"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self.step()

    def get_lr(self) -> list[float]:
        """The lr of each group for ``self.last_epoch`` (just incremented by ``step``)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lr of each parameter group set by the last ``step()``."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or, deprecated, jump to ``epoch``) and set the groups' lrs."""
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
            self.last_epoch = _check_int(epoch, "epoch", type(self).__name__, 0)
            closed = getattr(self, "_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (numbers, lists, strings)."""
        return {k: _copy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by :meth:`state_dict`."""
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict: expected a dict, "
                f"got {type(state_dict).__name__}"
            )
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items() if k != "optimizer"})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


def _copy(v: Any) -> Any:
    if isinstance(v, list):
        return [_copy(x) for x in v]
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    return v


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs:
    ``lr = base_lr · gamma^⌊epoch / step_size⌋``."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = _check_int(step_size, "step_size", "StepLR", 1)
        self.gamma = _check_number(gamma, "gamma", "StepLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _closed_form_lr(self) -> list[float]:
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each epoch in ``milestones`` (a milestone given twice
    multiplies by gamma²): ``lr = base_lr · gamma^(number of milestones ≤ epoch)``."""

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Any,
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        try:
            ms = [_check_int(m, "milestones", "MultiStepLR", 0) for m in milestones]
        except TypeError as exc:
            raise TypeError(f"MultiStepLR: milestones must be a list of ints ({exc})") from None
        self.milestones: dict[int, int] = dict(sorted(Counter(ms).items()))
        self.gamma = _check_number(gamma, "gamma", "MultiStepLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        count = self.milestones.get(self.last_epoch, 0)
        if count == 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma**count for group in self.optimizer.param_groups]

    def _closed_form_lr(self) -> list[float]:
        ms = sorted(m for m, c in self.milestones.items() for _ in range(c))
        return [b * self.gamma ** bisect_right(ms, self.last_epoch) for b in self.base_lrs]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.milestones = {int(k): int(v) for k, v in dict(self.milestones).items()}


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``lr = base_lr · gamma^epoch``."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _check_number(gamma, "gamma", "ExponentialLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _closed_form_lr(self) -> list[float]:
        return [b * self.gamma**self.last_epoch for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (SGDR without restarts, Loshchilov & Hutter 2017):
    ``lr = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2``.

    Past ``T_max`` the lr rises again along the same cosine (period 2·T_max), as in PyTorch.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = _check_int(T_max, "T_max", "CosineAnnealingLR", 1)
        self.eta_min = _check_number(eta_min, "eta_min", "CosineAnnealingLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if e == 0:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and e > 0:  # created with last_epoch > -1
            return self._closed_form_lr()
        if (e - 1 - T) % (2 * T) == 0:  # at the bottom of the cosine: step back up
            return [
                group["lr"] + (b - lo) * (1 - math.cos(math.pi / T)) / 2
                for b, group in zip(self.base_lrs, groups, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (group["lr"] - lo) + lo for group in groups]

    def _closed_form_lr(self) -> list[float]:
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        return [lo + (b - lo) * (1 + math.cos(math.pi * e / T)) / 2 for b in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the lr linearly from ``start_factor · base_lr`` to ``end_factor · base_lr`` over
    ``total_iters`` epochs (warm-up), then keep it."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        start_factor = _check_number(start_factor, "start_factor", "LinearLR")
        end_factor = _check_number(end_factor, "end_factor", "LinearLR")
        if not 0 < start_factor <= 1:
            raise ValueError(
                f"LinearLR: Starting multiplicative factor expected to be greater than 0 and "
                f"less or equal to 1 (start_factor), got {start_factor}"
            )
        if not 0 <= end_factor <= 1:
            raise ValueError(
                f"LinearLR: Ending multiplicative factor expected to be between 0 and 1 "
                f"(end_factor), got {end_factor}"
            )
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = _check_int(total_iters, "total_iters", "LinearLR", 1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self.last_epoch > self.total_iters:
            return [group["lr"] for group in groups]
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        factor = 1.0 + (e - s) / (n * s + (self.last_epoch - 1) * (e - s))
        return [group["lr"] * factor for group in groups]

    def _closed_form_lr(self) -> list[float]:
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        frac = min(n, self.last_epoch) / n
        return [b * (s + (e - s) * frac) for b in self.base_lrs]


def _per_group(name: str, optimizer: Optimizer, value: Any) -> list[float]:
    """One value per parameter group: a number is repeated, a list must match the groups."""
    n = len(optimizer.param_groups)
    if isinstance(value, list | tuple):
        if len(value) != n:
            raise ValueError(f"OneCycleLR: expected {n} values for {name}, got {len(value)}")
        return [_check_number(v, name, "OneCycleLR") for v in value]
    return [_check_number(value, name, "OneCycleLR")] * n


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2017), stepped once per batch.

    The lr rises from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of
    ``total_steps`` (or ``epochs · steps_per_epoch``), then falls to
    ``max_lr / (div_factor · final_div_factor)``. With ``three_phase=True`` it first falls
    back to the initial lr symmetrically, then to the minimum. ``anneal_strategy`` is
    ``"cos"`` or ``"linear"``. With ``cycle_momentum`` the momentum (SGD's ``momentum`` or
    Adam's ``betas[0]``) moves inversely between ``max_momentum`` and ``base_momentum``.
    Stepping more than ``total_steps`` times is a ValueError.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer, "OneCycleLR")
        if total_steps is not None:
            if isinstance(total_steps, bool) or not isinstance(total_steps, numbers.Integral):
                raise ValueError(
                    f"OneCycleLR: Expected positive integer total_steps, but got {total_steps!r}"
                )
            if total_steps <= 0:
                raise ValueError(
                    f"OneCycleLR: Expected positive integer total_steps, but got {total_steps}"
                )
            self.total_steps = int(total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            for arg, v in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v <= 0:
                    raise ValueError(f"OneCycleLR: Expected positive integer {arg}, but got {v!r}")
            self.total_steps = int(epochs) * int(steps_per_epoch)
        else:
            raise ValueError(
                "OneCycleLR: You must define either total_steps OR (epochs AND steps_per_epoch)"
            )
        if (
            isinstance(pct_start, bool)
            or not isinstance(pct_start, numbers.Real)
            or not 0 <= pct_start <= 1
        ):
            raise ValueError(
                f"OneCycleLR: Expected float between 0 and 1 pct_start, but got {pct_start!r}"
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', instead got "
                f"{anneal_strategy!r}"
            )
        div_factor = _check_number(div_factor, "div_factor", "OneCycleLR")
        final_div_factor = _check_number(final_div_factor, "final_div_factor", "OneCycleLR")
        n = self.total_steps
        if three_phase:
            self._schedule_phases = [
                [float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [
                    float(2 * pct_start * n) - 2,
                    "max_lr",
                    "initial_lr",
                    "base_momentum",
                    "max_momentum",
                ],
                [n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"],
            ]
        else:
            self._schedule_phases = [
                [float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"],
            ]
        self.anneal_strategy = anneal_strategy
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for m, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = m / div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            defaults = optimizer.defaults
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError(
                    f"OneCycleLR: optimizer {type(optimizer).__name__} must support momentum or "
                    f"beta1 with the `cycle_momentum` option enabled"
                )
            self.use_beta1 = "betas" in defaults
            max_ms = _per_group("max_momentum", optimizer, max_momentum)
            base_ms = _per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for mm, bm, group in zip(max_ms, base_ms, optimizer.param_groups, strict=True):
                    self._set_momentum(group, mm)
                    group["max_momentum"] = mm
                    group["base_momentum"] = bm
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *tuple(group["betas"])[1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: Tried to step {step} times. The specified number of total steps "
                f"is {self.total_steps}"
            )
        lrs = []
        phases = self._schedule_phases
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(phases):
                if step <= end or i == len(phases) - 1:
                    pct = (step - start) / (end - start)
                    lr = self._anneal(group[lr0], group[lr1], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(group[m0], group[m1], pct)
                    break
                start = end
            lrs.append(lr)
            if self.cycle_momentum:
                self._set_momentum(group, momentum)
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric has stopped improving for ``patience``
    epochs; ``step(metric)`` takes the metric (e.g. the validation loss).

    Args:
        mode: ``"min"`` (lower is better) or ``"max"``.
        factor: new_lr = lr · factor (< 1). patience: epochs without improvement tolerated.
        threshold, threshold_mode: an improvement must beat the best by ``threshold``
            relatively (``"rel"``: best·(1 ∓ threshold)) or absolutely (``"abs"``).
        cooldown: epochs to wait after a reduction before counting bad epochs again.
        min_lr: a lower bound (a number, or one per group). eps: changes smaller than this
            are skipped.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        _check_optimizer(optimizer, name)
        factor = _check_number(factor, "factor", name)
        if factor >= 1.0:
            raise ValueError(f"{name}: Factor should be < 1.0 (factor), got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode {mode!r} is unknown! (mode must be 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{name}: threshold mode {threshold_mode!r} is unknown! "
                f"(threshold_mode must be 'rel' or 'abs')"
            )
        n = len(optimizer.param_groups)
        if isinstance(min_lr, list | tuple):
            if len(min_lr) != n:
                raise ValueError(f"{name}: expected {n} min_lrs (min_lr), got {len(min_lr)}")
            self.min_lrs = [_check_number(m, "min_lr", name) for m in min_lr]
        else:
            self.min_lrs = [_check_number(min_lr, "min_lr", name)] * n
        self.optimizer = optimizer
        self.factor = factor
        self.patience = _check_int(patience, "patience", name, 0)
        self.cooldown = _check_int(cooldown, "cooldown", name, 0)
        self.threshold = _check_number(threshold, "threshold", name)
        self.threshold_mode = threshold_mode
        self.mode = mode
        self.eps = _check_number(eps, "eps", name)
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric and reduce the lr if it has plateaued."""
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(
                f"ReduceLROnPlateau.step: metrics must be a number (or a one-element tensor), "
                f"got {type(metrics).__name__}"
            ) from None
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        for i, group in enumerate(self.optimizer.param_groups):
            old = float(group["lr"])
            new = max(old * self.factor, self.min_lrs[i])
            if old - new > self.eps:
                group["lr"] = new


# ---- more schedules: lambdas, constant/polynomial, warm restarts, sequences -------------------


class LambdaLR(LRScheduler):
    """``lr = base_lr · lr_lambda(epoch)``; ``lr_lambda`` is a function of the epoch, or a
    list with one function per parameter group. A warm-up, for example:
    ``LambdaLR(opt, lambda e: min(1.0, (e + 1) / 5))``.

    ``state_dict()`` cannot hold functions: it stores ``None`` for plain functions and the
    attributes (``__dict__``) of callable objects, which ``load_state_dict`` restores.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        _check_optimizer(optimizer, name)
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, list | tuple):
            if len(lr_lambda) != n:
                raise ValueError(f"{name}: Expected {n} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(f"{name}: lr_lambda must be callable, got {type(f).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [b * f(self.last_epoch) for f, b in zip(self.lr_lambdas, self.base_lrs, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        state = {
            k: _copy(v) for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")
        }
        state["lr_lambdas"] = [
            None if isinstance(f, types.FunctionType) else dict(f.__dict__) for f in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        lambdas = state.pop("lr_lambdas", None) or []
        super().load_state_dict(state)
        for f, attrs in zip(self.lr_lambdas, lambdas, strict=False):
            if attrs is not None:
                f.__dict__.update(attrs)


class MultiplicativeLR(LambdaLR):
    """Multiply the lr by ``lr_lambda(epoch)`` every epoch (after epoch 0)."""

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch > 0:
            return [
                g["lr"] * f(self.last_epoch) for f, g in zip(self.lr_lambdas, groups, strict=True)
            ]
        return [g["lr"] for g in groups]


class ConstantLR(LRScheduler):
    """Multiply the lr by ``factor`` until epoch ``total_iters``, then restore it."""

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        factor = _check_number(factor, "factor", "ConstantLR")
        if not 0 <= factor <= 1:
            raise ValueError(
                f"ConstantLR: Constant multiplicative factor expected to be between 0 and 1 "
                f"(factor), got {factor}"
            )
        self.factor = factor
        self.total_iters = _check_int(total_iters, "total_iters", "ConstantLR", 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [g["lr"] * self.factor for g in groups]
        if self.last_epoch != self.total_iters:
            return [g["lr"] for g in groups]
        return [g["lr"] * (1.0 / self.factor) for g in groups]

    def _closed_form_lr(self) -> list[float]:
        done = self.last_epoch >= self.total_iters
        return [b * (self.factor + done * (1 - self.factor)) for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the lr to 0 over ``total_iters`` epochs:
    ``lr = base_lr · (1 − min(epoch, total_iters) / total_iters)^power``."""

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        self.total_iters = _check_int(total_iters, "total_iters", "PolynomialLR", 1)
        self.power = _check_number(power, "power", "PolynomialLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        e, n = self.last_epoch, self.total_iters
        if e == 0 or e > n:
            return [g["lr"] for g in groups]
        factor = ((1.0 - e / n) / (1.0 - (e - 1) / n)) ** self.power
        return [g["lr"] * factor for g in groups]

    def _closed_form_lr(self) -> list[float]:
        e, n = self.last_epoch, self.total_iters
        return [b * (1.0 - min(n, e) / n) ** self.power for b in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter, 2017): cosine annealing from base_lr to ``eta_min`` over
    ``T_i`` epochs, then a restart; the first period is ``T_0`` and each next one is
    ``T_mult`` times longer. ``step(epoch)`` accepts fractional epochs (per-batch updates,
    ``scheduler.step(epoch + i / iters)``), as in PyTorch.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        name = "CosineAnnealingWarmRestarts"
        if isinstance(T_0, bool) or not isinstance(T_0, numbers.Integral) or T_0 <= 0:
            raise ValueError(f"{name}: Expected positive integer T_0, but got {T_0!r}")
        if isinstance(T_mult, bool) or not isinstance(T_mult, numbers.Integral) or T_mult < 1:
            raise ValueError(f"{name}: Expected integer T_mult >= 1, but got {T_mult!r}")
        self.T_0 = int(T_0)
        self.T_i = int(T_0)
        self.T_mult = int(T_mult)
        self.eta_min = _check_number(eta_min, "eta_min", name)
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        c = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (b - self.eta_min) * c for b in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to (possibly fractional) ``epoch``."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            epoch = _check_number(epoch, "epoch", "CosineAnnealingWarmRestarts")
            if epoch < 0:
                raise ValueError(
                    f"CosineAnnealingWarmRestarts: Expected non-negative epoch, but got {epoch}"
                )
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    k = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**k - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**k
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at the epochs in ``milestones`` (one
    fewer than schedulers); e.g. a linear warm-up then a cosine:
    ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 95)],
    milestones=[5])``. At a milestone the next scheduler starts from its epoch 0 (from the
    base lrs)."""

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        name = "SequentialLR"
        _check_optimizer(optimizer, name)
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError(f"{name}: expects at least one scheduler (schedulers)")
        for i, sch in enumerate(schedulers):
            if not isinstance(sch, LRScheduler) or isinstance(sch, ReduceLROnPlateau):
                raise TypeError(
                    f"{name}: schedulers[{i}] must be an LRScheduler (not ReduceLROnPlateau), "
                    f"got {type(sch).__name__}"
                )
            if sch.optimizer is not optimizer:
                raise ValueError(
                    f"{name}: schedulers[{i}] belongs to a different optimizer than the one "
                    f"given (optimizer)"
                )
        milestones = [_check_int(m, "milestones", name, 0) for m in milestones]
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"{name}: Sequential Schedulers expects number of schedulers provided to be one "
                f"more than the number of milestone points, but got {len(schedulers)} "
                f"schedulers and {len(milestones)} milestones"
            )
        self.optimizer = optimizer
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:  # undo the initial steps of the schedulers
            group["lr"] = group["initial_lr"]
        for sch in schedulers:
            sch.last_epoch -= 1
        first = schedulers[0]
        first._step_count = 0
        first.step()
        self._last_lr = first.get_last_lr()

    def step(self, epoch: int | None = None) -> None:  # type: ignore[override]
        """Advance one epoch with the scheduler whose turn it is."""
        if epoch is not None:
            raise TypeError("SequentialLR.step() takes no epoch")
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        sch = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:  # start the next one afresh
            sch.last_epoch = 0
            closed = getattr(sch, "_closed_form_lr", None)
            values = closed() if closed is not None else sch.get_lr()
            for group, lr in zip(self.optimizer.param_groups, values, strict=True):
                group["lr"] = lr
            sch._last_lr = [group["lr"] for group in self.optimizer.param_groups]
        else:
            sch.step()
        self._last_lr = sch.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = {
            k: _copy(v) for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")
        }
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        subs = state.pop("_schedulers", [])
        super().load_state_dict(state)
        for sch, sub in zip(self._schedulers, subs, strict=True):
            sch.load_state_dict(sub)


_LRScheduler = LRScheduler  # PyTorch's older name
