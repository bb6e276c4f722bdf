"""The ``hosila train``, ``hosila evaluate`` and ``hosila predict`` commands as functions.

* :func:`load_data` reads a data set (Digits, CIFAR-10, MNIST or an image folder) into
  uint8 images, holds out a validation split and computes the per-channel mean and std
  of the training part;
* :func:`preprocessing` / :func:`make_transform` describe and build the input pipeline
  (augmentation, ``ToTensor``, ``Normalize``); the description is stored in every
  checkpoint so that evaluation and prediction prepare images exactly as training did;
* :func:`train`, :func:`evaluate`, :func:`predict` do the work of the commands.

A run folder (``--out``, default ``runs/<data>-<model>``) holds ``config.json``,
``checkpoint.safetensors`` (the full state after the last epoch, for ``--resume``),
``best.safetensors`` (the weights of the best validation epoch, with the config),
``model.safetensors`` (those weights alone, a flat ``state_dict`` that PyTorch reads),
``history.json`` / ``history.csv``, ``results.json`` and the plots ``curves.png``,
``confusion.png`` and ``predictions.png``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import hosila
from hosila.data import transforms as T
from hosila.data._util import atomic_write
from hosila.data.sources import DATA_SETS, read_split

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
SCHEDULES = ("none", "step", "cosine", "onecycle", "plateau")
DEFAULT_LR = {
    "sgd": 0.01,
    "momentum": 0.01,
    "nesterov": 0.01,
    "adagrad": 0.01,
    "rmsprop": 1e-3,
    "adam": 1e-3,
}
# Per data set: the defaults of options not given on the command line.
DEFAULTS: dict[str, dict[str, Any]] = {
    "digits": {"model": "smallcnn", "epochs": 12, "batch_size": 32, "optimizer": "adam",
               "lr": 2e-3, "schedule": "cosine"},
    "mnist": {"model": "lenet5", "epochs": 3, "batch_size": 64, "optimizer": "adam",
              "schedule": "none"},
    "cifar10": {"model": "convnet3", "epochs": 3, "batch_size": 64, "optimizer": "adam",
                "lr": 3e-3, "schedule": "onecycle", "val_split": 5000},
    "folder": {"model": "convnet3", "epochs": 10, "batch_size": 64, "optimizer": "adam",
               "schedule": "none"},
}  # fmt: skip


@dataclass
class Data:
    """Images of a run: ``train``/``val``/``test`` are ``(images uint8 (N, H, W[, C]),
    labels int64 (N,))`` (``val``/``test`` may be ``None``)."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray] | None
    classes: list[str]
    mode: str  # "L" (grey) or "RGB"
    source: dict[str, Any] = field(default_factory=dict)


# ---- data --------------------------------------------------------------------------------


def _val_count(val_split: float, n: int) -> int:
    if val_split < 0:
        raise ValueError(f"--val-split must be >= 0, got {val_split}")
    k = int(round(val_split * n)) if val_split < 1 else int(val_split)
    if k >= n:
        raise ValueError(f"--val-split {val_split} leaves no training images (of {n})")
    return k


def load_data(
    data: str,
    root: str | None = None,
    *,
    val_split: float = 0.1,
    seed: int = 0,
    limit: int | None = None,
    image_size: int | None = None,
    test: bool = True,
) -> Data:
    """Read the data set ``data`` (one of ``DATA_SETS``).

    Args:
        root: where its files are (``cifar10``: the official pickles or an ImageFolder
            copy with ``train/`` and ``test/``, default ``~/.cache/hosila/cifar10``;
            ``folder``: ``root/<class>/*`` or ``root/{train,test}/<class>/*``).
        val_split: training images held out for validation: a fraction (< 1) or a count.
        seed: the held-out images are chosen by a permutation drawn with this seed.
        limit: keep at most this many training (and test) images (quick trials).
        image_size: resize folder images to this size on load.
        test: also read the test part.
    """
    size = None if image_size is None else (int(image_size), int(image_size))
    tr = read_split(data, root, True, size)
    assert tr is not None
    x, y, classes = tr
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    if limit is not None:
        order = order[:limit]
    k = _val_count(val_split, len(order))
    val = (x[order[:k]], y[order[:k]]) if k else None
    keep = np.sort(order[k:])
    train = (x[keep], y[keep])
    te = read_split(data, root, False, size) if test else None
    test_part = None
    if te is not None:
        if te[2] != classes:
            raise ValueError(
                f"the test images have classes {te[2]} but the training images {classes}"
            )
        test_part = (te[0][:limit], te[1][:limit]) if limit is not None else (te[0], te[1])
    mode = "L" if x.ndim == 3 else "RGB"
    source = {"data": data, "root": None if root is None else str(Path(root).expanduser())}
    return Data(train, val, test_part, list(classes), mode, source)


def channel_stats(images: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of uint8 images ``(N, H, W[, C])`` scaled to [0, 1]
    (summed in float64, in chunks)."""
    x = images if images.ndim == 4 else images[..., None]
    c = x.shape[-1]
    total = np.zeros(c)
    total_sq = np.zeros(c)
    for start in range(0, x.shape[0], 4096):
        chunk = x[start : start + 4096].reshape(-1, c).astype(np.float64) / 255.0
        total += chunk.sum(axis=0)
        total_sq += np.square(chunk).sum(axis=0)
    n = x.shape[0] * x.shape[1] * x.shape[2]
    mean = total / n
    std = np.sqrt(np.maximum(total_sq / n - mean**2, 0.0))
    std = np.where(std < 1e-6, 1.0, std)
    return [float(v) for v in mean], [float(v) for v in std]


def preprocessing(data: Data) -> dict[str, Any]:
    """What a model trained on ``data`` expects: ``{"mode", "size" [H, W], "mean",
    "std", "classes", "in_channels"}`` (mean/std per channel of the training images)."""
    images = data.train[0]
    mean, std = channel_stats(images)
    return {
        "mode": data.mode,
        "size": [int(images.shape[1]), int(images.shape[2])],
        "in_channels": 1 if data.mode == "L" else 3,
        "mean": mean,
        "std": std,
        "classes": list(data.classes),
    }


def make_transform(prep: dict[str, Any], augment: bool = False) -> T.Compose:
    """uint8 images → normalised float tensors ``(N, C, H, W)``; with ``augment``, first a
    random crop after padding by 1/8 of the size (and, for colour images, a random
    horizontal flip)."""
    steps: list[Any] = []
    if augment:
        h, w = prep["size"]
        steps.append(T.RandomCrop((h, w), padding=max(1, min(h, w) // 8)))
        if prep["mode"] == "RGB":
            steps.append(T.RandomHorizontalFlip())
    steps += [T.ToTensor(), T.Normalize(prep["mean"], prep["std"])]
    return T.Compose(steps)


def dataset(
    part: tuple[np.ndarray, np.ndarray], prep: dict[str, Any], augment: bool = False
) -> Any:
    return hosila.data.ArrayDataset(
        part[0], part[1], prep["classes"], transform=make_transform(prep, augment)
    )


# ---- training ----------------------------------------------------------------------------


def make_optimizer(name: str, params: Any, lr: float, weight_decay: float) -> Any:
    """``sgd``, ``momentum`` (SGD, momentum 0.9), ``nesterov``, ``adagrad``, ``rmsprop``,
    ``adam`` (PyTorch's defaults otherwise)."""
    from hosila import optim

    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "nesterov":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"--optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")


def make_scheduler(name: str, optimizer: Any, epochs: int, steps_per_epoch: int) -> tuple[Any, str]:
    """The schedule and whether it is stepped per ``"epoch"`` or per ``"batch"``:
    ``step`` (×0.1 after every third of the epochs),
    ``cosine`` (to 0 over the run), ``onecycle`` (peak at the given lr), ``plateau``
    (×0.1 after 2 epochs without a lower validation loss)."""
    from hosila.optim import lr_scheduler as S

    if name == "none":
        return None, "epoch"
    if name == "step":
        return S.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1), "epoch"
    if name == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=max(1, epochs)), "epoch"
    if name == "onecycle":
        lr = optimizer.param_groups[0]["lr"]
        return S.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch), "batch"
    if name == "plateau":
        return S.ReduceLROnPlateau(optimizer, factor=0.1, patience=2), "epoch"
    raise ValueError(f"--schedule must be one of {', '.join(SCHEDULES)}, got {name!r}")


def default_out(data: str, model: str) -> str:
    return os.path.join("runs", f"{data}-{model}")


def _write_json(path: Path, obj: Any) -> None:
    with atomic_write(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def complete_config(options: dict[str, Any]) -> dict[str, Any]:
    """Fill the options not given (``None``) with the defaults of the data set."""
    cfg = dict(options)
    data = cfg.get("data") or "digits"
    if data not in DATA_SETS:
        raise ValueError(f"--data must be one of {', '.join(DATA_SETS)}, got {data!r}")
    cfg["data"] = data
    defaults = DEFAULTS[data]
    own_optimizer = cfg.get("optimizer") in (None, defaults["optimizer"])
    for key, value in defaults.items():
        if cfg.get(key) is None and (key != "lr" or own_optimizer):
            cfg[key] = value
    if cfg.get("lr") is None:
        cfg["lr"] = DEFAULT_LR[cfg["optimizer"]]
    fallback = {"weight_decay": 0.0, "augment": False, "val_split": 0.1, "seed": 0,
                "patience": 0, "limit": None, "image_size": None, "root": None,
                "no_test": False}  # fmt: skip
    for key, value in fallback.items():
        cfg.setdefault(key, value)
        if cfg[key] is None:
            cfg[key] = value
    if cfg.get("out") is None:
        cfg["out"] = default_out(data, cfg["model"])
    from hosila.models import MODELS

    if cfg["model"] not in MODELS:
        raise ValueError(
            f"--model must be one of {', '.join(sorted(MODELS))}, got {cfg['model']!r}"
        )
    if cfg["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"--optimizer must be one of {', '.join(OPTIMIZERS)}")
    if cfg["schedule"] not in SCHEDULES:
        raise ValueError(f"--schedule must be one of {', '.join(SCHEDULES)}")
    return cfg


def build_model(config: dict[str, Any]) -> Any:
    """The model of a config (``model`` name and the ``preprocessing`` entry)."""
    from hosila.models import get_model

    prep = config["preprocessing"]
    return get_model(
        config["model"], prep["in_channels"], len(prep["classes"]), tuple(prep["size"])
    )


def train(options: dict[str, Any], *, resume: bool = False, progress: bool = True) -> dict:
    """Train as ``hosila train`` does; returns the results (also in ``results.json``).

    ``options``: the command's options (``data, root, model, epochs, batch_size,
    optimizer, lr, weight_decay, schedule, augment, val_split, out, seed, patience, limit,
    image_size, no_test``); ``None`` values take the data set's defaults. ``resume=True``
    continues the run in ``out`` from its checkpoint with the stored options (only
    ``epochs`` may be raised).
    """
    from hosila.train.callbacks import BestModel, Checkpoint, EarlyStopping, HistoryFiles
    from hosila.train.trainer import Trainer

    started = time.perf_counter()
    if resume:
        out = Path(
            options.get("out")
            or default_out(options.get("data") or "digits", options.get("model") or "smallcnn")
        )
        ckpt_path = out / "checkpoint.safetensors"
        if not ckpt_path.is_file():
            raise FileNotFoundError(f"--resume: no checkpoint in {out} ({ckpt_path} is missing)")
        state = hosila.load(ckpt_path)
        if not isinstance(state, dict) or "config" not in state:
            raise ValueError(f"{ckpt_path} is not a hosila training checkpoint")
        cfg = dict(state["config"])
        epochs = options.get("epochs")
        if epochs is not None and epochs != cfg["epochs"]:
            if cfg["schedule"] in ("cosine", "onecycle"):
                raise ValueError(
                    f"--epochs cannot change on --resume with --schedule {cfg['schedule']} "
                    f"(the schedule depends on the number of epochs)"
                )
            cfg["epochs"] = int(epochs)
        print(f"resuming {out} after epoch {state['epoch']} of {cfg['epochs']}")
    else:
        cfg = complete_config(options)
        cfg.pop("preprocessing", None)
        out = Path(cfg["out"])
        state = None
    cfg["out"] = str(out)

    hosila.manual_seed(int(cfg["seed"]))
    data = load_data(
        cfg["data"], cfg["root"], val_split=cfg["val_split"], seed=int(cfg["seed"]),
        limit=cfg["limit"], image_size=cfg["image_size"], test=not cfg.get("no_test"),
    )  # fmt: skip
    prep = preprocessing(data)
    if state is not None and state["config"]["preprocessing"]["classes"] != prep["classes"]:
        raise ValueError("--resume: the data set's classes differ from the checkpoint's")
    cfg["preprocessing"] = state["config"]["preprocessing"] if state is not None else prep
    prep = cfg["preprocessing"]

    model = build_model(cfg)
    optimizer = make_optimizer(cfg["optimizer"], model.parameters(), cfg["lr"], cfg["weight_decay"])
    train_loader = hosila.data.DataLoader(
        dataset(data.train, prep, cfg["augment"]), batch_size=cfg["batch_size"], shuffle=True,
        seed=int(cfg["seed"]), prefetch=1,
    )  # fmt: skip
    scheduler, interval = make_scheduler(
        cfg["schedule"], optimizer, cfg["epochs"], len(train_loader)
    )
    val_loader = None
    if data.val is not None:
        val_loader = hosila.data.DataLoader(dataset(data.val, prep), batch_size=256)
    callbacks: list[Any] = [BestModel(out / "best.safetensors", monitor="val_loss", mode="min")]
    if cfg["patience"]:
        callbacks.append(EarlyStopping(monitor="val_loss", patience=int(cfg["patience"])))
    callbacks += [HistoryFiles(out), Checkpoint(out / "checkpoint.safetensors")]
    trainer = Trainer(
        model, optimizer, scheduler=scheduler, scheduler_interval=interval,
        callbacks=callbacks, config=cfg, progress=progress,
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / "config.json", cfg)
    if state is not None:
        trainer.load_state_dict(state)
    else:
        for stale in ("checkpoint.safetensors", "best.safetensors"):
            (out / stale).unlink(missing_ok=True)
    n_params = sum(int(p.numel()) for p in model.parameters())
    print(
        f"training {cfg['model']} ({n_params:,} parameters) on {cfg['data']}: "
        f"{len(data.train[1])} training, {0 if data.val is None else len(data.val[1])} "
        f"validation images, {cfg['epochs']} epochs, {cfg['optimizer']} lr {cfg['lr']:g}, "
        f"batch {cfg['batch_size']}"
    )
    trainer.fit(train_loader, val_loader, epochs=int(cfg["epochs"]))
    trainer.history.save(out)

    from hosila.train.plots import plot_history

    results: dict[str, Any] = {"epochs_run": trainer.epoch, "stop_reason": trainer.stop_reason}
    if len(trainer.history):
        plot_history(trainer.history, out / "curves.png")
    best = hosila.load(out / "best.safetensors") if (out / "best.safetensors").is_file() else None
    if best is not None:
        model.load_state_dict(best["model"])
        results["best_epoch"] = best["epoch"]
        results["best_val_acc"] = best["metrics"].get("val_acc")
    # the chosen weights as a flat state_dict: safetensors.torch.load_file() reads it into
    # the PyTorch twin get_model(name, ..., nn=torch.nn)
    hosila.save(model.state_dict(), out / "model.safetensors")
    if data.test is not None:
        test_loader = hosila.data.DataLoader(dataset(data.test, prep), batch_size=256)
        scores, labels = trainer.predict(test_loader)
        results.update(_report(scores, labels, data.test[0], prep["classes"], out))
    results["seconds"] = time.perf_counter() - started
    _write_json(out / "results.json", results)
    if "test_acc" in results:
        print(
            f"test accuracy {results['test_acc']:.4f} (top-5 {results['test_top5']:.4f}) "
            f"on {results['test_n']} images, best epoch {results.get('best_epoch')}"
        )
    print(
        f"run folder {out}: "
        + ", ".join(sorted(p.name for p in out.iterdir() if not p.name.startswith(".")))
    )
    print(f"wall time {results['seconds']:.1f} s")
    return results


def _report(
    scores: np.ndarray, labels: np.ndarray, images: np.ndarray, classes: list[str], out: Path | None
) -> dict[str, Any]:
    """Accuracy, top-5, loss and per-class accuracy of ``scores``; with ``out`` also the
    confusion matrix and the prediction grid as PNG files."""
    from hosila.train.metrics import accuracy, confusion_matrix, topk_accuracy
    from hosila.train.plots import plot_confusion_matrix, plot_predictions

    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-logp[np.arange(len(labels)), labels].mean())
    cm = confusion_matrix(scores, labels, len(classes))
    per_class = cm.diagonal() / np.maximum(cm.sum(axis=1), 1)
    result = {
        "test_acc": accuracy(scores, labels),
        "test_top5": topk_accuracy(scores, labels, 5),
        "test_loss": loss,
        "test_n": int(len(labels)),
        "per_class_acc": {c: float(a) for c, a in zip(classes, per_class, strict=True)},
    }
    if out is not None:
        plot_confusion_matrix(cm, classes, out / "confusion.png")
        k = min(32, len(labels))
        plot_predictions(images[:k], scores[:k].argmax(axis=1), labels[:k], classes,
                         out / "predictions.png")  # fmt: skip
    return result


# ---- evaluation and prediction -----------------------------------------------------------


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[Any, dict[str, Any], Path]:
    """The model and config stored in a checkpoint file or a run folder (its
    ``best.safetensors``, else ``checkpoint.safetensors``)."""
    p = Path(path).expanduser()
    if p.is_dir():
        for name in ("best.safetensors", "checkpoint.safetensors"):
            if (p / name).is_file():
                p = p / name
                break
        else:
            raise FileNotFoundError(f"{path}: the run folder holds no checkpoint")
    if not p.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint or run folder")
    state = hosila.load(p)
    if (
        not isinstance(state, dict)
        or not isinstance(state.get("config"), dict)
        or "preprocessing" not in state["config"]
        or "model" not in state
    ):
        raise ValueError(f"{p} is not a checkpoint written by hosila train")
    config = state["config"]
    model = build_model(config)
    model.load_state_dict(state["model"])
    model.eval()
    return model, config, p


def evaluate(
    checkpoint: str | os.PathLike[str],
    data: str | None = None,
    root: str | None = None,
    *,
    split: str = "test",
    batch_size: int = 256,
    out: str | os.PathLike[str] | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Accuracy, top-5 accuracy, loss and per-class accuracy of a trained model on a data
    set (by default the one it was trained on), prepared as in training; ``limit``: only
    the first images."""
    from hosila.train.trainer import predict as predict_scores

    model, config, path = load_checkpoint(checkpoint)
    prep = config["preprocessing"]
    if data is None:
        data, root = config["data"], root or config.get("root")
    if split not in ("test", "train"):
        raise ValueError(f"--split must be 'test' or 'train', got {split!r}")
    size = None if data == "digits" else tuple(prep["size"])
    mode = prep["mode"]
    part = read_split(data, root, split == "train", size, mode)  # type: ignore[arg-type]
    if part is None and split == "test" and data == "folder":
        part = read_split(data, root, True, size, mode)  # a plain folder of class folders
    if part is None:
        raise ValueError(f"{data} at {root} has no {split} images")
    images, labels, classes = part
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    if list(classes) != list(prep["classes"]):
        # a folder may hold some of the classes: match them by name
        unknown = [c for c in classes if c not in prep["classes"]]
        if unknown:
            raise ValueError(
                f"the images have classes {unknown} that the model does not know (it was "
                f"trained on {prep['classes']})"
            )
        index = np.array([prep["classes"].index(c) for c in classes], dtype=np.int64)
        labels = index[labels]
    if (images.ndim == 3) != (prep["mode"] == "L") or list(images.shape[1:3]) != prep["size"]:
        raise ValueError(
            f"the images are {images.shape[1:]}, the model expects {prep['mode']} images of "
            f"size {prep['size']}"
        )
    loader = hosila.data.DataLoader(dataset((images, labels), prep), batch_size=batch_size)
    scores, labels = predict_scores(model, loader)
    out_path = None if out is None else Path(out)
    if out_path is not None:
        out_path.mkdir(parents=True, exist_ok=True)
    result = _report(scores, labels, images, prep["classes"], out_path)
    result["checkpoint"] = str(path)
    if out_path is not None:
        _write_json(out_path / "evaluation.json", result)
    return result


def load_image(path: str | os.PathLike[str], prep: dict[str, Any]) -> np.ndarray:
    """Decode an image file with Pillow as training images were: converted to the
    model's mode (``RGB``/``L``) and resized (bilinear) to its size; uint8 (H, W[, C])."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = img.convert(prep["mode"])
            h, w = prep["size"]
            if img.size != (w, h):
                img = img.resize((w, h), Image.BILINEAR)
            return np.asarray(img, dtype=np.uint8)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such image: {path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"cannot decode the image {path}: {exc}") from None


def predict(
    checkpoint: str | os.PathLike[str], images: list[str], top: int = 5
) -> list[list[tuple[str, float]]]:
    """For each image file, the ``top`` most likely classes and their probabilities
    (softmax of the model's scores), most likely first."""
    if top < 1:
        raise ValueError(f"--top must be >= 1, got {top}")
    model, config, _ = load_checkpoint(checkpoint)
    prep = config["preprocessing"]
    batch = np.stack([load_image(p, prep) for p in images])
    x = make_transform(prep).apply_batch(batch)
    with hosila.no_grad():
        scores = np.asarray(model(hosila.from_numpy(np.ascontiguousarray(x))).data)
    scores = scores.astype(np.float64)
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    k = min(top, probs.shape[1])
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    classes = prep["classes"]
    return [[(classes[j], float(probs[i, j])) for j in order[i]] for i in range(len(images))]
