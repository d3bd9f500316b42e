"""ani-graph: watch automatic differentiation happen.

>>> import torch
>>> from ani_graph import TorchGraph
>>> g = TorchGraph(lambda x, a, c: torch.sin(a * x + c), [2, 3, 4])
>>> g.inputs, g.outputs
(['x', 'a', 'c'], ['out'])

Importing this package loads torch and networkx only; matplotlib, pygraphviz and
anywidget are loaded when something is first drawn or animated.
"""

from .custom import trackable_function
from .graph import TorchGraph, record

__all__ = ["TorchGraph", "record", "trackable_function"]
__version__ = "0.1.0"
