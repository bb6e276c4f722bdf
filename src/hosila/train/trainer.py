"""``Trainer``: the training loop with progress bars, history, checkpoints and exact resume.

>>> trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-3),
...                   callbacks=[BestModel("run/best.safetensors"),
...                              Checkpoint("run/checkpoint.safetensors")])
>>> history = trainer.fit(train_loader, val_loader, epochs=10)

One epoch: ``model.train()``; for every batch ``(x, y)`` of the training loader, the
forward pass, the loss, ``optimizer.zero_grad()``, ``loss.backward()``,
``optimizer.step()`` (and ``scheduler.step()`` when the schedule is stepped per batch);
then ``model.eval()`` and the validation pass under ``no_grad``; then the per-epoch
scheduler step, the epoch's record in the history and the callbacks.

**Exact resume.** ``state_dict()`` holds everything that decides the rest of the run: the
model's and optimizer's state, the scheduler's, hosila's global random generator (dropout,
initialisation), the training loader's own generator (the next epoch's shuffling order
and augmentation seed), the epoch counter, the history and the callbacks' state. Loading it
into a freshly built trainer (:meth:`resume`) and calling ``fit`` with the same loaders
repeats the remaining epochs bit for bit: a run killed after epoch k and resumed ends with
the same weights as one never interrupted. Checkpoints are written at epoch ends, so a run
killed mid-epoch repeats that epoch from its start.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

import hosila
from hosila.random import get_rng_state, set_rng_state
from hosila.train.callbacks import Callback
from hosila.train.history import History

CHECKPOINT_FORMAT = "hosila.train/1"


def _default_loss() -> Callable[[Any, Any], Any]:
    from hosila.nn.functional import cross_entropy

    return cross_entropy


def _as_numpy(x: Any) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, hosila.Tensor) else x)


class Trainer:
    """Train a classifier.

    Args:
        model: a ``hosila.nn.Module`` mapping images ``(B, ...)`` to scores ``(B, C)``.
        optimizer: a ``hosila.optim`` optimizer over the model's parameters.
        loss_fn: ``loss_fn(scores, labels) -> scalar Tensor`` (default
            ``hosila.nn.functional.cross_entropy``).
        scheduler: an ``lr_scheduler`` or ``None``. ``ReduceLROnPlateau`` is stepped with
            the validation loss (training loss without validation data).
        scheduler_interval: ``"epoch"`` (step after every epoch) or ``"batch"`` (after every
            optimizer step, e.g. for ``OneCycleLR``).
        callbacks: :class:`~hosila.train.callbacks.Callback` objects (best model, early
            stopping, checkpoint...).
        config: a JSON-able dict stored in every checkpoint (how to rebuild the model and
            preprocess its input: ``hosila evaluate`` / ``predict`` read it).
        progress: show a tqdm progress bar per epoch (running loss, accuracy, images/s)
            when the output is a terminal.
        log: called with one line per epoch (default ``print``; ``None``: silent).
    """

    def __init__(
        self,
        model: Any,
        optimizer: Any,
        loss_fn: Callable[[Any, Any], Any] | None = None,
        scheduler: Any = None,
        *,
        scheduler_interval: str = "epoch",
        callbacks: Sequence[Callback] = (),
        config: dict[str, Any] | None = None,
        progress: bool = True,
        log: Callable[[str], Any] | None = print,
    ) -> None:
        if not callable(model):
            raise TypeError(f"Trainer: model must be callable, got {type(model).__name__}")
        if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
            raise TypeError(
                f"Trainer: optimizer must be a hosila.optim optimizer, got "
                f"{type(optimizer).__name__}"
            )
        if scheduler_interval not in ("epoch", "batch"):
            raise ValueError(
                f"Trainer: scheduler_interval must be 'epoch' or 'batch', got "
                f"{scheduler_interval!r}"
            )
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Trainer: callbacks must be Callback objects, got {cb!r}")
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn if loss_fn is not None else _default_loss()
        self.scheduler = scheduler
        self.scheduler_interval = scheduler_interval
        self.callbacks = sorted(callbacks, key=lambda cb: cb.order)
        self.config = dict(config or {})
        self.progress = bool(progress)
        self.log = log
        self.history = History()
        self.epoch = 0  # completed epochs
        self.stop_reason: str | None = None
        self._train_loader: Any = None
        self._pending_loader_state: dict[str, Any] | None = None

    # ---- control ---------------------------------------------------------------------------

    def stop(self, reason: str = "stopped") -> None:
        """Ask ``fit`` to stop after the current epoch (used by EarlyStopping)."""
        self.stop_reason = reason

    @property
    def stopped(self) -> bool:
        return self.stop_reason is not None

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)

    # ---- the loop ----------------------------------------------------------------------------

    def fit(self, train_loader: Iterable[Any], val_loader: Any = None, epochs: int = 1) -> History:
        """Train until ``epochs`` epochs are complete in total (counting those before a
        resume) or a callback stops the run; returns the history."""
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"Trainer.fit: epochs must be an int >= 0, got {epochs!r}")
        self._train_loader = train_loader
        if self._pending_loader_state is not None:
            gen = _loader_generator(train_loader)
            if gen is not None:
                gen.bit_generator.state = self._pending_loader_state
            self._pending_loader_state = None
        for cb in self.callbacks:
            cb.on_train_begin(self)
        while self.epoch < epochs and not self.stopped:
            record = self._train_epoch(train_loader, epochs)
            if val_loader is not None:
                val = self.evaluate(val_loader)
                record["val_loss"], record["val_acc"] = val["loss"], val["acc"]
            if self.scheduler is not None and self.scheduler_interval == "epoch":
                if type(self.scheduler).__name__ == "ReduceLROnPlateau":
                    self.scheduler.step(record.get("val_loss", record["train_loss"]))
                else:
                    self.scheduler.step()
            self.epoch += 1
            self.history.append(record)
            self._say(_summary(record, epochs))
            for cb in self.callbacks:
                cb.on_epoch_end(self, record)
        if self.stop_reason:
            self._say(self.stop_reason)
        for cb in self.callbacks:
            cb.on_train_end(self)
        return self.history

    def _train_epoch(self, loader: Iterable[Any], epochs: int) -> dict[str, Any]:
        from tqdm.auto import tqdm

        self.model.train()
        lr = float(self.optimizer.param_groups[0]["lr"])
        total = len(loader) if hasattr(loader, "__len__") else None
        bar = tqdm(
            total=total,
            desc=f"epoch {self.epoch + 1}/{epochs}",
            unit="batch",
            leave=False,
            disable=None if self.progress else True,  # None: only on a terminal
            dynamic_ncols=True,
        )
        loss_sum, n_correct, n_seen = 0.0, 0, 0
        start = time.perf_counter()
        try:
            for x, y in loader:
                out = self.model(x)
                loss = self.loss_fn(out, y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                if self.scheduler is not None and self.scheduler_interval == "batch":
                    self.scheduler.step()
                labels = _as_numpy(y)
                n = int(labels.shape[0])
                loss_sum += float(loss.item()) * n
                n_correct += int(np.count_nonzero(_as_numpy(out).argmax(axis=1) == labels))
                n_seen += n
                bar.update(1)
                if self.progress:
                    elapsed = time.perf_counter() - start
                    bar.set_postfix(
                        loss=f"{loss_sum / n_seen:.4f}",
                        acc=f"{n_correct / n_seen:.3f}",
                        img_s=f"{n_seen / max(elapsed, 1e-9):.0f}",
                        refresh=False,
                    )
        finally:
            bar.close()
        seconds = time.perf_counter() - start
        if n_seen == 0:
            raise ValueError("Trainer.fit: the training loader gave no batches")
        if not math.isfinite(loss_sum):
            self.stop(f"the training loss is {loss_sum / n_seen} (lower the learning rate)")
        return {
            "epoch": self.epoch + 1,
            "lr": lr,
            "train_loss": loss_sum / n_seen,
            "train_acc": n_correct / n_seen,
            "seconds": seconds,
            "images_per_s": n_seen / max(seconds, 1e-9),
        }

    # ---- evaluation ------------------------------------------------------------------------

    def predict(self, loader: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Scores ``(N, C)`` float32 and labels ``(N,)`` of every batch of ``loader``
        (see :func:`predict`)."""
        return predict(self.model, loader)

    def evaluate(self, loader: Iterable[Any]) -> dict[str, float]:
        """Mean loss and accuracy over ``loader``: ``{"loss": ..., "acc": ..., "n": N}``."""
        scores, labels = self.predict(loader)
        with hosila.no_grad():
            loss = self.loss_fn(hosila.from_numpy(scores), hosila.from_numpy(labels))
        acc = float(np.count_nonzero(scores.argmax(axis=1) == labels)) / len(labels)
        return {"loss": float(loss.item()), "acc": acc, "n": int(len(labels))}

    # ---- checkpoints ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue the run exactly (see the module docstring)."""
        gen = _loader_generator(self._train_loader)
        return {
            "format": CHECKPOINT_FORMAT,
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "rng": {
                "hosila": get_rng_state(),
                "loader": None if gen is None else gen.bit_generator.state,
            },
            "history": self.history.state_dict(),
            "callbacks": [cb.state_dict() for cb in self.callbacks],
            "stop_reason": self.stop_reason,
            "config": self.config,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (the model and optimizer must be built
        the same way as in the run that wrote it)."""
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(
                f"not a hosila training checkpoint (expected format {CHECKPOINT_FORMAT!r})"
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            if state["scheduler"] is None:
                raise ValueError("the checkpoint has no scheduler state but a scheduler is set")
            self.scheduler.load_state_dict(state["scheduler"])
        cb_states = state.get("callbacks", [])
        if len(cb_states) != len(self.callbacks):
            raise ValueError(
                f"the checkpoint holds the state of {len(cb_states)} callbacks, the trainer "
                f"has {len(self.callbacks)}"
            )
        for cb, cb_state in zip(self.callbacks, cb_states, strict=True):
            cb.load_state_dict(cb_state)
        self.history.load_state_dict(state["history"])
        self.epoch = int(state["epoch"])
        self.stop_reason = state.get("stop_reason")
        set_rng_state(state["rng"]["hosila"])
        self._pending_loader_state = state["rng"]["loader"]

    def save_checkpoint(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`state_dict` to ``path`` with ``hosila.save`` (atomically)."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        hosila.save(self.state_dict(), path)

    def resume(self, path: str | os.PathLike[str]) -> None:
        """Load the state a :class:`~hosila.train.callbacks.Checkpoint` wrote; the next
        ``fit`` continues from the epoch after the last one completed."""
        self.load_state_dict(hosila.load(path))

    def save_model(
        self,
        path: str | os.PathLike[str],
        epoch: int | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        """Write the model's weights with the config: ``{"model", "config", "epoch",
        "metrics"}`` (what ``hosila evaluate`` and ``hosila predict`` load)."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        hosila.save(
            {
                "format": "hosila.model/1",
                "model": self.model.state_dict(),
                "config": self.config,
                "epoch": self.epoch if epoch is None else epoch,
                "metrics": dict(metrics or {}),
            },
            path,
        )


def predict(model: Any, loader: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Scores ``(N, C)`` and labels ``(N,)`` of every batch ``(x, y)`` of ``loader``, with
    ``model.eval()`` and no gradients (the model's mode is restored afterwards)."""
    was_training = getattr(model, "training", True)
    model.eval()
    outs, labels = [], []
    try:
        with hosila.no_grad():
            for x, y in loader:
                outs.append(_as_numpy(model(x)))
                labels.append(_as_numpy(y))
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("predict: the loader gave no batches")
    return np.concatenate(outs), np.concatenate(labels)


def _loader_generator(loader: Any) -> np.random.Generator | None:
    """The loader's own random generator (``DataLoader(seed=...)``), if it has one; a
    loader without one draws from hosila's global generator, saved separately."""
    gen = getattr(loader, "_generator", None)
    return gen if isinstance(gen, np.random.Generator) else None


def _summary(record: dict[str, Any], epochs: int) -> str:
    parts = [f"epoch {record['epoch']}/{epochs}"]
    parts.append(f"train loss {record['train_loss']:.4f} acc {record['train_acc']:.4f}")
    if "val_loss" in record:
        parts.append(f"val loss {record['val_loss']:.4f} acc {record['val_acc']:.4f}")
    parts.append(f"lr {record['lr']:.3g}")
    parts.append(f"{record['seconds']:.1f} s ({record['images_per_s']:.0f} img/s)")
    return " | ".join(parts)
