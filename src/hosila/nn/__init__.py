"""Neural-network building blocks (``hosila.nn``), PyTorch's names and shapes.

``hosila.nn.scalar`` holds the micrograd-style Neuron/Layer/MLP on :class:`hosila.Value`.
"""

from hosila.nn.parameter import Parameter  # isort: skip
from hosila.nn import functional, init, regularization, utils
from hosila.nn.activation import (
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Softsign,
    Tanh,
)
from hosila.nn.conv import Conv2d
from hosila.nn.dropout import Dropout, Dropout2d
from hosila.nn.linear import Embedding, Flatten, Linear, Unflatten
from hosila.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineSimilarity,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
)
from hosila.nn.module import Identity, Module, ModuleDict, ModuleList, Sequential
from hosila.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from hosila.nn.pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "Parameter",
    "functional",
    "init",
    "regularization",
    "utils",
    "Module",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "Identity",
    "Linear",
    "Flatten",
    "Unflatten",
    "Embedding",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "Dropout",
    "Dropout2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "GroupNorm",
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Softplus",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LogSoftmax",
    "Hardtanh",
    "LogSigmoid",
    "Softsign",
    "PReLU",
    "CrossEntropyLoss",
    "NLLLoss",
    "MultiMarginLoss",
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "HuberLoss",
    "KLDivLoss",
    "CosineSimilarity",
]
