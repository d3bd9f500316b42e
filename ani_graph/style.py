"""The look, in one place: colours per node kind, fonts, and text that both renderers share.

Colours follow the Okabe–Ito palette, which stays distinguishable with the common
forms of colour blindness. Fills are light tints on a light card, so the drawing reads
the same on a white page and inside a dark notebook theme.
"""

from __future__ import annotations

import re

FONT_FAMILY = "DejaVu Sans, Helvetica, Arial, sans-serif"
FONT_SIZE = 11.0  # points
LINE_HEIGHT = 14.0
CHAR_WIDTH = 0.62  # average advance of one character, as a fraction of the font size

# kind -> (stroke, fill)
KIND_COLOURS = {
    "input": ("#0072B2", "#DCEBF7"),
    "param": ("#009E73", "#D9F2EA"),
    "constant": ("#7A7A7A", "#EEEEEE"),
    "intermediate": ("#56B4E9", "#E6F4FC"),
    "output": ("#D55E00", "#FBE4D6"),
    "op": ("#E69F00", "#FFF3D6"),
    "module": ("#6B5B95", "#ECE8F4"),
    "elided": ("#7A7A7A", "#F4F4F4"),
}
VALUE_COLOUR = "#0B4F7C"
GRAD_COLOUR = "#B0357F"  # reddish purple: gradients everywhere
TANGENT_COLOUR = "#00785A"  # a darker bluish green: forward-mode tangents
TEXT_COLOUR = "#1F2328"
EDGE_COLOUR = "#8A8F98"
CARD_COLOUR = "#FFFFFF"
CLUSTER_STROKE = "#B8B0D0"
CLUSTER_FILL = "#F7F5FB"
# what is lit glows in the colour of what flows: values forward, gradients backward, tangents
PHASE_COLOURS = {"forward": "#0072B2", "backward": "#B0357F", "tangent": "#009E73", "update": "#D55E00"}

# Dark themes (JupyterLab's dark theme, a page in a dark colour scheme): the same roles.
DARK = {
    "card": "#1D2026",
    "text": "#E6E6E6",
    "val": "#7CC4EF",
    "grad": "#E58CC1",
    "edge": "#9AA3AD",
    "cluster": "rgba(120, 110, 160, 0.12)",
    "glow-fwd": "#56B4E9",
    "glow-back": "#E58CC1",
    "tan": "#5FD3AE",
    "glow-tan": "#5FD3AE",
    "glow-upd": "#F28E52",
    "strip": "#9AA3AD",
}
DARK_FILL_OPACITY = 0.22  # node tints turn translucent so light text stays readable

STRIP_COLOUR = "#6E7681"  # the loss curve under a training animation

# geometry, in points
STRIP_HEIGHT = 64.0  # the loss-curve strip under a training animation
MARGIN = 14.0  # around the drawing
CAPTION_HEIGHT = 22.0  # the note line under a folded or elided drawing
NOTE_LINE_HEIGHT = 15.0  # each further line of a note wrapped to a narrow drawing's width
ZOOM = 1.25  # the SVG is drawn a little larger than the layout, to read well on a projector
# The page a drawing is shaped for (layout.compute_layout), in points: what a notebook on a
# 1280×720 screen shows above the player's caption and buttons, with node text at 1 px a point.
PAGE_WIDTH = 1060.0
PAGE_HEIGHT = 420.0
STROKE_WIDTH = 1.6  # node outlines
LIT_STROKE_WIDTH = 3.2
EDGE_WIDTH = 1.3
LIT_EDGE_WIDTH = 2.6
LIT_DASH = (7.0, 5.0)  # a lit edge is dashed; in the player the dashes move
MODULE_DASH = (5.0, 3.0)  # folded modules and the hidden middle have dashed outlines
CLUSTER_DASH = (4.0, 3.0)
CUT_DASH = (4.0, 3.0)  # the edge into a detach: the graph is cut there
CORNER_RADIUS = 6.0
ARROW_SIZE = 7.0
BADGE_INSET = 4.0  # a badge's distance from its box's edge
BADGE_KEY_DX = 4.0  # the key (=, ∂ or ṫ) from the badge's left edge
BADGE_TEXT_DX = 15.0  # the number from the badge's left edge
BADGE_TINT = 0.08  # fill opacity of a badge's background
SMALL_FONT = FONT_SIZE - 1  # cluster titles, edge labels, badge keys
OP_FONT = FONT_SIZE + 2


# Heatmaps of values and gradients (inline in the drawing, in the inspect panel, in GIFs):
# one diverging scale centred on 0, blue for negative, white at 0, vermillion for positive,
# from the Okabe–Ito hues so it reads with the common forms of colour blindness.
DIVERGING_NEGATIVE = "#0072B2"
DIVERGING_ZERO = "#F7F7F7"
DIVERGING_POSITIVE = "#D55E00"
HEAT_BACKGROUND = "#C9CDD3"  # shows between a grid's cells, so cells near 0 (almost white) stay apart
HEAT_FRAME = "#8A8F98"  # the outline of a grid
HEAT_CELL_GAP = 0.8  # points between neighbouring cells
LEGEND_CELL = 8.0  # a step of the colour key under a drawing with heatmaps


def diverging(value: float, limit: float) -> str:
    """The heatmap colour of `value` on a scale from -`limit` to `limit`, as `#RRGGBB`.

    >>> diverging(0.0, 1.0), diverging(1.0, 1.0), diverging(-2.0, 1.0)
    ('#F7F7F7', '#D55E00', '#0072B2')
    """
    if not limit > 0 or value != value:  # no spread, or NaN: the colour of 0
        return DIVERGING_ZERO
    t = max(-1.0, min(1.0, value / limit))
    end = rgb(DIVERGING_POSITIVE if t > 0 else DIVERGING_NEGATIVE)
    zero = rgb(DIVERGING_ZERO)
    mixed = (round(z + (e - z) * abs(t)) for z, e in zip(zero, end))
    return "#{:02X}{:02X}{:02X}".format(*mixed)


def theme_css() -> str:
    """CSS custom properties for the player and the drawing, light and dark, from this module."""
    light = (
        f"--ag-text: {TEXT_COLOUR}; --ag-edge: {EDGE_COLOUR}; --ag-card: {CARD_COLOUR}; --ag-val: {VALUE_COLOUR}; "
        f"--ag-grad: {GRAD_COLOUR}; --ag-cluster: {CLUSTER_FILL}; --ag-cluster-stroke: {CLUSTER_STROKE}; "
        f"--ag-glow-fwd: {PHASE_COLOURS['forward']}; --ag-glow-back: {PHASE_COLOURS['backward']}; "
        f"--ag-tan: {TANGENT_COLOUR}; --ag-glow-tan: {PHASE_COLOURS['tangent']}; "
        f"--ag-glow-upd: {PHASE_COLOURS['update']}; --ag-strip: {STRIP_COLOUR}; "
        f"--ag-lit-width: {LIT_STROKE_WIDTH}px; --ag-lit-edge-width: {LIT_EDGE_WIDTH}px;"
    )
    dark = " ".join(f"--ag-{k}: {v};" for k, v in DARK.items())
    return (
        f".ag-player, .ag-graph {{ {light} }}\n"
        f'body[data-jp-theme-light="false"] .ag-player, body[data-jp-theme-light="false"] .ag-graph '
        f"{{ {dark} --ag-fill-opacity: {DARK_FILL_OPACITY}; color-scheme: dark; }}\n"
        f"@media (prefers-color-scheme: dark) {{ body.ag-page .ag-player, body.ag-page .ag-graph "
        f"{{ {dark} --ag-fill-opacity: {DARK_FILL_OPACITY}; }} }}\n"
    )


def rgb(colour: str) -> tuple[int, int, int]:
    """`#RRGGBB` as an (r, g, b) tuple, for Pillow."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ", "eta": "η",
    "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "cdot": "·", "times": "×", "partial": "∂", "nabla": "∇",
    "sqrt": "√", "sum": "Σ", "infty": "∞", "leq": "≤", "geq": "≥", "pm": "±", "to": "→",
}  # fmt: skip
_SUPER = str.maketrans("0123456789+-=()nixT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱˣᵀ")
_SUB = str.maketrans("0123456789+-=()aeiox", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢₒₓ")


def is_math(label: str) -> bool:
    return len(label) >= 2 and label.count("$") >= 2


def math_to_text(label: str) -> str:
    """Mathtext such as `$\\sigma$` or `$x^2$` as plain Unicode (σ, x²); other text unchanged."""
    if not is_math(label):
        return label

    def convert(m):
        body = m.group(1)
        body = re.sub(r"\\([A-Za-z]+)", lambda g: _GREEK.get(g.group(1), g.group(1)), body)
        body = re.sub(r"\^\{([^}]*)\}|\^(.)", lambda g: (g.group(1) or g.group(2)).translate(_SUPER), body)
        body = re.sub(r"_\{([^}]*)\}|_(.)", lambda g: (g.group(1) or g.group(2)).translate(_SUB), body)
        return body.replace("{", "").replace("}", "")

    return re.sub(r"\$([^$]*)\$", convert, label)
