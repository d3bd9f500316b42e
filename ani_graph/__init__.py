"""ani-graph: watch automatic differentiation happen.

>>> import torch
>>> from ani_graph import TorchGraph
>>> g = TorchGraph(lambda x, a, c: torch.sin(a * x + c), [2, 3, 4])
>>> g.inputs, g.outputs
(['x', 'a', 'c'], ['out'])

Importing this package loads torch and networkx only; matplotlib, pygraphviz and
anywidget are loaded when something is first drawn or animated.
"""

from importlib.metadata import PackageNotFoundError, version

from .custom import trackable_function
from .graph import TorchGraph
from .recording import Recording, record

__all__ = ["Recording", "TorchGraph", "record", "trackable_function", "__version__"]

try:  # the one version is in pyproject.toml; installing writes it into the package metadata
    __version__ = version("ani-graph")
except PackageNotFoundError:  # a checkout put on sys.path without being installed
    __version__ = "0+unknown"
