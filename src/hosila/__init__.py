"""hosila: a deep-learning library built from first principles.

Two engines share one vocabulary (``.data``, ``.grad``, ``.backward()``):

* :class:`hosila.Value` — a scalar that records the graph of operations that made it
  (the micrograd layer, ``hosila/engine.py``);
* :class:`hosila.Tensor` — the same idea over NumPy arrays, with PyTorch's names
  (``hosila/tensor.py``).
"""

__version__ = "0.1.0"

from hosila import autograd, random  # noqa: E402  (autograd before tensor: see tensor.py)
from hosila.autograd import (  # noqa: E402
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from hosila.random import manual_seed  # noqa: E402
from hosila.serialization import load, save  # noqa: E402
from hosila.tensor import (  # noqa: E402
    Tensor,
    abs,
    add,
    amax,
    amin,
    arange,
    argmax,
    argmin,
    as_dtype,
    bool_,
    broadcast_to,
    cat,
    clamp,
    clip,
    cos,
    div,
    double,
    empty,
    exp,
    expand,
    eye,
    flatten,
    flip,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    is_tensor,
    linspace,
    log,
    log_softmax,
    logsumexp,
    long,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    ones,
    ones_like,
    permute,
    pow,
    rand,
    randint,
    randn,
    randperm,
    relu,
    reshape,
    set_default_dtype,
    sigmoid,
    sin,
    softmax,
    sqrt,
    squeeze,
    stack,
    sub,
    sum,
    tanh,
    tensor,
    transpose,
    uint8,
    unsqueeze,
    where,
    zeros,
    zeros_like,
)

bool = bool_  # noqa: A001 - PyTorch's name for the bool dtype
float = float32  # noqa: A001

from hosila import nn, optim  # noqa: E402  (after Tensor: layers and optimizers use it)
