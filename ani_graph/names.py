"""What the drawing and the captions call each tensor: its name, a constant's value, else v1, v2, …

A graph of 10,000 ops holds 10,000 constants, and writing a value out costs more than
everything else a name needs; folding hides nearly all of them. So `Names` writes a
constant's value when it is first asked for, and keeps it.

>>> import torch
>>> from ani_graph import TorchGraph
>>> g = TorchGraph(lambda x: torch.sin(2 * x) * x, [1.0])
>>> names = display_names(g.nx)
>>> sorted(names.values())
['2', 'out', 'v1', 'v2', 'x']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .format import format_tensor


class Names(Mapping[str, str]):
    """Tensor node -> the name the drawing and captions use (a read-only mapping).

    An unnamed constant is called by its value, written on first use; every other name is
    known from the start. `spells(text)` tells whether some tensor is called `text`.
    """

    def __init__(self, G, known: dict[str, str], constants: dict[str, None]) -> None:
        self._G = G
        self._known = known  # named tensors and v1, v2, …
        self._constants = constants  # unnamed constants, in the graph's order
        self._written: dict[str, str] = {}

    def __getitem__(self, n: str) -> str:
        if n in self._known:
            return self._known[n]
        if n in self._constants:
            if n not in self._written:
                self._written[n] = format_tensor(self._G.nodes[n]["value"])
            return self._written[n]
        raise KeyError(n)

    def __iter__(self) -> Iterator[str]:
        return iter([n for n in self._G if n in self._known or n in self._constants])

    def __len__(self) -> int:
        return len(self._known) + len(self._constants)

    def __contains__(self, n: object) -> bool:
        return n in self._known or n in self._constants

    def spells(self, text: str) -> bool:
        """Whether some tensor is called `text`. A constant's value is written in digits (or `nan`,
        `inf`, a bracketed list), so a text that holds no digit and is no such word needs no values written."""
        if text in self._known.values():
            return True
        if not any(c.isdigit() for c in text) and text.strip("−-") not in ("nan", "inf"):
            return False
        return any(self[n] == text for n in self._constants)

    def __repr__(self) -> str:
        return f"Names({dict(self)!r})"


def display_names(G) -> Names:
    """What the drawing and captions call each tensor: its name, a constant's value, else v1, v2, …"""
    known: dict[str, str] = {}
    constants: dict[str, None] = {}
    count = 0
    for n, a in G.nodes(data=True):
        kind = a["kind"]
        if kind == "op":
            continue
        if a.get("name"):
            known[n] = a["name"]
        elif kind == "constant":
            constants[n] = None
        else:
            count += 1
            known[n] = f"v{count}"
    return Names(G, known, constants)
