"""hosila.models: classifiers for small images (CIFAR-sized 32×32 by default).

Every model is built by a function ``name(in_channels, num_classes, image_size, *,
nn=hosila.nn, **options)`` returning an ``nn.Sequential``. ``nn=torch.nn`` builds the
identical PyTorch model (same layers, same ``state_dict`` keys), so weights move between
the two with ``hosila.save`` / ``safetensors`` (and the benchmarks compare like with like).

| name | layers |
|---|---|
| ``mlp`` | flatten - affine 512 - ReLU - affine 256 - ReLU - affine C |
| ``twolayer`` | flatten - affine ``hidden`` (512) - ReLU - affine C (the course's two-layer net) |
| ``convnet3`` | conv 32 7×7 pad 3 - ReLU - 2×2 max-pool - affine 100 - ReLU - affine C |
| ``lenet5`` | conv 6 5×5 - ReLU - pool - conv 16 5×5 - ReLU - pool - 120 - 84 - C |
| ``vgg_bn`` | [conv 3×3 - BN - ReLU] 64, 64, pool, 128, 128, pool, 256, pool - affine C |
| ``smallcnn`` | conv 32 3×3 - ReLU - pool - conv 64 3×3 - ReLU - pool - 128 - ReLU - C |

:func:`get_model` looks a model up by name.
"""

from hosila.models.registry import (
    MODELS,
    convnet3,
    get_model,
    lenet5,
    mlp,
    smallcnn,
    twolayer,
    vgg_bn,
)

__all__ = ["MODELS", "convnet3", "get_model", "lenet5", "mlp", "smallcnn", "twolayer", "vgg_bn"]
