"""hosila: a deep-learning library built from first principles.

Two engines share one vocabulary (``.data``, ``.grad``, ``.backward()``):

* :class:`hosila.Value` — a scalar that records the graph of operations that made it
  (the micrograd layer, ``hosila/engine.py``);
* :class:`hosila.Tensor` — the same idea over NumPy arrays, with PyTorch's names
  (``hosila/tensor.py``).
"""

__version__ = "0.1.0"
