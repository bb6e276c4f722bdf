"""Optimizers (``hosila.optim``) with PyTorch's update rules, and learning-rate schedules.

Every optimizer updates ``p.data`` in place from ``p.grad`` with vectorised NumPy; a model
trained for N steps from the same weights ends with the same weights as in PyTorch.
"""

from hosila.optim import lr_scheduler
from hosila.optim.adagrad import Adagrad
from hosila.optim.adam import Adam, AdamW
from hosila.optim.lbfgs import LBFGS
from hosila.optim.optimizer import Optimizer
from hosila.optim.rmsprop import RMSprop
from hosila.optim.sgd import SGD

__all__ = ["SGD", "LBFGS", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
