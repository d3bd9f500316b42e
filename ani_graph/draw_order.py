"""The order in which the pixel renderers draw a scene's shapes: z levels by group role.

matplotlib draws artists by z-order, so a role's level decides what covers what (a node
over the edges, its badges over the node). `render_mpl`, `mpl_frames` and `raster` all
take the order from here, and this module imports no drawing library.

>>> from ani_graph.scene import Group, Rect, Scene
>>> scene = Scene(10, 10, (Group("node", (Rect(0, 0, 5, 5, "#fff"),)), Group("edge", (Rect(1, 1, 2, 2, "#000"),))))
>>> [z for _, z, _ in leaves(scene)]
[3, 2]
"""

from __future__ import annotations

from typing import Any

from .scene import Group, Scene, Text

Z = {"card": 0, "cluster": 1, "edge": 2, "node": 3, "badge": 3.2, "note": 4}

Leaf = tuple[Any, float, bool]  # a shape, its z level, whether it is hidden


def leaves(scene: Scene) -> list[Leaf]:
    """Every shape of the scene in drawing order, with its z level and visibility."""
    out: list[Leaf] = []

    def walk(g: Group, z: float | None, hidden: bool) -> None:
        level = Z.get(g.role, 3) if z is None else Z.get(g.role, z)
        for item in g.items:
            if isinstance(item, Group):
                walk(item, level, hidden or item.hidden)
            else:
                out.append((item, level, hidden or (isinstance(item, Text) and item.hidden)))

    for g in scene.groups:
        walk(g, None, g.hidden)
    return out
