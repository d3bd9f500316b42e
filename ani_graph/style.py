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
TEXT_COLOUR = "#1F2328"
EDGE_COLOUR = "#8A8F98"
CARD_COLOUR = "#FFFFFF"
CLUSTER_STROKE = "#B8B0D0"
CLUSTER_FILL = "#F7F5FB"

KIND_NAMES = {
    "input": "input",
    "param": "parameter",
    "constant": "constant",
    "intermediate": "intermediate",
    "output": "output",
}

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
