"""What a notebook shows for a static drawing: the SVG, a PNG for viewers that sanitise SVG, and text.

Both renderers are loaded here, on first display, so neither renderer imports the other.
"""

from __future__ import annotations

import base64

from .scene import Scene


def drawing_bundle(scene: Scene, text: str) -> dict[str, str]:
    """The mime bundle of one scene: `image/svg+xml`, `image/png` (base64) and `text/plain`."""
    from .render_mpl import scene_to_png
    from .render_svg import scene_to_svg

    return {
        "image/svg+xml": scene_to_svg(scene, placeholders=False),
        "image/png": base64.b64encode(scene_to_png(scene)).decode("ascii"),
        "text/plain": text,
    }
