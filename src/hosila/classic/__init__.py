"""hosila.classic: the image classifiers of the course before neural networks.

* :class:`KNearestNeighbor` (L1 / L2, three teaching distance versions, chunked fast path);
* linear classifiers: :class:`LinearSVM`, :class:`SoftmaxClassifier` and the losses
  (naive and vectorised, with analytic gradients) in :mod:`hosila.classic.linear`;
* :mod:`hosila.classic.features`: HOG and HSV colour histogram, batch extraction,
  standardisation;
* :func:`cross_validate` (grid or random search) and :func:`plot_cv`;
* :class:`TwoLayerNet`: a two-layer network on features, built from hosila.nn layers.

See ``docs/classic.md``.
"""

from hosila.classic import features
from hosila.classic.features import Standardizer, extract_features
from hosila.classic.knn import KNearestNeighbor
from hosila.classic.linear import (
    LinearClassifier,
    LinearSVM,
    SoftmaxClassifier,
    append_bias,
    plot_templates,
    random_search,
    regularization,
    softmax_loss_naive,
    softmax_loss_vectorized,
    svm_loss_naive,
    svm_loss_vectorized,
)
from hosila.classic.model_selection import CVResult, cross_validate, log_uniform, plot_cv
from hosila.classic.twolayer import TwoLayerNet

__all__ = [
    "CVResult",
    "KNearestNeighbor",
    "LinearClassifier",
    "LinearSVM",
    "SoftmaxClassifier",
    "Standardizer",
    "TwoLayerNet",
    "append_bias",
    "cross_validate",
    "extract_features",
    "features",
    "log_uniform",
    "plot_cv",
    "plot_templates",
    "random_search",
    "regularization",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "svm_loss_naive",
    "svm_loss_vectorized",
]
