"""The op catalogue: everything ani-graph knows about an operation, one entry per op.

An entry holds what the op node shows (`label`), how a caption writes the op applied
to its operands (`form`, and `symbol` for infix, prefix and suffix forms), whether its
local derivative acts element by element, the local rule a backward caption cites,
and whether Python numbers among its arguments become constant nodes. Adding an op
is one entry in `OPS`; the tracer, the drawing and the captions all read it from here.

Rules are templates that the captions fill with the graph's own names, so a rule never
shows a letter that could be mistaken for another node of the graph:

- `partials[i]`: the local derivative of the result with respect to operand i, shown
  as `∂y/∂x = …`;
- `grads[i]`: for matrix ops, the gradient operand i receives, shown as `∂L/∂x = …`;
- `rule`: what the op does to the gradient as a whole.

Their fields are `{a}`, `{b}`, `{c}`, … the operands in argument order, `{y}` the
op's result, `{L}` the scalar being differentiated, `{g}` its gradient with respect
to the result (`∂L/∂y`), and `{n}` the number of elements of the first operand.

>>> lookup("mul").label, lookup("mul").write(["a", "x"])
('×', 'a × x')
>>> lookup("mul").rule_text({"a": "a", "b": "x", "y": "v1"}, [0, 1])
'∂v1/∂a = x, ∂v1/∂x = a: the inputs swap'
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
OPERAND_FIELDS = "abcdef"  # template fields of the operands, in argument order


class _Names(dict):
    def __missing__(self, key):  # a field the caller could not fill (a custom rule's own braces)
        return "…"


def fill(template: str, names: dict[str, str]) -> str:
    """A rule template with the graph's names put into its fields; text without fields is unchanged.

    >>> fill("∂{y}/∂{a} = cos({a})", {"a": "v2", "y": "y"})
    '∂y/∂v2 = cos(v2)'
    """
    try:
        return template.format_map(_Names(names))
    except (ValueError, IndexError, AttributeError):  # braces that are not fields: shown as written
        return template


@dataclass(frozen=True)
class OpInfo:
    label: str  # what the op node shows: "+", "×", "sin", or mathtext
    rule: str = ""  # what the op does to the gradient as a whole (a template)
    form: str = "call"
    symbol: str = ""  # the infix/prefix/suffix symbol; the label when empty
    elementwise: bool = False  # the local derivative acts element by element
    takes_numbers: bool = False  # Python numbers among its arguments become constant nodes
    partials: tuple[str, ...] = ()  # per operand: ∂y/∂operand (templates)
    grads: tuple[str, ...] = ()  # per operand: ∂L/∂operand in terms of {g} = ∂L/∂y (matrix ops)
    hint: str = ""  # what a quiz says after a wrong answer, before the step's numbers (a template)

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

    def part(self, names: dict[str, str], i: int) -> str | None:
        """Operand i's part of the rule, `∂y/∂x = …` or `∂L/∂x = …`, or None when the entry has none."""
        if i >= len(OPERAND_FIELDS) or OPERAND_FIELDS[i] not in names:
            return None
        x = names[OPERAND_FIELDS[i]]
        if i < len(self.grads):
            return f"∂{names.get('L', 'L')}/∂{x} = {fill(self.grads[i], names)}"
        if i < len(self.partials):
            return f"∂{names.get('y', 'y')}/∂{x} = {fill(self.partials[i], names)}"
        return None

    def rule_text(self, names: dict[str, str], operands: list[int]) -> str:
        """The rule for the operands at positions `operands`, with the graph's names filled in."""
        parts = [p for p in (self.part(names, i) for i in operands) if p]
        note = fill(self.rule, names)
        return ", ".join(parts) + (": " if parts and note else "") + note


def _infix(label, partials, rule="", numbers=True, elementwise=True, hint=""):
    return OpInfo(label, rule, "infix", label, elementwise, numbers, partials, hint=hint)


def _unary(label, partial, rule="", hint=""):
    return OpInfo(label, rule, elementwise=True, partials=(partial,), hint=hint)


_MATMUL = OpInfo(
    "@",
    form="infix",
    grads=("{g} @ {b}ᵀ", "{a}ᵀ @ {g}"),
    hint="@ multiplies the gradient by the other input, transposed",
)
_SWITCH = "switches: the {} input gets the whole gradient, the other gets 0"
_RESHAPE = "move no numbers: the gradient is reshaped back"

OPS: dict[str, OpInfo] = {
    # arithmetic
    "add": _infix(
        "+", ("1", "1"), "addition hands the gradient to both inputs", hint="+ hands the gradient on unchanged"
    ),
    "sub": _infix("−", ("1", "−1"), hint="− hands the gradient to {a} and its negative to {b}"),
    "add_alpha": OpInfo("+", "", "scaled", "+", True, True, ("1", "{c}")),  # torch.add(a, b, alpha=c)
    "sub_alpha": OpInfo("−", "", "scaled", "−", True, True, ("1", "−{c}")),
    "mul": _infix("×", ("{b}", "{a}"), "the inputs swap", hint="× swaps its inputs"),
    "div": _infix("÷", ("1/{b}", "−{a}/{b}²"), hint="÷: the numerator gets 1/{b}, the denominator −{a}/{b}²"),
    "pow": _infix("^", ("{b}·{a}^({b} − 1)", "{y}·ln {a}"), hint="^: the power comes down and drops by one"),
    "neg": OpInfo("−", form="prefix", elementwise=True, partials=("−1",), hint="− flips the gradient's sign"),
    "sqrt": _unary("√", "1/(2√{a})"),
    "exp": _unary("exp", "exp({a})", hint="exp is its own derivative"),
    "log": _unary("log", "1/{a}", hint="the derivative of log is one over its input"),
    "square": _unary("x²", "2·{a}", hint="the derivative of a square is twice its input"),
    # functions
    "sin": _unary("sin", "cos({a})", hint="the derivative of sin is cos"),
    "cos": _unary("cos", "−sin({a})", hint="the derivative of cos is −sin"),
    "tanh": _unary("tanh", "1 − tanh²({a})", hint="the derivative of tanh is 1 − tanh²"),
    "sigmoid": _unary("σ", "σ({a})·(1 − σ({a}))"),
    "relu": _unary("ReLU", "1 where {a} > 0, 0 elsewhere", "ReLU passes the gradient or blocks it"),
    "gelu": _unary("GELU", "Φ({a}) + {a}·φ({a}), with Φ and φ the normal distribution's CDF and density"),
    "abs": _unary("|·|", "sign({a})"),
    "clamp": _unary("clamp", "1 inside the bounds, 0 outside"),
    "max": OpInfo("max", "max " + _SWITCH.format("larger"), takes_numbers=True),
    "min": OpInfo("min", "min " + _SWITCH.format("smaller"), takes_numbers=True),
    "maximum": OpInfo("max", "max " + _SWITCH.format("larger"), elementwise=True, takes_numbers=True),
    "minimum": OpInfo("min", "min " + _SWITCH.format("smaller"), elementwise=True, takes_numbers=True),
    "where": OpInfo("where", "each element's gradient goes to the input it came from", takes_numbers=True),
    # reductions and products
    "sum": OpInfo("Σ", "every element gets the upstream gradient", partials=("1 for every element",)),
    "mean": OpInfo("mean", "every element gets an equal share", partials=("1/{n} for every element",)),
    "dot": OpInfo("·", "the inputs swap", "infix", partials=("{b}", "{a}"), hint="· swaps its inputs"),
    "matmul": _MATMUL,
    "mm": _MATMUL,
    "bmm": _MATMUL,
    "linear": OpInfo("linear", grads=("{g} @ {b}", "({g})ᵀ @ {a}", "{g} summed over its rows")),
    # views and joins; indexing ops are labelled with their actual index by `index_op`
    "select": OpInfo("[i]", "selecting puts the gradient back at the chosen position, 0 elsewhere", "suffix"),
    "slice": OpInfo("[a:b]", "slicing puts the gradient back into the slice, 0 elsewhere", "suffix"),
    "index": OpInfo("[·]", "indexing puts the gradient back where the elements came from", "suffix"),
    "view": OpInfo("view", "views " + _RESHAPE),
    "reshape": OpInfo("reshape", "reshapes " + _RESHAPE),
    "flatten": OpInfo("flatten", "flattens " + _RESHAPE),
    "squeeze": OpInfo("squeeze", "squeezes " + _RESHAPE),
    "unsqueeze": OpInfo("unsqueeze", "unsqueezes " + _RESHAPE),
    "expand": OpInfo("expand", "copies share one source: their gradients are summed back"),
    "transpose": OpInfo("ᵀ", "the gradient is transposed back", "suffix"),
    "t": OpInfo("ᵀ", "the gradient is transposed back", "suffix"),
    "permute": OpInfo("permute", "the gradient is permuted back"),
    "setitem": OpInfo(
        "[·]=", "overwritten positions pass no gradient back; the written value gets theirs", takes_numbers=True
    ),
    "cat": OpInfo("cat", "each input gets its own piece of the gradient"),
    "stack": OpInfo("stack", "each input gets its own slice of the gradient"),
    "clone": _unary("clone", "1", "copying passes the gradient unchanged"),
    "detach": OpInfo("detach", "its result is constant, so no gradient flows back through it"),
    # layers
    "softmax": OpInfo("softmax", "∂{y}ᵢ/∂{a}ⱼ = {y}ᵢ·(δᵢⱼ − {y}ⱼ)"),
    "log_softmax": OpInfo("log softmax", "∂{y}ᵢ/∂{a}ⱼ = δᵢⱼ − softmax({a})ⱼ"),
    "mse_loss": OpInfo("MSE", partials=("2·({a} − {b})/{n}", "−2·({a} − {b})/{n}")),
    "cross_entropy": OpInfo("CE", partials=("softmax({a}) − one-hot({b}), averaged over the batch",)),
    "dropout": OpInfo("dropout", "kept elements pass the gradient (scaled), dropped ones get 0"),
    "layer_norm": OpInfo("LayerNorm", "normalisation couples the elements of each row"),
    "batch_norm": OpInfo("BatchNorm", "normalisation couples the elements of each batch"),
    "conv2d": OpInfo("conv", "the gradient is the convolution with the flipped kernel"),
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
    return OpInfo(op, _literal(f"the local derivative of {op}"))


def _literal(text: str) -> str:
    """Text that `fill` shows as written."""
    return text.replace("{", "{{").replace("}", "}}")


def custom_info(cls) -> OpInfo:
    """The entry of a custom `torch.autograd.Function`: its `name` label and its `rule`, if given.

    The rule may use the template fields (`{a}`, `{b}`, … for its operands, `{y}` for its
    result), so it reads with the graph's names: `rule = "σ'({a}) = {y}·(1 − {y})"`.
    """
    label = cls.__dict__.get("_ani_graph_label", cls.__name__)
    rule = cls.__dict__.get("rule")
    if not isinstance(rule, str) or not rule.strip():
        rule = _literal(f"the local derivative of {cls.__name__}")
    return OpInfo(label, rule, takes_numbers=True)


def info_of(attrs: dict) -> OpInfo:
    """The entry for an op node of the graph; a custom Function's node carries its own rule."""
    if attrs.get("custom"):
        rule = attrs.get("rule") or _literal(f"the local derivative of {attrs['op']}")
        return OpInfo(attrs["label"], rule, takes_numbers=True)
    return lookup(attrs["op"])
