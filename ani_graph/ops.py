"""What each operation is called, how it is drawn, and how its gradient is explained.

Each entry keeps an op's display label next to the rule that a caption cites for
its local derivative, so the explanation of an op lives in one place.

>>> lookup("mul").label
'×'
>>> canonical_name("__rsub__")
('sub', True, False)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpInfo:
    label: str  # what the op node shows: "+", "×", "sin", or mathtext
    rule: str  # the local derivative, as a caption states it
    takes_numbers: bool = False  # Python numbers among its arguments become constant nodes


OPS: dict[str, OpInfo] = {
    # arithmetic
    "add": OpInfo("+", "∂(a+b)/∂a = ∂(a+b)/∂b = 1: addition hands the gradient to both inputs", True),
    "sub": OpInfo("−", "∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1", True),
    "mul": OpInfo("×", "∂(a·b)/∂a = b, ∂(a·b)/∂b = a: the inputs swap", True),
    "div": OpInfo("÷", "∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²", True),
    "neg": OpInfo("−", "∂(−a)/∂a = −1"),
    "pow": OpInfo("^", "∂(aⁿ)/∂a = n·aⁿ⁻¹", True),
    "sqrt": OpInfo("√", "d √u/du = 1/(2√u)"),
    "exp": OpInfo("exp", "d exp(u)/du = exp(u)"),
    "log": OpInfo("log", "d log(u)/du = 1/u"),
    "square": OpInfo("x²", "d u²/du = 2u"),
    # functions
    "sin": OpInfo("sin", "d sin(u)/du = cos(u)"),
    "cos": OpInfo("cos", "d cos(u)/du = −sin(u)"),
    "tanh": OpInfo("tanh", "d tanh(u)/du = 1 − tanh²(u)"),
    "sigmoid": OpInfo("σ", "d σ(u)/du = σ(u)·(1 − σ(u))"),
    "relu": OpInfo("ReLU", "ReLU passes the gradient where u > 0 and blocks it elsewhere"),
    "max": OpInfo("max", "max is a switch: the larger input gets the whole gradient, the other 0", True),
    "maximum": OpInfo("max", "max is a switch: the larger input gets the whole gradient, the other 0", True),
    "min": OpInfo("min", "min is a switch: the smaller input gets the whole gradient, the other 0", True),
    "minimum": OpInfo("min", "min is a switch: the smaller input gets the whole gradient, the other 0", True),
    "abs": OpInfo("|·|", "d |u|/du = sign(u)"),
    "clamp": OpInfo("clamp", "clamp passes the gradient inside the bounds and blocks it outside"),
    # reductions and products
    "sum": OpInfo("Σ", "∂(Σu)/∂uᵢ = 1: every element gets the upstream gradient"),
    "mean": OpInfo("mean", "∂(mean u)/∂uᵢ = 1/n"),
    "dot": OpInfo("·", "∂(a·b)/∂a = b, ∂(a·b)/∂b = a"),
    "matmul": OpInfo("@", "∂(A@B)/∂A = G@Bᵀ, ∂(A@B)/∂B = Aᵀ@G"),
    "mm": OpInfo("@", "∂(A@B)/∂A = G@Bᵀ, ∂(A@B)/∂B = Aᵀ@G"),
    "bmm": OpInfo("@", "∂(A@B)/∂A = G@Bᵀ, ∂(A@B)/∂B = Aᵀ@G"),
    "linear": OpInfo("linear", "y = x@Wᵀ + b: ∂y/∂x = W, ∂y/∂W = x, ∂y/∂b = 1"),
    # views and joins
    "select": OpInfo("[i]", "selecting puts the gradient back at the chosen position, 0 elsewhere"),
    "slice": OpInfo("[a:b]", "slicing puts the gradient back into the slice, 0 elsewhere"),
    "index": OpInfo("[·]", "indexing puts the gradient back where the elements came from"),
    "view": OpInfo("view", "a view only reshapes: the gradient is reshaped back"),
    "reshape": OpInfo("reshape", "reshaping moves no numbers: the gradient is reshaped back"),
    "flatten": OpInfo("flatten", "flattening moves no numbers: the gradient is reshaped back"),
    "squeeze": OpInfo("squeeze", "the gradient is reshaped back"),
    "unsqueeze": OpInfo("unsqueeze", "the gradient is reshaped back"),
    "expand": OpInfo("expand", "copies share one source: their gradients are summed back"),
    "transpose": OpInfo("ᵀ", "the gradient is transposed back"),
    "t": OpInfo("ᵀ", "the gradient is transposed back"),
    "permute": OpInfo("permute", "the gradient is permuted back"),
    "setitem": OpInfo("[·]=", "overwritten positions pass no gradient back; the written value gets theirs", True),
    "cat": OpInfo("cat", "each input gets its own piece of the gradient"),
    "stack": OpInfo("stack", "each input gets its own slice of the gradient"),
    "clone": OpInfo("clone", "a copy passes the gradient unchanged"),
    # layers
    "softmax": OpInfo("softmax", "∂softmax(u)ᵢ/∂uⱼ = sᵢ(δᵢⱼ − sⱼ)"),
    "log_softmax": OpInfo("log softmax", "∂log softmax(u)ᵢ/∂uⱼ = δᵢⱼ − sⱼ"),
    "mse_loss": OpInfo("MSE", "∂ mean((a−b)²)/∂a = 2(a−b)/n"),
    "cross_entropy": OpInfo("CE", "∂CE/∂logits = softmax(logits) − one-hot(target)"),
    "dropout": OpInfo("dropout", "kept elements pass the gradient (scaled), dropped ones get 0"),
    "layer_norm": OpInfo("LayerNorm", "normalisation couples every element of a row"),
    "batch_norm": OpInfo("BatchNorm", "normalisation couples every element of a batch"),
    "conv2d": OpInfo("conv", "the gradient is a convolution with the flipped kernel"),
    "gelu": OpInfo("GELU", "d GELU(u)/du = Φ(u) + u·φ(u)"),
    "where": OpInfo("where", "each element's gradient goes to the input it came from", True),
}

# Alternative spellings that PyTorch uses for the same operation.
ALIASES = {
    "true_divide": "div",
    "divide": "div",
    "floor_divide": "div",
    "multiply": "mul",
    "subtract": "sub",
    "rsub": "sub",
    "negative": "neg",
    "absolute": "abs",
    "clip": "clamp",
    "clamp_min": "clamp",
    "clamp_max": "clamp",
    "concat": "cat",
    "concatenate": "cat",
    "swapaxes": "transpose",
    "swapdims": "transpose",
    "amax": "max",
    "amin": "min",
    "inner": "dot",
    "vdot": "dot",
    "view_as": "view",
    "reshape_as": "reshape",
    "expand_as": "expand",
    "narrow": "slice",
    "contiguous": "clone",
}

# Reflected dunders take their arguments the other way round: `2 - x` calls
# `x.__rsub__(2)`. The tracer swaps them back so the drawing reads like the code.
_REFLECTED = {"radd", "rsub", "rmul", "rdiv", "rtruediv", "rpow", "rmatmul", "rfloordiv"}
_INPLACE_DUNDERS = {"iadd", "isub", "imul", "idiv", "itruediv", "ipow", "imatmul"}


def canonical_name(func_name: str) -> tuple[str, bool, bool]:
    """Map a PyTorch callable's name to (canonical op name, reflected, in-place)."""
    name = func_name
    reflected = inplace = False
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]
        if name in _REFLECTED:
            name, reflected = name[1:], True
        elif name in _INPLACE_DUNDERS:
            name, inplace = name[1:], True
        if name == "getitem":
            name = "index"
    elif name.endswith("_") and not name.startswith("_"):
        name, inplace = name[:-1], True
    if name == "truediv":
        name = "div"
    return ALIASES.get(name, name), reflected, inplace


def lookup(op: str) -> OpInfo:
    """The table entry for a canonical op name, or a plain fallback for any other op."""
    info = OPS.get(op)
    if info is not None:
        return info
    return OpInfo(op, f"the local derivative of {op}")
