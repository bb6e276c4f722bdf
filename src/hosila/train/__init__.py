"""hosila.train: the training loop and what surrounds it.

* :class:`Trainer` — epochs of training and validation with tqdm progress bars,
  per-epoch history, checkpoints and exact resume (``trainer.py``);
* callbacks: :class:`BestModel`, :class:`EarlyStopping`, :class:`HistoryFiles`,
  :class:`Checkpoint`;
* :class:`History` — per-epoch metrics saved as JSON and CSV;
* metrics: :func:`accuracy`, :func:`topk_accuracy`, :func:`confusion_matrix`;
* plots: :func:`plot_history`, :func:`plot_confusion_matrix`, :func:`plot_predictions`;
* :mod:`hosila.train.run` — the ``hosila train / evaluate / predict`` commands as
  functions (data sets, preprocessing, run folders).

See ``docs/train.md``.
"""

from hosila.train.callbacks import BestModel, Callback, Checkpoint, EarlyStopping, HistoryFiles
from hosila.train.history import History
from hosila.train.metrics import accuracy, confusion_matrix, correct, topk_accuracy
from hosila.train.plots import plot_confusion_matrix, plot_history, plot_predictions
from hosila.train.trainer import Trainer

__all__ = [
    "BestModel",
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "History",
    "HistoryFiles",
    "Trainer",
    "accuracy",
    "confusion_matrix",
    "correct",
    "plot_confusion_matrix",
    "plot_history",
    "plot_predictions",
    "topk_accuracy",
]
