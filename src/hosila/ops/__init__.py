"""Primitive ops of the tensor engine, one ``Function`` subclass each (forward + backward).

- ``elementwise``: arithmetic, unary math, activations, clamp/maximum/minimum/where
- ``reduce``: sum, mean, amax/amin, max/min along a dim, logsumexp, softmax, log_softmax
- ``shape``: reshape, permute, expand, indexing, cat, flip, pad
- ``linalg``: matmul

Everything else in hosila (``Tensor`` methods, ``nn.functional``) is composed from these.
"""
