"""Write the lesson notebooks and their worked solutions from one source.

    python scripts/build_notebooks.py

Each lesson is a list of cells: markdown, code, and exercises. An exercise cell has a
blank form (the answer is `None`) for the lesson and a filled form for the solution
notebook in notebooks/solutions/. Outputs are never stored.

Pictures in markdown are written `![alt](../assets/name.png)` here and embedded in the
notebook as cell attachments, so they show wherever the notebook is opened (JupyterLab,
Notebook 7, VS Code, Colab, GitHub) without the assets folder beside it.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PICTURE = re.compile(r"\]\(\.\./assets/([\w.-]+\.png)\)")

INSTALL = """\
# Installs ani-graph, in a version these lessons fit, where it is not importable yet (Colab).
# If the install fails: %pip install "ani-graph @ git+<url of the repository>" (README, "In Google Colab").
try:
    import ani_graph
except ImportError:
    %pip install -q "ani-graph>=0.1,<0.2"
    import ani_graph
print("ani-graph", ani_graph.__version__)"""

CHECK = '''\
import torch


def check(name, answer, expected, hint="", tol=1e-4):
    """Print whether an exercise answer is right, without crashing on a blank one."""
    if answer is None:
        print(f"⏳ {name}: not attempted yet")
        return
    try:
        got = torch.as_tensor(answer, dtype=torch.float64)
        want = torch.as_tensor(expected, dtype=torch.float64)
        right = got.shape == want.shape and torch.allclose(got, want, rtol=tol, atol=tol)
    except (TypeError, ValueError, RuntimeError):
        right = False
    print(f"✅ {name}: correct" if right else f"❌ {name}: not yet. {hint}")'''


def md(text):
    return ("md", text.strip("\n"))


def code(text):
    return ("code", text.strip("\n"))


def exercise(blank, solution):
    return ("exercise", blank.strip("\n"), solution.strip("\n"))


# ----------------------------------------------------------------------------------------------
LESSON_1 = [
    md("""
# Lesson 1 · The computation graph and the gradient

A neural network learns by nudging its numbers in the direction that lowers a loss. To
know that direction we need **gradients**: how much the output changes when each input
moves a little. In this lesson you will

* compare three ways of getting derivatives,
* let PyTorch's autograd compute them,
* **watch** the computation as a graph: values flowing forward, gradients flowing back,
* see how `+`, `×`, a reused variable and `max` pass gradients along,
* and write an operation of your own that autograd can differentiate.
"""),
    code(INSTALL),
    code("""
import math

import torch

from ani_graph import TorchGraph, trackable_function
"""),
    md("""
## Three ways to differentiate

Take $f(x) = \\sin(a x + c)$ with $a = 3$, $c = 4$, at $x = 2$.

* **Numerically**: wiggle $x$ by a tiny $h$ and measure, $f'(x) \\approx \\frac{f(x+h) - f(x-h)}{2h}$.
  Easy, but it costs two evaluations *per input* and rounding error limits the accuracy.
* **Symbolically**: apply the rules of calculus to the formula,
  $f'(x) = a\\cos(a x + c)$. Exact, but formulas for big programs swell enormously.
* **Automatically**: record the operations as the program runs, then apply the chain rule
  to the recorded numbers. Exact to floating point, and in *reverse mode* one backward pass
  gives the derivative with respect to **every** input, for roughly the cost of two forward
  passes.
"""),
    code("""
a, c, x0 = 3.0, 4.0, 2.0
f = lambda x: math.sin(a * x + c)

for h in (1e-1, 1e-3, 1e-5, 1e-7, 1e-9):
    numeric = (f(x0 + h) - f(x0 - h)) / (2 * h)
    print(f"h = {h:.0e}:  numeric {numeric:+.10f}")
print(f"symbolic:      {a * math.cos(a * x0 + c):+.10f}")
"""),
    md("""
Notice that shrinking $h$ helps only up to a point: below about $10^{-6}$ the subtraction
$f(x+h) - f(x-h)$ loses its significant digits and the estimate gets *worse*.

## Autograd in three lines

Mark the tensors you want derivatives for with `requires_grad=True`, compute, then call
`backward()`. Each marked tensor receives its derivative in `.grad`.
"""),
    code("""
x = torch.tensor(2.0, requires_grad=True)
a = torch.tensor(3.0, requires_grad=True)
c = torch.tensor(4.0, requires_grad=True)

y = torch.sin(a * x + c)
y.backward()

print("y      =", y.item())
print("dy/dx  =", x.grad.item(), " formula a·cos(ax+c) =", (3 * math.cos(10)))
print("dy/da  =", a.grad.item(), " formula x·cos(ax+c) =", (2 * math.cos(10)))
print("dy/dc  =", c.grad.item(), " formula   cos(ax+c) =", math.cos(10))
"""),
    md("""
## Seeing the graph

While `y` was computed, PyTorch built a graph: a node for every operation and an edge for
every tensor that flows between them. `TorchGraph` runs a function once forward and once
backward and keeps every value and every gradient, so we can look at it.
"""),
    code("""
def func(x, a, c):
    y = torch.sin(a * x + c)
    return y


g = TorchGraph(func, [2, 3, 4])
g.plot(with_all=True);
"""),
    md("""
Boxes are tensors (blue inputs, orange output, the unnamed intermediates `v1`, `v2`),
circles are operations. The `=` row is a value, the `∂` row the gradient of the output
with respect to that tensor. Now watch the **forward pass**: press ▶ or step with the
arrow keys.
"""),
    code("""g.animate(direction="forward")"""),
    md("""
And the **backward pass**. It starts at the output with $\\partial y/\\partial y = 1$ and walks
back one edge at a time. Each step multiplies the gradient that arrived from above by the
*local* derivative of one operation: that is the chain rule, one multiplication per edge.
"""),
    code("""g.animate(direction="backward")"""),
    md("""
**Your turn: predict, then reveal.** `g.quiz()` plays the same backward pass but stops
before each gradient appears and asks for it. Type your number and press Enter (within 1%
counts). A wrong answer gets a hint from the operation's rule with this graph's numbers; a
second wrong answer, or Reveal, shows it. Your score is shown at the end.
"""),
    code("""g.quiz()"""),
    md("""
## How gradients pass through common operations

### Addition hands the gradient on unchanged

For $s = a + b$ both local derivatives are 1, so each input receives exactly the upstream
gradient. Here the upstream gradient is 5.
"""),
    code("""
def add(a, b):
    s = a + b
    return s


g_add = TorchGraph(add, [2, 3], [5])
print("∂L/∂a =", g_add.grad("a").item(), "  ∂L/∂b =", g_add.grad("b").item())
g_add.animate()
"""),
    md("""
### Multiplication swaps its inputs

For $p = a \\cdot b$: $\\partial p/\\partial a = b$ and $\\partial p/\\partial b = a$. Each input's
gradient is the upstream gradient times the **other** input.
"""),
    code("""
def mul(a, b):
    p = a * b
    return p


g_mul = TorchGraph(mul, [2, 3], [5])
print("∂L/∂a = 5·b =", g_mul.grad("a").item(), "  ∂L/∂b = 5·a =", g_mul.grad("b").item())
g_mul.animate()
"""),
    md("""
### A variable used twice adds up its gradients

When a tensor feeds two operations, a change in it reaches the output along both paths,
so its gradient is the **sum** of what each path sends back. Below, $x = 4$ feeds two
square roots whose outputs get upstream gradients 4 and 8. Each path contributes
$g \\cdot \\frac{1}{2\\sqrt{x}} = g/4$, so $\\partial L/\\partial x = 4/4 + 8/4 = 3$.
Watch the second contribution being added in the animation.

![x feeds two square roots; the edges carry 1 and 2, which add up to 3](../assets/branch.png)
"""),
    code("""
def two_roots(x):
    return torch.sqrt(x), torch.sqrt(x)


g_branch = TorchGraph(two_roots, [4], [4, 8])
print("∂L/∂x =", g_branch.grad("x").item())
g_branch.animate()
"""),
    md("""
### `max` is a switch

$m = \\max(a, b)$ passes the whole gradient to the larger input and nothing to the other:
moving the smaller input a little does not change the maximum at all.

![max(3, 1): a gets gradient 1, b gets 0](../assets/max.png)
"""),
    code("""
def bigger(a, b):
    m = torch.max(a, b)
    return m


g_max = TorchGraph(bigger, [3, 1])
print("∂m/∂a =", g_max.grad("a").item(), "  ∂m/∂b =", g_max.grad("b").item())
g_max.animate()
"""),
    md("""
## Your own operation: a sigmoid with a hand-written backward

`torch.autograd.Function` lets you define an operation by its forward computation and its
local derivative. The sigmoid $\\sigma(x) = 1/(1 + e^{-x})$ has the pleasant property
$\\sigma'(x) = \\sigma(x)\\,(1 - \\sigma(x))$, so forward can **save its output** and backward
needs nothing else. `@trackable_function` with `name = "$\\sigma$"` labels it σ in drawings.
"""),
    code("""
@trackable_function
class Sigmoid(torch.autograd.Function):
    name = "$\\\\sigma$"

    @staticmethod
    def forward(ctx, x):
        s = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(s)  # keep what backward will need
        return s

    @staticmethod
    def backward(ctx, grad_s):
        (s,) = ctx.saved_tensors
        return grad_s * s * (1 - s)


def squash(x):
    s = Sigmoid.apply(x)
    return s


g_sig = TorchGraph(squash, [0.5])
x = torch.tensor(0.5, requires_grad=True)
(reference,) = torch.autograd.grad(torch.sigmoid(x), [x])
print("ours:", g_sig.grad("x").item(), "  torch.sigmoid:", reference.item())
g_sig.animate(direction="both")
"""),
    md("""
## Exercises

**Exercise 1.** Let $y = a \\sin(b x) + c$ with $a = 5$, $b = 4$, $c = 7$ at $x = 2$.
Work out $\\partial y/\\partial x$ with the chain rule (a calculator is fine) and put the number
in `dy_dx`.
"""),
    exercise(
        """
dy_dx = None  # your answer: a number
""",
        """
# y = a·sin(bx) + c  →  dy/dx = a · cos(bx) · b
dy_dx = 5 * math.cos(4 * 2) * 4
""",
    ),
    code(CHECK),
    code("""
def y_of(x, a, b, c):
    return a * torch.sin(b * x) + c


_g = TorchGraph(y_of, [2, 5, 4, 7])
check("exercise 1", dy_dx, _g.grad("x"), hint="Differentiate the outer multiplication, then sin, then the inner b·x.")
"""),
    md("""
**Exercise 2.** With the same function, use `TorchGraph` (or `backward`) to find
$\\partial y/\\partial b$, and store it in `dy_db`.
"""),
    exercise(
        """
dy_db = None  # your answer
""",
        """
dy_db = TorchGraph(y_of, [2, 5, 4, 7]).grad("b")
""",
    ),
    code("""
_x = torch.tensor(2.0)
check("exercise 2", dy_db, 5 * torch.cos(4 * _x) * _x, hint="Which input multiplies x inside the sine?")
"""),
]

# ----------------------------------------------------------------------------------------------
LESSON_2 = [
    md("""
# Lesson 2 · The chain rule by hand, then by autograd

Backpropagation is the chain rule, applied in a clever order. In this lesson you do it by
hand on a tiny graph, then check every number against autograd and the animation, and
finally let autograd handle tensors, loops and vector-valued outputs.
"""),
    code(INSTALL),
    code("""
import torch

from ani_graph import TorchGraph
"""),
    md("""
## A graph small enough to do by hand

$$c = a + b, \\qquad d = b + 1, \\qquad e = c \\cdot d, \\qquad a = 2,\\; b = 1.$$

Forward: $c = 3$, $d = 2$, $e = 6$.

**Local partial derivatives**, each operation on its own:

| edge | local derivative | value |
|---|---|---|
| $c \\to e$ | $\\partial e/\\partial c = d$ | 2 |
| $d \\to e$ | $\\partial e/\\partial d = c$ | 3 |
| $a \\to c$ | $\\partial c/\\partial a = 1$ | 1 |
| $b \\to c$ | $\\partial c/\\partial b = 1$ | 1 |
| $b \\to d$ | $\\partial d/\\partial b = 1$ | 1 |

**The chain rule** multiplies along each path from the output back to an input, and adds
the paths together:

* $\\partial e/\\partial a = \\partial e/\\partial c \\cdot \\partial c/\\partial a = 2 \\cdot 1 = 2$
* $\\partial e/\\partial b = \\partial e/\\partial c \\cdot \\partial c/\\partial b + \\partial e/\\partial d \\cdot \\partial d/\\partial b = 2 + 3 = 5$, because $b$ reaches $e$ along **two** paths.

![the chain-rule example with every value and gradient](../assets/chain_rule.png)
"""),
    code("""
def chain(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


g = TorchGraph(chain, [2, 1])
for name in ["c", "d", "a", "b"]:
    print(f"∂e/∂{name} = {g.grad(name).item():g}")
"""),
    md("""
Now check the hand computation against the animation. Every caption states one chain-rule
multiplication; the second path into `b` shows up as `+=`.
"""),
    code("""
anim = g.animate(direction="both")
for frame in anim.frames:
    print(frame["caption"])
anim
"""),
    md("""
Now predict every gradient yourself before the player shows it, including the `+=` of the
second path into `b` (it asks for the running total):
"""),
    code("""g.quiz()"""),
    md("""
## Tensors: one gradient per element

Let $x$ be a 2×2 tensor of ones and $\\text{out} = \\operatorname{mean}\\big(3(x+2)^2\\big)$.
For each element, $\\partial\\,\\text{out}/\\partial x_i = \\frac{1}{4} \\cdot 6 (x_i + 2) = 4.5$.
"""),
    code("""
def mean_of_squares(x):
    y = x + 2
    z = 3 * y * y
    out = z.mean()
    return out


g2 = TorchGraph(mean_of_squares, [torch.ones(2, 2)])
print(g2.grad("x"))
g2.animate()
"""),
    md("""
## A loop, and an output that is a vector

Autograd records whatever actually ran, so Python control flow is fine. Here a vector is
doubled until its norm passes 1000. The result is a vector, so there is no single number
to differentiate: we must say how much we care about each output element, the **upstream
gradient** $v$. Autograd then returns $v^\\top J$ (lesson 6 looks at this closely).
Because the loop multiplies by $2^k$, the answer is simply $2^k v$.
"""),
    code("""
def keep_doubling(x):
    y = x * 2
    while y.norm() < 1000:
        y = y * 2
    return y


torch.manual_seed(0)
start = torch.randn(3)
v = torch.tensor([0.1, 1.0, 0.0001])
g3 = TorchGraph(keep_doubling, [start], [v])
k = round(torch.log2(g3.value("y")[0] / start[0]).item())
print(f"doubled {k} times;  ∂L/∂x =", g3.grad("x"), "  2^k·v =", 2**k * v)
"""),
    md("## Exercises"),
    code(CHECK),
    md("""
**Exercise 1 (ReLU as a max).** $\\operatorname{relu}(x) = \\max(x, 0)$. What is its
derivative at $x = -10$ and at $x = 100$? Store them in `relu_grad_at_minus_10` and
`relu_grad_at_100`.
"""),
    exercise(
        """
relu_grad_at_minus_10 = None
relu_grad_at_100 = None
""",
        """
relu_grad_at_minus_10 = 0.0  # the 0 wins the max, so x gets no gradient
relu_grad_at_100 = 1.0  # x wins the max and gets all of it
""",
    ),
    code("""
def relu(x):
    return torch.maximum(x, torch.tensor(0.0))


check("ReLU at -10", relu_grad_at_minus_10, TorchGraph(relu, [-10]).grad("x"), hint="max is a switch.")
check("ReLU at 100", relu_grad_at_100, TorchGraph(relu, [100]).grad("x"), hint="max is a switch.")
"""),
    md("""
**Exercise 2.** $f(x, y, z) = \\dfrac{(x-1)(y-2)^2(z-3)^3}{\\sqrt{x+y+z}}$. Compute the three
partial derivatives at $(x, y, z) = (2, 4, 5)$ with autograd, and store them as a list
`[df_dx, df_dy, df_dz]` in `partials`.
"""),
    exercise(
        """
partials = None
""",
        """
def f(x, y, z):
    return (x - 1) * (y - 2) ** 2 * (z - 3) ** 3 / torch.sqrt(x + y + z)


g_f = TorchGraph(f, [2, 4, 5])
partials = [g_f.grad(n).item() for n in ("x", "y", "z")]
""",
    ),
    code("""
_p = [torch.tensor(v, requires_grad=True) for v in (2.0, 4.0, 5.0)]
_f = (_p[0] - 1) * (_p[1] - 2) ** 2 * (_p[2] - 3) ** 3 / torch.sqrt(sum(_p))
check("three partials", partials, torch.stack(torch.autograd.grad(_f, _p)), hint="Pass x, y and z as three inputs.")
"""),
    md("""
**Exercise 3 (a perceptron).** With random `w` (3 numbers), `x` (3 numbers) and `b`, the
perceptron computes $w \\cdot x + b$. Without running autograd, what are its gradients with
respect to `x`, `w` and `b`? Fill in `grad_x`, `grad_w`, `grad_b` as expressions of the
tensors below.
"""),
    code("""
torch.manual_seed(1)
w, x, b = torch.randn(3), torch.randn(3), torch.randn(())
"""),
    exercise(
        """
grad_x = None
grad_w = None
grad_b = None
""",
        """
grad_x = w  # multiplication swaps: x's gradient is w
grad_w = x
grad_b = torch.tensor(1.0)  # addition passes the gradient unchanged
""",
    ),
    code("""
def perceptron(w, x, b):
    return torch.dot(w, x) + b


_g = TorchGraph(perceptron, [w, x, b])
check("∂/∂x", grad_x, _g.grad("x"), hint="Think of the dot product as a sum of products.")
check("∂/∂w", grad_w, _g.grad("w"), hint="Same rule, other input.")
check("∂/∂b", grad_b, _g.grad("b"), hint="What does addition do to a gradient?")
"""),
]

# ----------------------------------------------------------------------------------------------
LESSON_3 = [
    md("""
# Lesson 3 · Autograd in practice

The rules you need when you use autograd every day: gradients accumulate, vector outputs
need an upstream gradient, `detach` cuts the graph, control flow is allowed, and a graph is
freed after one backward pass unless you ask to keep it.
"""),
    code(INSTALL),
    code("""
import matplotlib.pyplot as plt
import torch

from ani_graph import TorchGraph
"""),
    md("""
## A first gradient: $y = 2\\,x^\\top x$

For $x = (0, 1, 2, 3)$, $y = 2\\sum x_i^2$ and $\\nabla_x y = 4x$.
"""),
    code("""
x = torch.arange(4.0, requires_grad=True)
y = 2 * torch.dot(x, x)
y.backward()
print(x.grad, "==", 4 * x.detach())

g = TorchGraph(lambda x: 2 * torch.dot(x, x), [torch.arange(4.0)])
g.plot(with_all=True);
"""),
    md("""
## Gradients accumulate

`backward()` **adds** into `.grad`; it never overwrites. Run another backward pass without
clearing and the numbers double. That is useful (several losses, several mini-batches), but
in a training loop you must zero the gradients before each step.
"""),
    code("""
y = 2 * torch.dot(x, x)
y.backward()
print("after a second backward:", x.grad)

x.grad.zero_()
y = x.sum()
y.backward()
print("zeroed, then the gradient of sum:", x.grad)
"""),
    md("""
## A vector output needs an upstream gradient

`backward()` on a non-scalar tensor does not know how to weigh the output elements, and
says so. You either pass `gradient=` (one weight per element) or reduce to a scalar first;
`y.sum().backward()` is the same as `y.backward(gradient=torch.ones_like(y))`.
"""),
    code("""
x.grad = None
y = x * x
try:
    y.backward()
except RuntimeError as err:
    print("RuntimeError:", err)

y.backward(gradient=torch.ones(4))
print("with gradient=ones:", x.grad)
x.grad = None
(x * x).sum().backward()
print("with .sum():        ", x.grad)
"""),
    md("""
ani-graph asks for the same thing, as `grad_outputs`, and tells you so:
"""),
    code("""
try:
    TorchGraph(lambda x: x * x, [[0.0, 1.0, 2.0, 3.0]])
except ValueError as err:
    print("ValueError:", err)

g = TorchGraph(lambda x: x * x, [[0.0, 1.0, 2.0, 3.0]], [torch.ones(4)])
print(g.grad("x"))
"""),
    md("""
## `detach()` cuts the graph

`u = (x * x).detach()` has the same numbers as `x * x` but no history: autograd treats it
as a constant. So $z = u \\cdot x$ has $\\partial z/\\partial x = u$, not $3x^2$. In the drawing
`u` is a grey constant with no edge coming in.
"""),
    code("""
def with_detach(x):
    u = (x * x).detach()
    z = u * x
    return z


g = TorchGraph(with_detach, [[0.0, 1.0, 2.0, 3.0]], [torch.ones(4)])
print("∂z/∂x =", g.grad("x"), "  u =", g.value("u"))
g.animate()
"""),
    md("""
Predict it first: is $\\partial z/\\partial x$ equal to $3x^2$ or to $u$? The quiz asks for all
four elements, comma-separated.
"""),
    code("""g.quiz()"""),
    md("""
## Control flow: autograd differentiates the path that ran

The function below doubles `a` until the norm passes 1000 and then may scale it by 100.
Whatever branch ran, the result is $k \\cdot a$ for some number $k$, a *linear* function of
`a` on that path, so the gradient is $k = f(a)/a$.
"""),
    code("""
def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


a = torch.randn((), requires_grad=True)
d = f(a)
d.backward()
print(a.grad.item(), "==", (d / a).item())
"""),
    md("""
## Backward frees the graph, unless you keep it

After `backward()` PyTorch frees the values it saved for the backward pass. A second call
fails, unless the first kept the graph with `retain_graph=True`. Second derivatives go one
step further: `create_graph=True` records the backward pass itself as a graph, which costs
memory and time.
"""),
    code("""
x = torch.tensor(1.0, requires_grad=True)
y = torch.sin(x) * x
y.backward(retain_graph=True)
y.backward()  # allowed, because the graph was kept
print("accumulated twice:", x.grad.item())

z = torch.sin(x) * x
z.backward()
try:
    z.backward()
except RuntimeError as err:
    print("RuntimeError:", str(err).split(".")[0])

(first,) = torch.autograd.grad(torch.sin(x), x, create_graph=True)
(second,) = torch.autograd.grad(first, x)
print("d²/dx² sin(x) at 1 =", second.item(), "== -sin(1) =", -torch.sin(torch.tensor(1.0)).item())
"""),
    md("""
## The derivative of sin, drawn by autograd

One backward pass over a whole vector of points gives the derivative at every point,
because each output element depends only on its own input.
"""),
    code("""
xs = torch.linspace(-6.3, 6.3, 200, requires_grad=True)
ys = torch.sin(xs)
ys.sum().backward()
plt.figure(figsize=(7, 3))
plt.plot(xs.detach(), ys.detach(), label="sin(x)")
plt.plot(xs.detach(), xs.grad, label="autograd derivative")
plt.plot(xs.detach(), torch.cos(xs.detach()), ":", label="cos(x)", linewidth=3)
plt.legend()
plt.show()
"""),
    md("## Exercises"),
    code(CHECK),
    md("""
**Exercise 1.** Use autograd to get the derivative of $x^3$ at $x = 2$ into `cube_slope`.
"""),
    exercise(
        """
cube_slope = None
""",
        """
cube_slope = TorchGraph(lambda x: x**3, [2]).grad("x")
""",
    ),
    code("""check("x³ at 2", cube_slope, 3 * 2.0**2, hint="Build y = x**3 and call backward().")"""),
    md("""
**Exercise 2.** Run `f` from above on a random **vector** `a` (seed 0, 5 numbers) with
upstream gradient all ones, and store the gradient in `f_grad`. (It should equal `f(a)/a`.)
"""),
    exercise(
        """
f_grad = None
""",
        """
torch.manual_seed(0)
a = torch.randn(5)
f_grad = TorchGraph(f, [a], [torch.ones(5)]).grad("a")
""",
    ),
    code("""
torch.manual_seed(0)
_a = torch.randn(5)
check("control flow", f_grad, f(_a) / _a, hint="Use torch.manual_seed(0) then torch.randn(5).")
"""),
    md("""
**Exercise 3.** The second derivative of $\\sin$ at $x = 1$, by autograd (use
`create_graph=True`), into `sin_curvature`.
"""),
    exercise(
        """
sin_curvature = None
""",
        """
x = torch.tensor(1.0, requires_grad=True)
(slope,) = torch.autograd.grad(torch.sin(x), x, create_graph=True)
(sin_curvature,) = torch.autograd.grad(slope, x)
""",
    ),
    code(
        """check("second derivative", sin_curvature, -torch.sin(torch.tensor(1.0)), hint="Differentiate the first derivative again.")"""
    ),
]

# ----------------------------------------------------------------------------------------------
LESSON_4 = [
    md("""
# Lesson 4 · Autograd inside a training step

Here the graph belongs to a real model. We walk it by hand, draw it, train one step, and
learn the switches that turn autograd off where it is not wanted.
"""),
    code(INSTALL),
    code("""
import torch
import torch.nn as nn

from ani_graph import TorchGraph, record
"""),
    md("""
## Walking the graph by hand

Every tensor produced by a differentiable operation has a `grad_fn`: the backward node that
will receive its gradient. `next_functions` points to the nodes further back, and
`AccumulateGrad` nodes are where leaf tensors collect their `.grad`.
"""),
    code("""
w = torch.tensor([1.0, -2.0], requires_grad=True)
x = torch.tensor([3.0, 4.0])
b = torch.tensor(0.5, requires_grad=True)
loss = (torch.dot(w, x) + b - 1.0) ** 2

node, depth = loss.grad_fn, 0
stack = [(loss.grad_fn, 0)]
while stack:
    node, depth = stack.pop()
    print("  " * depth + type(node).__name__)
    stack.extend((nxt, depth + 1) for nxt, _ in reversed(node.next_functions) if nxt is not None)
"""),
    md("The same graph, drawn with every value and gradient:"),
    code("""
def step_loss(w, x, b):
    prediction = torch.dot(w, x) + b
    loss = (prediction - 1.0) ** 2
    return loss


TorchGraph(step_loss, [w, x, b]).plot(with_all=True);
"""),
    md("""
Before reading the gradients off the picture, predict them: the quiz stops before each
one (a vector is typed comma-separated).
"""),
    code("""TorchGraph(step_loss, [w, x, b]).quiz()"""),
    md("""
## A small model

A two-layer network, 1000 → 100 → 10, with a squared-error loss. Before any backward pass
the parameters have no gradient at all (`None`); `loss.backward()` fills every `.grad`, and
an optimizer step moves the weights against it.
"""),
    code("""
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(1000, 100), nn.ReLU(), nn.Linear(100, 10))
some_input = torch.randn(16, 1000)
ideal_output = torch.randn(16, 10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

print("before backward:", model[0].weight.grad)
prediction = model(some_input)
loss = (ideal_output - prediction).pow(2).sum()
loss.backward()
print("after backward: ", model[0].weight.grad.shape, "mean |grad| =", model[0].weight.grad.abs().mean().item())

before = model[2].bias.detach().clone()
optimizer.step()
print("the step moved the last bias by", (model[2].bias.detach() - before).abs().max().item())
"""),
    md("""
Gradients keep accumulating over backward calls until you clear them with `zero_grad()`:
"""),
    code("""
def loss_fn():
    return (ideal_output - model(some_input)).pow(2).sum()


optimizer.zero_grad()
loss_fn().backward()
once = model[2].bias.grad.clone()
loss_fn().backward()  # the same batch again, without zero_grad
print("two backward calls give twice the gradient:", torch.allclose(model[2].bias.grad, 2 * once))
optimizer.zero_grad()
print("after zero_grad:", model[2].bias.grad)
"""),
    md("""
## Turning autograd off and on

* `requires_grad=False` on a parameter freezes it: no gradient is computed for it.
* `with torch.no_grad():` (or `@torch.no_grad()` on a function) records nothing, which is
  what you want for evaluation and for updating weights by hand.
* `torch.enable_grad()` switches recording back on inside a `no_grad` region.
* `detach()` gives a tensor with the same numbers and no history.
"""),
    code("""
x = torch.tensor(2.0, requires_grad=True)
with torch.no_grad():
    y = x * 3
    with torch.enable_grad():
        z = x * 3
print("inside no_grad:", y.requires_grad, "  inside enable_grad:", z.requires_grad)


@torch.no_grad()
def evaluate(m, data):
    return m(data).sum()


print("decorated evaluation records nothing:", evaluate(model, some_input).requires_grad)
print("detach:", (x * 3).detach().requires_grad)
"""),
    md("""
## Recording the training step you already have

`record()` watches ordinary code, so you do not need to wrap it in a function. The drawing
groups the operations of each module, and labels parameters by their qualified names.
"""),
    code("""
with record() as rec:
    prediction = model(some_input)
    loss = (ideal_output - prediction).pow(2).sum()
g = rec.graph(loss)
print(g)
g.plot(with_all=True, depth=0);
"""),
    md("""
`depth=0` folds each top-level module (`0`, `1`, `2` are the two Linear layers and the
ReLU) into one box, for an overview. Without it, every operation is drawn, grouped in a
dashed frame per module; the animation below scrolls sideways. Large tensors show their
shape and mean instead of a thousand numbers.
"""),
    code("""g.animate(direction="backward")"""),
    md("The gradients in the picture are exactly those `backward()` computes:"),
    code("""
optimizer.zero_grad()
loss.backward()
print(torch.allclose(g.grad("2.bias"), model[2].bias.grad), torch.allclose(g.grad("0.weight"), model[0].weight.grad))
"""),
    md("## Exercises"),
    code(CHECK),
    md("""
**Exercise 1.** A single weight $w = 0.5$ gets the gradient $g = 2.0$. What is $w$ after
one plain SGD step with learning rate 0.1? Store it in `w_after`.
"""),
    exercise(
        """
w_after = None
""",
        """
w_after = 0.5 - 0.1 * 2.0  # SGD moves against the gradient
""",
    ),
    code("""
_w = torch.nn.Parameter(torch.tensor(0.5))
_opt = torch.optim.SGD([_w], lr=0.1)
(_w * 2.0).backward()
_opt.step()
check("one SGD step", w_after, _w.detach(), hint="new = old − learning rate × gradient.")
"""),
    md("""
**Exercise 2.** Freeze the first layer of `model` (set `requires_grad=False` on its weight
and bias), run one backward pass of the loss, and count how many parameter tensors
received a gradient. Store the count in `with_grad`.
"""),
    exercise(
        """
with_grad = None
""",
        """
for p in model[0].parameters():
    p.requires_grad_(False)
model.zero_grad(set_to_none=True)
(ideal_output - model(some_input)).pow(2).sum().backward()
with_grad = sum(p.grad is not None for p in model.parameters())
for p in model[0].parameters():
    p.requires_grad_(True)
""",
    ),
    code(
        """check("frozen layer", with_grad, 2, hint="Only the last Linear layer is still trainable: its weight and its bias.")"""
    ),
    md("""
**Exercise 3.** For the loss $\\sum (t - p)^2$, the gradient with respect to the
prediction $p$ is $-2(t - p)$. Use that to compute, without `backward`, the gradient of the
loss with respect to the **last layer's bias** for the batch above, into `bias_grad`.
(Hint: every row of the batch adds its share.)
"""),
    exercise(
        """
bias_grad = None
""",
        """
with torch.no_grad():
    p = model(some_input)
    bias_grad = (-2 * (ideal_output - p)).sum(dim=0)
""",
    ),
    code("""
model.zero_grad(set_to_none=True)
(ideal_output - model(some_input)).pow(2).sum().backward()
check("bias gradient", bias_grad, model[2].bias.grad, hint="Sum −2(t − p) over the rows of the batch.")
"""),
]

# ----------------------------------------------------------------------------------------------
LESSON_5 = [
    md("""
# Lesson 5 · Reverse mode in depth

Autograd can differentiate through an algorithm, refuses a few things for good reasons,
handles many outputs at once, drives gradient descent, and makes random sampling
differentiable with one trick.
"""),
    code(INSTALL),
    code("""
import torch

from ani_graph import TorchGraph
"""),
    md("""
## Differentiating through an algorithm

This little algorithm updates $z$ twice from $x$. Autograd records the two updates and
differentiates the composition; we compare with the derivative written out by hand.
"""),
    code("""
def two_updates(x):
    z = x
    for _ in range(2):
        z = z * z + x
    return z


g = TorchGraph(two_updates, [0.5])
# z1 = x² + x, z2 = z1² + x  →  dz2/dx = 2·z1·(2x + 1) + 1
x = 0.5
z1 = x * x + x
print(g.grad("x").item(), "==", 2 * z1 * (2 * x + 1) + 1)
g.animate(direction="both")
"""),
    md("""
Work the loop through by hand, then check yourself: the quiz asks for each value on the way
forward and each gradient on the way back.
"""),
    code("""g.quiz(direction="both")"""),
    md("""
## What autograd refuses, and why

### Changing in place a tensor that backward still needs

`exp` saves its **output** for the backward pass ($\\frac{d}{du}e^u = e^u$). If you then change
that output in place, the saved value is wrong. PyTorch notices through a *version counter*
on every tensor and stops with an error rather than return a wrong gradient.
"""),
    code("""
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = torch.exp(x)
y.add_(1)  # changes the very tensor exp saved
try:
    y.sum().backward()
except RuntimeError as err:
    print("RuntimeError:", err)
"""),
    md("ani-graph raises the same error, and adds which of your tensors it means:"),
    code("""
def broken(x):
    y = torch.exp(x)
    y.add_(1)
    return y.sum()


try:
    TorchGraph(broken, [[1.0, 2.0]])
except RuntimeError as err:
    print(str(err).split("\\n\\n")[-1])
"""),
    md("The fix is to build a new tensor instead; the graph then shows both steps:"),
    code("""
def fixed(x):
    y = torch.exp(x)
    y = y + 1
    return y.sum()


TorchGraph(fixed, [[1.0, 2.0]]).plot(with_all=True);
"""),
    md("""
### Changing in place a view of a leaf

A leaf tensor that requires grad is where gradients are collected. Writing into it through
a view would change history that autograd cannot rewrite, so that is refused too.
"""),
    code("""
w = torch.ones(3, requires_grad=True)
try:
    w[0].mul_(2)
except RuntimeError as err:
    print("RuntimeError:", err)
"""),
    md("""
## Several outputs as one tensor

$z = 2x + \\sin x$ and $v = 4x + \\cos x$ stacked into one output. An upstream vector
$(1, 0.5)$ weighs them, and the gradient is
$1 \\cdot (2 + \\cos x) + 0.5 \\cdot (4 - \\sin x)$.
"""),
    code("""
def both(x):
    out = torch.stack([2 * x + torch.sin(x), 4 * x + torch.cos(x)])
    return out


g = TorchGraph(both, [1.0], [[1.0, 0.5]])
x = torch.tensor(1.0)
print(g.grad("x").item(), "==", (1 * (2 + torch.cos(x)) + 0.5 * (4 - torch.sin(x))).item())
g.animate()
"""),
    md("""
## Gradient descent by hand

Minimise $x_0^2 + x_1^2 + x_2^2$ from $(2, 1, 10)$. The update must not itself be recorded
(and an in-place change of a leaf that requires grad is refused), so it happens under
`torch.no_grad()`. Then the gradient is cleared for the next step.
"""),
    code("""
x = torch.tensor([2.0, 1.0, 10.0], requires_grad=True)
for step in range(5):
    loss = (x**2).sum()
    loss.backward()
    with torch.no_grad():
        x -= 0.1 * x.grad
    x.grad = None
    print(f"step {step}: loss {loss.item():8.3f}  x = {x.detach().tolist()}")
"""),
    md("""
## The reparameterisation trick

Sampling $z \\sim \\mathcal{N}(\\mu, \\sigma^2)$ is not differentiable in $\\mu$ and $\\sigma$. Writing the
sample as $z = \\mu + \\sigma \\cdot \\varepsilon$ with $\\varepsilon \\sim \\mathcal{N}(0, 1)$ drawn separately makes it
so: $\\partial z/\\partial\\mu = 1$ and $\\partial z/\\partial\\sigma = \\varepsilon$. In the drawing,
$\\varepsilon$ is a constant: no gradient flows into the randomness.
"""),
    code("""
torch.manual_seed(0)
eps = torch.randn(())


def sample(mu, sigma):
    z = mu + sigma * eps
    return z


g = TorchGraph(sample, [0.5, 2.0])
print("∂z/∂μ =", g.grad("mu").item(), "  ∂z/∂σ =", g.grad("sigma").item(), " ε =", eps.item())
g.animate(direction="both")
"""),
    md("## Exercises"),
    code(CHECK),
    md("""
**Exercise 1.** With the same $\\varepsilon$, take $L = z^2$. Compute
$\\partial L/\\partial\\mu$ and $\\partial L/\\partial\\sigma$ at $\\mu = 0.5$, $\\sigma = 2$ by the chain rule and store
them in `dL_dmu` and `dL_dsigma`.
"""),
    exercise(
        """
dL_dmu = None
dL_dsigma = None
""",
        """
z = 0.5 + 2.0 * eps
dL_dmu = 2 * z  # dL/dz · dz/dμ
dL_dsigma = 2 * z * eps  # dL/dz · dz/dσ
""",
    ),
    code("""
_g = TorchGraph(lambda mu, sigma: sample(mu, sigma) ** 2, [0.5, 2.0])
check("∂L/∂μ", dL_dmu, _g.grad("mu"), hint="dL/dz = 2z.")
check("∂L/∂σ", dL_dsigma, _g.grad("sigma"), hint="dz/dσ = ε.")
"""),
    md("""
**Exercise 2.** Each gradient step above multiplies $x$ by the same factor. What is $x$
after three steps with learning rate 0.25 from $(2, 1, 10)$? Store it in `x_after_three`.
"""),
    exercise(
        """
x_after_three = None
""",
        """
# x ← x − 0.25 · 2x = 0.5 x, three times
x_after_three = torch.tensor([2.0, 1.0, 10.0]) * 0.5**3
""",
    ),
    code("""
_x = torch.tensor([2.0, 1.0, 10.0], requires_grad=True)
for _ in range(3):
    (_x**2).sum().backward()
    with torch.no_grad():
        _x -= 0.25 * _x.grad
    _x.grad = None
check("three steps", x_after_three, _x.detach(), hint="The gradient of x² is 2x.")
"""),
    md("""
**Exercise 3.** Change `two_updates` to run **three** updates and find its derivative at
$x = 0.5$ with ani-graph, into `three_updates_slope`.
"""),
    exercise(
        """
three_updates_slope = None
""",
        """
def three_updates(x):
    z = x
    for _ in range(3):
        z = z * z + x
    return z


three_updates_slope = TorchGraph(three_updates, [0.5]).grad("x")
""",
    ),
    code("""
_x = torch.tensor(0.5, requires_grad=True)
_z = _x
for _ in range(3):
    _z = _z * _z + _x
check("three updates", three_updates_slope, torch.autograd.grad(_z, _x)[0], hint="Loop three times instead of two.")
"""),
]

# ----------------------------------------------------------------------------------------------
LESSON_6 = [
    md("""
# Lesson 6 · Beyond the course: the vector-Jacobian product

Reverse mode never builds a Jacobian matrix. For an output $y = f(x)$ with
$y \\in \\mathbb{R}^m$, $x \\in \\mathbb{R}^n$, the Jacobian $J$ is $m \\times n$, and one backward pass with
upstream gradient $v$ computes the **vector-Jacobian product** $v^\\top J$, a single row of
length $n$, for about the cost of the forward pass. This lesson makes that concrete.
"""),
    code(INSTALL),
    code("""
import torch

from ani_graph import TorchGraph
"""),
    md("""
## A linear map, where the Jacobian is the matrix itself

For $y = W x$ the Jacobian is $W$. Pick $W$ (3×2) and $x$, and an upstream vector $v$.
"""),
    code("""
W = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
v = torch.tensor([1.0, -1.0, 2.0])


def linear_map(x):
    y = W @ x
    return y


g = TorchGraph(linear_map, [[0.5, -2.0]], [v])
J = torch.autograd.functional.jacobian(linear_map, torch.tensor([0.5, -2.0]))
print("Jacobian:\\n", J)
print("vᵀJ       =", v @ J)
print("ani-graph =", g.grad("x"))
g.animate(direction="both")
"""),
    md("""
Predict the vector-Jacobian product before the backward pass reveals it: each gradient is
asked for in full, comma-separated.
"""),
    code("""g.quiz()"""),
    md("""
## Rows of the Jacobian, one backward pass each

With a one-hot $v = e_i$, the product $v^\\top J$ is row $i$ of $J$. So $m$ backward passes
recover the whole Jacobian: cheap when there are few outputs (a loss has one), expensive
when there are many. That asymmetry is why training uses reverse mode.
"""),
    code("""
rows = []
for i in range(3):
    one_hot = torch.zeros(3)
    one_hot[i] = 1
    rows.append(TorchGraph(linear_map, [[0.5, -2.0]], [one_hot]).grad("x"))
print(torch.stack(rows))
print("equal to J:", torch.allclose(torch.stack(rows), J))
"""),
    md("""
## A nonlinear example

For $y = \\tanh(Wx)$ the Jacobian depends on $x$:
$J = \\operatorname{diag}(1 - \\tanh^2(Wx))\\, W$. The VJP still needs only one backward pass.
"""),
    code("""
def squashed(x):
    h = W @ x
    y = torch.tanh(h)
    return y


g2 = TorchGraph(squashed, [[0.5, -2.0]], [v])
x0 = torch.tensor([0.5, -2.0])
J2 = torch.diag(1 - torch.tanh(W @ x0) ** 2) @ W
print("vᵀJ by formula:", v @ J2)
print("ani-graph:     ", g2.grad("x"))
g2.animate()
"""),
    md("## Exercises"),
    code(CHECK),
    md("""
**Exercise 1.** For the linear map, compute by hand (with the matrix `W`) the VJP for
$v = (2, 0, 1)$, and store it in `vjp`.
"""),
    exercise(
        """
vjp = None
""",
        """
vjp = torch.tensor([2.0, 0.0, 1.0]) @ W
""",
    ),
    code("""
check("VJP", vjp, TorchGraph(linear_map, [[0.5, -2.0]], [[2.0, 0.0, 1.0]]).grad("x"), hint="vᵀW: a weighted sum of W's rows.")
"""),
    md("""
**Exercise 2.** How many backward passes does it take to build the full Jacobian of a
function from $\\mathbb{R}^{1000}$ to $\\mathbb{R}^{3}$ with reverse mode? Store the number in
`passes`.
"""),
    exercise(
        """
passes = None
""",
        """
passes = 3  # one per output: each backward pass gives one row
""",
    ),
    code("""check("passes", passes, 3, hint="Each backward pass gives one row of J.")"""),
]

LESSONS = {
    "01_computation_graph": LESSON_1,
    "02_chain_rule": LESSON_2,
    "03_autograd_in_practice": LESSON_3,
    "04_training_step": LESSON_4,
    "05_reverse_mode_in_depth": LESSON_5,
    "06_vector_jacobian_product": LESSON_6,
}


def markdown_cell(text: str):
    """A markdown cell whose pictures from assets/ travel inside it, as attachments."""
    names = PICTURE.findall(text)
    attachments = {n: {"image/png": base64.b64encode((ROOT / "assets" / n).read_bytes()).decode()} for n in names}
    text = PICTURE.sub(lambda m: f"](attachment:{m.group(1)})", text)
    return nbformat.v4.new_markdown_cell(text, **({"attachments": attachments} if names else {}))


def build(cells, solved: bool):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in cells:
        kind = cell[0]
        if kind == "md":
            nb.cells.append(markdown_cell(cell[1]))
        elif kind == "code":
            nb.cells.append(nbformat.v4.new_code_cell(cell[1]))
        else:
            source = cell[2] if solved else cell[1]
            nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": ["exercise"]}))
    for i, c in enumerate(nb.cells):  # stable ids keep diffs small
        c["id"] = f"cell-{i:02d}"
    return nb


def main():
    (NOTEBOOKS / "solutions").mkdir(parents=True, exist_ok=True)
    for name, cells in LESSONS.items():
        nbformat.write(build(cells, solved=False), NOTEBOOKS / f"{name}.ipynb")
        nbformat.write(build(cells, solved=True), NOTEBOOKS / "solutions" / f"{name}.ipynb")
        print(f"notebooks/{name}.ipynb and its solution")


if __name__ == "__main__":
    main()
