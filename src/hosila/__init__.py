"""hosila: a deep-learning library built from first principles.

Two engines share one vocabulary (``.data``, ``.grad``, ``.backward()``):

* :class:`hosila.Value` — a scalar that records the graph of operations that made it
  (the micrograd layer, ``hosila/engine.py``);
* :class:`hosila.Tensor` — the same idea over NumPy arrays, with PyTorch's names
  (``hosila/tensor.py``).

``import hosila`` loads the engines, ``hosila.nn``, ``hosila.optim`` and ``hosila.linalg``.
The other public subpackages (``hosila.data``, ``hosila.classic``, ``hosila.models``,
``hosila.train``, ``hosila.viz``, ``hosila.utils`` with ``hosila.utils.data``, ...) are
attributes too, imported on first use (PEP 562), so ``import hosila`` stays fast and does not
load matplotlib or Pillow.
"""

import importlib as _importlib
from types import ModuleType as _ModuleType

__version__ = "0.1.0"

# public subpackages imported on first attribute access: name -> module
_LAZY = {
    name: f"hosila.{name}"
    for name in ("classic", "cli", "data", "demo", "models", "ops", "train", "utils", "viz")
}


def __getattr__(name: str) -> _ModuleType:
    """``hosila.data``, ``hosila.models``, ...: the subpackage, imported on first use."""
    if name in _LAZY:
        return _importlib.import_module(_LAZY[name])  # (which also sets hosila.<name>)
    raise AttributeError(f"module 'hosila' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


from hosila import autograd, random  # noqa: E402  (autograd before tensor: see tensor.py)
from hosila.autograd import (  # noqa: E402
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from hosila.engine import Value, numerical_derivative  # noqa: E402
from hosila.random import manual_seed  # noqa: E402
from hosila.serialization import load, save  # noqa: E402
from hosila.tensor import (  # noqa: E402
    ShapeError,
    Tensor,
    abs,
    add,
    allclose,
    amax,
    amin,
    arange,
    argmax,
    argmin,
    argsort,
    as_dtype,
    bmm,
    bool_,
    broadcast_to,
    cat,
    ceil,
    chunk,
    clamp,
    clip,
    cos,
    cumsum,
    div,
    dot,
    double,
    einsum,
    empty,
    empty_like,
    equal,
    exp,
    expand,
    expm1,
    eye,
    flatten,
    flip,
    float16,
    float32,
    float64,
    floor,
    floor_divide,
    from_numpy,
    full,
    full_like,
    gather,
    get_default_dtype,
    half,
    index_select,
    int8,
    int16,
    int32,
    int64,
    is_tensor,
    isclose,
    linspace,
    log,
    log1p,
    log_softmax,
    logsumexp,
    long,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    movedim,
    mul,
    narrow,
    neg,
    nonzero,
    norm,
    ones,
    ones_like,
    outer,
    pad,
    permute,
    pow,
    prod,
    rand,
    randint,
    randn,
    randperm,
    reciprocal,
    relu,
    remainder,
    reshape,
    roll,
    round,
    rsqrt,
    scatter,
    scatter_add,
    set_default_dtype,
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    sum,
    swapaxes,
    take_along_dim,
    tanh,
    tensor,
    topk,
    transpose,
    tril,
    triu,
    trunc,
    uint8,
    unbind,
    unsqueeze,
    var,
    where,
    zeros,
    zeros_like,
)

bool = bool_  # noqa: A001 - PyTorch's name for the bool dtype
float = float32  # noqa: A001

from hosila import linalg, nn, optim  # noqa: E402  (after Tensor: layers and optimizers use it)
from hosila.tensor import (  # noqa: E402  (PyTorch functions added on branch views)
    addmm,
    argwhere,
    as_tensor,
    bernoulli,
    broadcast_tensors,
    cdist,
    count_nonzero,
    cumprod,
    diag,
    erf,
    isfinite,
    isinf,
    isnan,
    log2,
    log10,
    logical_not,
    multinomial,
    nan_to_num,
    normal,
    numel,
    rand_like,
    randint_like,
    randn_like,
    scatter_reduce,
    std_mean,
    tensordot,
    trace,
    unique,
    var_mean,
)
from hosila.tensor import all_ as all  # noqa: E402, A004  (torch.all; Python's all is shadowed)
from hosila.tensor import any_ as any  # noqa: E402, A004
