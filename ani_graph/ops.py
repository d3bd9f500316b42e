"""The op catalogue: everything ani-graph knows about an operation, one entry per op.

An entry holds what the op node shows (`label`), how a caption writes the op applied
to its operands (`form`, and `symbol` for infix, prefix and suffix forms), whether its
local derivative acts element by element, the local rule a backward caption cites,
and whether Python numbers among its arguments become constant nodes. Adding an op
is one entry in `OPS`; the tracer, the drawing and the captions all read it from here.

>>> lookup("mul").label, lookup("mul").write(["a", "x"])
('×', 'a × x')
>>> lookup("neg").write(["u"]), lookup("t").write(["W"]), lookup("sin").write(["u"])
('−u', 'Wᵀ', 'sin(u)')
>>> canonical_name("__rsub__")
('sub', True, False)
>>> index_op((1, slice(None, 2)))
('slice', '[1, :2]')
"""

from __future__ import annotations

from dataclasses import dataclass

# How a caption writes the op applied to its operands:
#   "call"   label(a, b)      sin(u), max(a, b)
#   "infix"  a symbol b       a + b, A @ B
#   "prefix" symbol a         −a
#   "suffix" a symbol         Wᵀ, x[1:] (indexing ops write their own index as the label)
#   "scaled" a symbol α·b     torch.add(a, b, alpha=α)
FORMS = ("call", "infix", "prefix", "suffix", "scaled")


@dataclass(frozen=True)
class OpInfo:
    label: str  # what the op node shows: "+", "×", "sin", or mathtext
    rule: str  # the local derivative, as a caption states it
    form: str = "call"
    symbol: str = ""  # the infix/prefix/suffix symbol; the label when empty
    elementwise: bool = False  # the local derivative acts element by element
    takes_numbers: bool = False  # Python numbers among its arguments become constant nodes

    def write(self, args: list[str], label: str | None = None) -> str:
        """The op applied to operand texts, as a caption writes it (`label` overrides, e.g. `[1:]`)."""
        symbol = label or self.symbol or self.label
        if self.form == "infix" and len(args) == 2:
            return f"{args[0]} {symbol} {args[1]}"
        if self.form == "prefix" and len(args) == 1:
            return f"{symbol}{args[0]}"
        if self.form == "suffix" and len(args) == 1:
            return f"{args[0]}{symbol}"
        if self.form == "scaled" and len(args) in (2, 3):  # (a, b, α), or (a, α) when b is a
            return f"{args[0]} {symbol} {args[-1]}·{args[1] if len(args) == 3 else args[0]}"
        return f"{label or self.label}({', '.join(args)})"


def _infix(label, rule, numbers=True, elementwise=True):
    return OpInfo(label, rule, "infix", label, elementwise, numbers)


def _unary(label, rule):
    return OpInfo(label, rule, elementwise=True)


_MATMUL = OpInfo("@", "∂(A@B)/∂A = G@Bᵀ, ∂(A@B)/∂B = Aᵀ@G", "infix")
_SWITCH = "is a switch: the {} input gets the whole gradient, the other 0"
_RESHAPE = "moves no numbers: the gradient is reshaped back"

OPS: dict[str, OpInfo] = {
    # arithmetic
    "add": _infix("+", "∂(a+b)/∂a = ∂(a+b)/∂b = 1: addition hands the gradient to both inputs"),
    "sub": _infix("−", "∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1"),
    "add_alpha": OpInfo("+", "∂(a+α·b)/∂a = 1, ∂(a+α·b)/∂b = α", "scaled", "+", True, True),
    "sub_alpha": OpInfo("−", "∂(a−α·b)/∂a = 1, ∂(a−α·b)/∂b = −α", "scaled", "−", True, True),
    "mul": _infix("×", "∂(a·b)/∂a = b, ∂(a·b)/∂b = a: the inputs swap"),
    "div": _infix("÷", "∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²"),
    "pow": _infix("^", "∂(aⁿ)/∂a = n·aⁿ⁻¹"),
    "neg": OpInfo("−", "∂(−a)/∂a = −1", "prefix", elementwise=True),
    "sqrt": _unary("√", "d √u/du = 1/(2√u)"),
    "exp": _unary("exp", "d exp(u)/du = exp(u)"),
    "log": _unary("log", "d log(u)/du = 1/u"),
    "square": _unary("x²", "d u²/du = 2u"),
    # functions
    "sin": _unary("sin", "d sin(u)/du = cos(u)"),
    "cos": _unary("cos", "d cos(u)/du = −sin(u)"),
    "tanh": _unary("tanh", "d tanh(u)/du = 1 − tanh²(u)"),
    "sigmoid": _unary("σ", "d σ(u)/du = σ(u)·(1 − σ(u))"),
    "relu": _unary("ReLU", "ReLU passes the gradient where u > 0 and blocks it elsewhere"),
    "gelu": _unary("GELU", "d GELU(u)/du = Φ(u) + u·φ(u)"),
    "abs": _unary("|·|", "d |u|/du = sign(u)"),
    "clamp": _unary("clamp", "clamp passes the gradient inside the bounds and blocks it outside"),
    "max": OpInfo("max", "max " + _SWITCH.format("larger"), takes_numbers=True),
    "min": OpInfo("min", "min " + _SWITCH.format("smaller"), takes_numbers=True),
    "maximum": OpInfo("max", "max " + _SWITCH.format("larger"), elementwise=True, takes_numbers=True),
    "minimum": OpInfo("min", "min " + _SWITCH.format("smaller"), elementwise=True, takes_numbers=True),
    "where": OpInfo("where", "each element's gradient goes to the input it came from", takes_numbers=True),
    # reductions and products
    "sum": OpInfo("Σ", "∂(Σu)/∂uᵢ = 1: every element gets the upstream gradient"),
    "mean": OpInfo("mean", "∂(mean u)/∂uᵢ = 1/n"),
    "dot": OpInfo("·", "∂(a·b)/∂a = b, ∂(a·b)/∂b = a", "infix"),
    "matmul": _MATMUL,
    "mm": _MATMUL,
    "bmm": _MATMUL,
    "linear": OpInfo("linear", "y = x@Wᵀ + b: ∂y/∂x = W, ∂y/∂W = x, ∂y/∂b = 1"),
    # views and joins; indexing ops are labelled with their actual index by `index_op`
    "select": OpInfo("[i]", "selecting puts the gradient back at the chosen position, 0 elsewhere", "suffix"),
    "slice": OpInfo("[a:b]", "slicing puts the gradient back into the slice, 0 elsewhere", "suffix"),
    "index": OpInfo("[·]", "indexing puts the gradient back where the elements came from", "suffix"),
    "view": OpInfo("view", "a view " + _RESHAPE),
    "reshape": OpInfo("reshape", "reshaping " + _RESHAPE),
    "flatten": OpInfo("flatten", "flattening " + _RESHAPE),
    "squeeze": OpInfo("squeeze", "squeezing " + _RESHAPE),
    "unsqueeze": OpInfo("unsqueeze", "unsqueezing " + _RESHAPE),
    "expand": OpInfo("expand", "copies share one source: their gradients are summed back"),
    "transpose": OpInfo("ᵀ", "the gradient is transposed back", "suffix"),
    "t": OpInfo("ᵀ", "the gradient is transposed back", "suffix"),
    "permute": OpInfo("permute", "the gradient is permuted back"),
    "setitem": OpInfo(
        "[·]=", "overwritten positions pass no gradient back; the written value gets theirs", takes_numbers=True
    ),
    "cat": OpInfo("cat", "each input gets its own piece of the gradient"),
    "stack": OpInfo("stack", "each input gets its own slice of the gradient"),
    "clone": _unary("clone", "a copy passes the gradient unchanged"),
    # layers
    "softmax": OpInfo("softmax", "∂softmax(u)ᵢ/∂uⱼ = sᵢ(δᵢⱼ − sⱼ)"),
    "log_softmax": OpInfo("log softmax", "∂log softmax(u)ᵢ/∂uⱼ = δᵢⱼ − sⱼ"),
    "mse_loss": OpInfo("MSE", "∂ mean((a−b)²)/∂a = 2(a−b)/n"),
    "cross_entropy": OpInfo("CE", "∂CE/∂logits = softmax(logits) − one-hot(target)"),
    "dropout": OpInfo("dropout", "kept elements pass the gradient (scaled), dropped ones get 0"),
    "layer_norm": OpInfo("LayerNorm", "normalisation couples every element of a row"),
    "batch_norm": OpInfo("BatchNorm", "normalisation couples every element of a batch"),
    "conv2d": OpInfo("conv", "the gradient is a convolution with the flipped kernel"),
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

# Tensor properties that make a new tensor in the graph (`x.T`), by the op they perform.
PROPERTY_OPS = {"T": "transpose", "mT": "transpose", "H": "transpose", "mH": "transpose", "real": "view"}

# Reflected dunders take their arguments the other way round: `2 - x` calls
# `x.__rsub__(2)`. The tracer swaps them back so the drawing reads like the code.
_REFLECTED = {"radd", "rsub", "rmul", "rdiv", "rtruediv", "rpow", "rmatmul", "rfloordiv"}
_INPLACE_DUNDERS = {"iadd", "isub", "imul", "idiv", "itruediv", "ipow", "imatmul"}
INDEX_LABEL_MAX = 12  # a longer index (x[1:2, ::3, None]) is drawn with the generic label


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
        elif name == "setitem":
            name, inplace = "setitem", True
    elif name.endswith("_") and not name.startswith("_"):
        name, inplace = name[:-1], True
    if name == "rsub":  # torch.rsub(a, b) is b − a
        reflected = True
    if name == "truediv":
        name = "div"
    return ALIASES.get(name, name), reflected, inplace


def property_op(attribute: str) -> str | None:
    """The op a tensor property performs (`T` → transpose), or None for a plain attribute read."""
    return PROPERTY_OPS.get(attribute)


def _index_part(k) -> str:
    if isinstance(k, int):
        return str(k)
    if isinstance(k, slice):
        text = f"{'' if k.start is None else k.start}:{'' if k.stop is None else k.stop}"
        return text + (f":{k.step}" if k.step not in (None, 1) else "")
    if k is Ellipsis:
        return "..."
    if k is None:
        return "None"
    return "·"  # a tensor or list of indices


def index_op(key) -> tuple[str, str]:
    """(op, label) of `x[key]`: select, slice or index, labelled with the index as written.

    >>> index_op(0), index_op(slice(1, None)), index_op([0, 2])
    (('select', '[0]'), ('slice', '[1:]'), ('index', '[·]'))
    """
    keys = key if isinstance(key, tuple) else (key,)
    if all(isinstance(k, int) for k in keys):
        op = "select"
    elif all(isinstance(k, (int, slice)) or k is None or k is Ellipsis for k in keys):
        op = "slice"
    else:
        op = "index"
    label = "[" + ", ".join(_index_part(k) for k in keys) + "]"
    return op, label if len(label) <= INDEX_LABEL_MAX else OPS[op].label


def lookup(op: str) -> OpInfo:
    """The catalogue entry for a canonical op name, or a plain entry for any other op."""
    info = OPS.get(op)
    if info is not None:
        return info
    return OpInfo(op, f"the local derivative of {op}")


def custom_info(cls) -> OpInfo:
    """The entry of a custom `torch.autograd.Function`: its `name` label and its `rule`, if given."""
    label = cls.__dict__.get("_ani_graph_label", cls.__name__)
    rule = cls.__dict__.get("rule")
    if not isinstance(rule, str) or not rule.strip():
        rule = f"the local derivative of {cls.__name__}"
    return OpInfo(label, rule, takes_numbers=True)


def info_of(attrs: dict) -> OpInfo:
    """The entry for an op node of the graph; a custom Function's node carries its own rule."""
    if attrs.get("custom"):
        rule = attrs.get("rule") or f"the local derivative of {attrs['op']}"
        return OpInfo(attrs["label"], rule, takes_numbers=True)
    return lookup(attrs["op"])
