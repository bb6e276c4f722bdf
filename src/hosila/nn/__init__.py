"""Neural-network building blocks (``hosila.nn``), PyTorch's names and shapes.

``hosila.nn.scalar`` holds the micrograd-style Neuron/Layer/MLP on :class:`hosila.Value`.
"""

from hosila.nn.parameter import Parameter
