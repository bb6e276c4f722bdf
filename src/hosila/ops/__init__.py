"""Primitive ops of the tensor engine, one ``Function`` subclass each (forward + backward).

- ``elementwise``: arithmetic, unary math, activations, clamp/maximum/minimum/where
- ``reduce``: sum, mean, amax/amin, max/min along a dim, logsumexp, softmax, log_softmax
- ``shape``: reshape, permute, expand, indexing, cat, flip, pad
- ``linalg``: matmul
- ``conv``: conv2d (im2col over a strided view, one matrix product; col2im backward)
- ``pool``: max/avg pooling and their adaptive forms (loops over kernel offsets, not pixels)

Everything else in hosila (``Tensor`` methods, ``nn.functional``) is composed from these.
"""
