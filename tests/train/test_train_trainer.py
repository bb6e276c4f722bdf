"""The Trainer: training lowers the loss, checkpoints resume exactly, early stopping."""

from __future__ import annotations

import numpy as np
import pytest

import hosila
from hosila import nn, optim
from hosila.data import ArrayDataset, DataLoader, TensorDataset
from hosila.data import transforms as T
from hosila.optim import lr_scheduler
from hosila.train import BestModel, Checkpoint, EarlyStopping, Trainer


def _blobs(n=240, seed=0):
    """Three Gaussian blobs in 16 dimensions, shaped as 1x4x4 images."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centres = rng.normal(size=(3, 16)) * 2
    x = (centres[y] + rng.normal(size=(n, 16))).astype(np.float32)
    return x.reshape(n, 1, 4, 4), y


def _model():
    return nn.Sequential(
        nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 3)
    )


def test_training_lowers_the_loss():
    hosila.manual_seed(0)
    x, y = _blobs()
    train = DataLoader(TensorDataset(x[:200], y[:200]), batch_size=20, shuffle=True, seed=0)
    val = DataLoader(TensorDataset(x[200:], y[200:]), batch_size=64)
    model = _model()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), progress=False, log=None)
    history = trainer.fit(train, val, epochs=5)
    assert len(history) == 5 and trainer.epoch == 5
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_acc"][-1] > 0.9
    assert set(history.keys()) >= {"epoch", "lr", "train_loss", "train_acc", "val_loss",
                                    "val_acc", "seconds", "images_per_s"}  # fmt: skip
    result = trainer.evaluate(val)
    assert result["n"] == 40 and result["acc"] == history["val_acc"][-1]
    assert model.training  # evaluation restores the training mode


def _setup(tmp_path, init_seed):
    """Model, optimizer, schedule, loader with augmentation, callbacks: everything that
    draws random numbers or keeps state."""
    hosila.manual_seed(init_seed)
    x, y = _blobs(120)
    images = ((x - x.min()) / (x.max() - x.min()) * 255).astype(np.uint8)[:, 0]  # (N, 4, 4)
    aug = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(4, padding=1), T.ToTensor()])
    train = DataLoader(ArrayDataset(images[:100], y[:100], transform=aug), batch_size=16,
                       shuffle=True, seed=7)  # fmt: skip
    val = DataLoader(ArrayDataset(images[100:], y[100:], transform=T.ToTensor()), batch_size=8)
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    callbacks = [
        BestModel(tmp_path / "best.safetensors"),
        EarlyStopping(patience=5),
        Checkpoint(tmp_path / "checkpoint.safetensors"),
    ]
    trainer = Trainer(model, opt, scheduler=sched, callbacks=callbacks, progress=False, log=None,
                      config={"name": "test"})  # fmt: skip
    return trainer, train, val


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path):
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    hosila.manual_seed(0)
    straight, train, val = _setup(a_dir, init_seed=1)
    straight.fit(train, val, epochs=3)

    first, train, val = _setup(b_dir, init_seed=1)
    first.fit(train, val, epochs=1)  # "killed" after epoch 1
    hosila.manual_seed(99)  # whatever happened to the global generator in between
    resumed, train, val = _setup(b_dir, init_seed=2)  # fresh objects, other initial weights
    resumed.resume(b_dir / "checkpoint.safetensors")
    assert resumed.epoch == 1
    resumed.fit(train, val, epochs=3)

    want, got = straight.model.state_dict(), resumed.model.state_dict()
    assert list(want) == list(got)
    for key in want:
        np.testing.assert_array_equal(got[key].data, want[key].data, err_msg=key)
    assert resumed.history.records[:2] != [] and len(resumed.history) == 3
    for a, b in zip(straight.history, resumed.history, strict=True):
        assert {k: v for k, v in a.items() if k not in ("seconds", "images_per_s")} == {
            k: v for k, v in b.items() if k not in ("seconds", "images_per_s")
        }
    assert straight.optimizer.param_groups[0]["lr"] == resumed.optimizer.param_groups[0]["lr"]
    # the checkpoint and the best model are hosila.save files with the config
    ckpt = hosila.load(b_dir / "checkpoint.safetensors")
    assert ckpt["epoch"] == 3 and ckpt["config"] == {"name": "test"}
    best = hosila.load(b_dir / "best.safetensors")
    assert best["epoch"] == resumed.callbacks[0].best_epoch
    assert set(best["model"]) == set(want)


def test_a_resumed_run_without_the_loader_state_differs(tmp_path):
    """The loader's generator matters: restoring only the weights is not enough (this is
    what the exact-resume test above guards)."""
    straight, train, val = _setup(tmp_path / "a", init_seed=1)
    straight.fit(train, val, epochs=2)
    first, train, val = _setup(tmp_path / "b", init_seed=1)
    first.fit(train, val, epochs=1)
    other, train, val = _setup(tmp_path / "b", init_seed=1)
    other.resume(tmp_path / "b" / "checkpoint.safetensors")
    other._pending_loader_state = None  # forget where the shuffling was
    other.fit(train, val, epochs=2)
    w1 = straight.model.state_dict()["1.weight"].data
    w2 = other.model.state_dict()["1.weight"].data
    assert not np.array_equal(w1, w2)


def test_early_stopping_stops_the_run(tmp_path):
    hosila.manual_seed(0)
    x, y = _blobs(60)
    loader = DataLoader(TensorDataset(x, y), batch_size=20)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))  # lr 0: the same loss every epoch
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.0),
                      callbacks=[EarlyStopping(monitor="train_loss", patience=2)],
                      progress=False, log=None)  # fmt: skip
    history = trainer.fit(loader, epochs=10)
    assert len(history) == 3 and trainer.stopped
    assert "early stopping" in trainer.stop_reason


def test_bad_arguments(tmp_path):
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="optimizer"):
        Trainer(model, object())
    with pytest.raises(ValueError, match="scheduler_interval"):
        Trainer(model, opt, scheduler_interval="step")
    with pytest.raises(TypeError, match="callbacks"):
        Trainer(model, opt, callbacks=[print])
    with pytest.raises(ValueError, match="epochs"):
        Trainer(model, opt, log=None).fit([], epochs=-1)
    hosila.save({"model": {}}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="not a hosila training checkpoint"):
        Trainer(model, opt).resume(tmp_path / "x.safetensors")
