"""The model builders and the name → builder registry (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def _nn(nn: Any) -> Any:
    if nn is None:
        import hosila.nn as nn
    return nn


def _size2(image_size: int | Sequence[int], name: str) -> tuple[int, int]:
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        h = w = image_size
    elif isinstance(image_size, Sequence) and len(image_size) == 2:
        h, w = (int(s) for s in image_size)
    else:
        raise TypeError(f"{name}: image_size must be an int or (H, W), got {image_size!r}")
    if h < 1 or w < 1:
        raise ValueError(f"{name}: image_size must be positive, got {(h, w)}")
    return h, w


def _check(in_channels: int, num_classes: int, name: str) -> None:
    for arg, value in (("in_channels", in_channels), ("num_classes", num_classes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: {arg} must be an int >= 1, got {value!r}")


def _too_small(name: str, image_size: tuple[int, int], need: str) -> ValueError:
    return ValueError(f"{name}: images of size {image_size} are too small ({need})")


def mlp(
    in_channels: int = 3,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 32,
    *,
    hidden: Sequence[int] = (512, 256),
    nn: Any = None,
) -> Any:
    """A multi-layer perceptron on the flattened image: ``(N, C, H, W) -> (N, num_classes)``;
    one affine layer + ReLU per entry of ``hidden``, then the output layer."""
    _check(in_channels, num_classes, "mlp")
    nn = _nn(nn)
    h, w = _size2(image_size, "mlp")
    layers: list[Any] = [nn.Flatten()]
    width = in_channels * h * w
    for size in hidden:
        layers += [nn.Linear(width, int(size)), nn.ReLU()]
        width = int(size)
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def twolayer(
    in_channels: int = 3,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 32,
    *,
    hidden: int = 512,
    nn: Any = None,
) -> Any:
    """The course's two-layer net: affine (C·H·W → ``hidden``) - ReLU - affine (→ classes);
    on CIFAR-10: 3072 - hidden - 10."""
    _check(in_channels, num_classes, "twolayer")
    return mlp(in_channels, num_classes, image_size, hidden=(hidden,), nn=nn)


def convnet3(
    in_channels: int = 3,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 32,
    *,
    filters: int = 32,
    kernel_size: int = 7,
    hidden: int = 100,
    nn: Any = None,
) -> Any:
    """The course's three-layer convnet: conv ``filters`` k×k (padding keeps the size) -
    ReLU - 2×2 max-pool - affine ``hidden`` - ReLU - affine ``num_classes``."""
    _check(in_channels, num_classes, "convnet3")
    nn = _nn(nn)
    h, w = _size2(image_size, "convnet3")
    if h < 2 or w < 2:
        raise _too_small("convnet3", (h, w), "need at least 2×2 for the pooling")
    return nn.Sequential(
        nn.Conv2d(in_channels, filters, kernel_size, padding=kernel_size // 2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(filters * (h // 2) * (w // 2), hidden),
        nn.ReLU(),
        nn.Linear(hidden, num_classes),
    )


def lenet5(
    in_channels: int = 3,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 32,
    *,
    nn: Any = None,
) -> Any:
    """LeNet-5 (LeCun et al., 1998) with ReLU and max-pooling: conv 6 5×5 - pool - conv 16
    5×5 - pool - 120 - 84 - classes. Images smaller than 32×32 (MNIST's 28×28) get a
    padding of 2 in the first convolution, as in the original."""
    _check(in_channels, num_classes, "lenet5")
    nn = _nn(nn)
    h, w = _size2(image_size, "lenet5")
    pad = 2 if min(h, w) < 32 else 0
    h2, w2 = ((h + 2 * pad - 4) // 2 - 4) // 2, ((w + 2 * pad - 4) // 2 - 4) // 2
    if h2 < 1 or w2 < 1:
        raise _too_small("lenet5", (h, w), "need at least 16×16")
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=pad),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * h2 * w2, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, num_classes),
    )


def vgg_bn(
    in_channels: int = 3,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 32,
    *,
    widths: Sequence[int | str] = (64, 64, "M", 128, 128, "M", 256, "M"),
    nn: Any = None,
) -> Any:
    """A small VGG-style network with batch norm: each number in ``widths`` is a 3×3
    convolution (padding 1, no bias) - BatchNorm2d - ReLU, each ``"M"`` a 2×2 max-pool;
    then one affine layer to the classes."""
    _check(in_channels, num_classes, "vgg_bn")
    nn = _nn(nn)
    h, w = _size2(image_size, "vgg_bn")
    layers: list[Any] = []
    c = in_channels
    for item in widths:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
            if h < 1 or w < 1:
                raise _too_small("vgg_bn", _size2(image_size, "vgg_bn"), "too many poolings")
        else:
            layers += [nn.Conv2d(c, int(item), 3, padding=1, bias=False)]
            layers += [nn.BatchNorm2d(int(item)), nn.ReLU()]
            c = int(item)
    layers += [nn.Flatten(), nn.Linear(c * h * w, num_classes)]
    return nn.Sequential(*layers)


def smallcnn(
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 8,
    *,
    widths: tuple[int, int] = (32, 64),
    hidden: int = 128,
    nn: Any = None,
) -> Any:
    """A small CNN for tiny images (the default for the 8×8 Digits): conv ``widths[0]``
    3×3 pad 1 - ReLU - 2×2 max-pool - conv ``widths[1]`` 3×3 pad 1 - ReLU - 2×2 max-pool -
    affine ``hidden`` - ReLU - affine ``num_classes``."""
    _check(in_channels, num_classes, "smallcnn")
    nn = _nn(nn)
    h, w = _size2(image_size, "smallcnn")
    if h < 4 or w < 4:
        raise _too_small("smallcnn", (h, w), "need at least 4×4")
    c1, c2 = (int(c) for c in widths)
    return nn.Sequential(
        nn.Conv2d(in_channels, c1, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(c2 * (h // 4) * (w // 4), hidden),
        nn.ReLU(),
        nn.Linear(hidden, num_classes),
    )


MODELS: dict[str, Callable[..., Any]] = {
    "mlp": mlp,
    "twolayer": twolayer,
    "convnet3": convnet3,
    "lenet5": lenet5,
    "vgg_bn": vgg_bn,
    "smallcnn": smallcnn,
}


def get_model(
    name: str,
    in_channels: int = 3,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 32,
    **options: Any,
) -> Any:
    """Build the model called ``name`` (one of ``MODELS``) for images ``(in_channels,
    *image_size)`` and ``num_classes`` classes; ``options`` go to its builder (e.g.
    ``hidden=1024`` for ``twolayer``, ``nn=torch.nn`` for the PyTorch twin)."""
    if not isinstance(name, str) or name not in MODELS:
        raise ValueError(f"get_model: unknown model {name!r}; choose one of {sorted(MODELS)}")
    return MODELS[name](in_channels, num_classes, image_size, **options)
