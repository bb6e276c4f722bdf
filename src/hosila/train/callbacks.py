"""Callbacks of the :class:`~hosila.train.Trainer`: hooks called at the start and end of
training and after every epoch.

* :class:`BestModel` keeps the weights of the best epoch so far (by a monitored metric);
* :class:`EarlyStopping` stops training when the metric has not improved for
  ``patience`` epochs;
* :class:`HistoryFiles` writes the history as JSON and CSV after every epoch;
* :class:`Checkpoint` writes the whole training state after every epoch, so that
  ``Trainer.resume`` can continue exactly where the run stopped.

A callback that keeps state across epochs (a best score, a patience counter) returns it
from ``state_dict()``; the trainer stores it in the checkpoint, so a resumed run makes the
same decisions as an uninterrupted one.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from hosila.train.trainer import Trainer


class Callback:
    """Base class: override the hooks you need. ``order`` sorts callbacks (lower first);
    :class:`Checkpoint` runs last so that it saves the other callbacks' updated state."""

    order: int = 0

    def on_train_begin(self, trainer: Trainer) -> None:
        """Called by ``fit`` before the first epoch it runs."""

    def on_epoch_end(self, trainer: Trainer, record: dict[str, Any]) -> None:
        """Called after each epoch with that epoch's metrics (already in the history)."""

    def on_train_end(self, trainer: Trainer) -> None:
        """Called by ``fit`` when it returns."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


def _check_mode(mode: str, name: str) -> str:
    if mode not in ("min", "max"):
        raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
    return mode


def _value(record: dict[str, Any], monitor: str, name: str) -> tuple[str, float]:
    """The monitored value of ``record``; a ``val_*`` metric falls back to ``train_*``
    when the run has no validation set."""
    key = monitor
    if key not in record and key.startswith("val_"):
        key = "train_" + key[4:]
    if key not in record:
        raise ValueError(f"{name}: the metric {monitor!r} is not recorded (have {sorted(record)})")
    return key, float(record[key])


class _Monitor(Callback):
    def __init__(self, monitor: str, mode: str, min_delta: float, name: str) -> None:
        self.monitor = monitor
        self.mode = _check_mode(mode, name)
        if not min_delta >= 0:
            raise ValueError(f"{name}: min_delta must be >= 0, got {min_delta}")
        self.min_delta = float(min_delta)
        self.best: float | None = None
        self.best_epoch: int | None = None

    def _improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        if self.mode == "max":
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state.get("best")
        self.best_epoch = state.get("best_epoch")


class BestModel(_Monitor):
    """Save the model whenever the monitored metric improves.

    Args:
        path: where the weights go (written with :func:`hosila.save`, atomically): a
            checkpoint ``{"model": state_dict, "config": trainer.config, "epoch": n,
            "metrics": record}`` that ``hosila evaluate`` / ``hosila predict`` read.
        monitor: the metric of the epoch record (default ``"val_acc"``; without a
            validation set ``"train_acc"`` is used).
        mode: ``"max"`` (higher is better) or ``"min"``.
        min_delta: an improvement must exceed this.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_acc",
        mode: str = "max",
        min_delta: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta, "BestModel")
        self.path = os.fspath(path)

    def on_epoch_end(self, trainer: Trainer, record: dict[str, Any]) -> None:
        _, value = _value(record, self.monitor, "BestModel")
        if self._improved(value):
            self.best, self.best_epoch = value, int(record["epoch"])
            trainer.save_model(self.path, epoch=int(record["epoch"]), metrics=record)


class EarlyStopping(_Monitor):
    """Stop training when the monitored metric has not improved for ``patience`` epochs.

    Args:
        monitor: the metric (default ``"val_loss"``, falling back to ``"train_loss"``).
        patience: epochs without improvement tolerated before stopping (>= 1).
        mode: ``"min"`` (lower is better) or ``"max"``.
        min_delta: an improvement must exceed this.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        mode: str = "min",
        min_delta: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta, "EarlyStopping")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an int >= 1, got {patience!r}")
        self.patience = patience
        self.bad_epochs = 0

    def on_epoch_end(self, trainer: Trainer, record: dict[str, Any]) -> None:
        _, value = _value(record, self.monitor, "EarlyStopping")
        if self._improved(value):
            self.best, self.best_epoch, self.bad_epochs = value, int(record["epoch"]), 0
            return
        self.bad_epochs += 1
        if self.bad_epochs >= self.patience:
            trainer.stop(
                f"early stopping: {self.monitor} has not improved for {self.patience} "
                f"epochs (best {self.best:.4g} at epoch {self.best_epoch})"
            )

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.bad_epochs = int(state.get("bad_epochs", 0))


class Checkpoint(Callback):
    """Write the full training state (:meth:`Trainer.state_dict`) to ``path`` after every
    epoch, atomically, for :meth:`Trainer.resume`."""

    order = 100

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)

    def on_epoch_end(self, trainer: Trainer, record: dict[str, Any]) -> None:
        trainer.save_checkpoint(self.path)


class HistoryFiles(Callback):
    """Write the trainer's history to ``folder/history.json`` and ``folder/history.csv``
    after every epoch (atomically)."""

    order = 50

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = os.fspath(folder)

    def on_epoch_end(self, trainer: Trainer, record: dict[str, Any]) -> None:
        trainer.history.save(self.folder)
