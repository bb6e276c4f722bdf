"""BestModel and EarlyStopping decisions (on a stand-in trainer)."""

from __future__ import annotations

import pytest

from hosila.train import BestModel, EarlyStopping


class _Trainer:
    def __init__(self):
        self.saved = []
        self.stop_reason = None

    def save_model(self, path, epoch=None, metrics=None):
        self.saved.append(epoch)

    def stop(self, reason):
        self.stop_reason = reason


def test_best_model_saves_on_improvement_only():
    t, cb = _Trainer(), BestModel("x.safetensors", monitor="val_acc")
    for epoch, acc in enumerate([0.5, 0.7, 0.6, 0.7, 0.8], start=1):
        cb.on_epoch_end(t, {"epoch": epoch, "val_acc": acc, "train_acc": 0.0})
    assert t.saved == [1, 2, 5]
    assert cb.best == 0.8 and cb.best_epoch == 5


def test_best_model_falls_back_to_training_metric():
    t, cb = _Trainer(), BestModel("x.safetensors", monitor="val_acc")
    cb.on_epoch_end(t, {"epoch": 1, "train_acc": 0.3})
    cb.on_epoch_end(t, {"epoch": 2, "train_acc": 0.2})
    assert t.saved == [1]


def test_early_stopping_patience_and_state():
    t, cb = _Trainer(), EarlyStopping(monitor="val_loss", patience=2)
    losses = [1.0, 0.8, 0.9, 0.85]
    for epoch, loss in enumerate(losses[:3], start=1):
        cb.on_epoch_end(t, {"epoch": epoch, "val_loss": loss})
    assert t.stop_reason is None and cb.bad_epochs == 1
    state = cb.state_dict()
    resumed = EarlyStopping(monitor="val_loss", patience=2)
    resumed.load_state_dict(state)
    resumed.on_epoch_end(t, {"epoch": 4, "val_loss": losses[3]})
    assert t.stop_reason is not None and "epoch 2" in t.stop_reason


def test_bad_arguments():
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="mode"):
        BestModel("x", mode="up")
    with pytest.raises(ValueError, match="not recorded"):
        EarlyStopping(monitor="bleu").on_epoch_end(_Trainer(), {"epoch": 1, "val_loss": 1.0})
