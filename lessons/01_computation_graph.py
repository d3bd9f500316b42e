# %% [markdown]
# # Lesson 1 · The computation graph and the gradient
#
# A neural network learns by nudging its numbers in the direction that lowers a loss. To
# know that direction we need **gradients**: how much the output changes when each input
# moves a little. In this lesson you will
#
# * compare three ways of getting derivatives,
# * let PyTorch's autograd compute them,
# * **watch** the computation as a graph: values flowing forward, gradients flowing back,
# * see how `+`, `×`, a reused variable and `max` pass gradients along,
# * and write an operation of your own that autograd can differentiate.

# %%
# Installs ani-graph, in a version these lessons fit, where it is not importable yet (Colab).
# If the install fails: %pip install "ani-graph @ git+<url of the repository>" (README, "In Google Colab").
try:
    import ani_graph
except ImportError:
    # %pip install -q "ani-graph>=0.1,<0.2"
    import ani_graph
print("ani-graph", ani_graph.__version__)

# %%
import math

import matplotlib.pyplot as plt
import torch

from ani_graph import TorchGraph, trackable_function
from ani_graph.exercises import check

# %% [markdown]
# ## Three ways to differentiate
#
# Take $f(x) = \sin(a x + c)$ with $a = 3$, $c = 4$, at $x = 2$.
#
# * **Numerically**: wiggle $x$ by a tiny $h$ and measure, $f'(x) \approx \frac{f(x+h) - f(x-h)}{2h}$.
#   Easy, but it costs two evaluations *per input* and rounding error limits the accuracy.
# * **Symbolically**: apply the rules of calculus to the formula,
#   $f'(x) = a\cos(a x + c)$. Exact, but formulas for big programs swell enormously.
# * **Automatically**: record the operations as the program runs, then apply the chain rule
#   to the recorded numbers. Exact to floating point, and in *reverse mode* one backward pass
#   gives the derivative with respect to **every** input, for roughly the cost of two forward
#   passes.

# %%
a, c, x0 = 3.0, 4.0, 2.0


def f(x):
    return math.sin(a * x + c)


for h in (1e-1, 1e-3, 1e-5, 1e-7, 1e-9):
    numeric = (f(x0 + h) - f(x0 - h)) / (2 * h)
    print(f"h = {h:.0e}:  numeric {numeric:+.10f}")
print(f"symbolic:      {a * math.cos(a * x0 + c):+.10f}")

# %% [markdown]
# Notice that shrinking $h$ helps only up to a point: below about $10^{-6}$ the subtraction
# $f(x+h) - f(x-h)$ loses its significant digits and the estimate gets *worse*.
#
# ## Autograd in three lines
#
# Mark the tensors you want derivatives for with `requires_grad=True`, compute, then call
# `backward()`. Each marked tensor receives its derivative in `.grad`.

# %%
x = torch.tensor(2.0, requires_grad=True)
a = torch.tensor(3.0, requires_grad=True)
c = torch.tensor(4.0, requires_grad=True)

y = torch.sin(a * x + c)
y.backward()

print("y     =", y.item())
print("∂y/∂x =", x.grad.item(), "  formula a·cos(ax + c) =", 3 * math.cos(10))
print("∂y/∂a =", a.grad.item(), "  formula x·cos(ax + c) =", 2 * math.cos(10))
print("∂y/∂c =", c.grad.item(), "  formula   cos(ax + c) =", math.cos(10))


# %% [markdown]
# ## Seeing the graph
#
# While `y` was computed, PyTorch built a graph: a node for every operation and an edge for
# every tensor that flows between them. `TorchGraph` runs a function once forward and once
# backward and keeps every value and every gradient, so we can look at it.


# %%
def func(x, a, c):
    y = torch.sin(a * x + c)
    return y


g = TorchGraph(func, [2, 3, 4])
g.plot(with_all=True)
plt.show()

# %% [markdown]
# Boxes are tensors (blue inputs, orange output, the unnamed intermediates `v1`, `v2`),
# circles are operations. The `=` row is a value, the `∂` row the gradient of the output
# with respect to that tensor. Now watch the **forward pass**: press ▶ or step with the
# arrow keys.

# %%
g.animate(direction="forward")

# %% [markdown]
# And the **backward pass**. It starts at the output with $\partial y/\partial y = 1$ and walks
# back one edge at a time. Each step multiplies the gradient that arrived from above by the
# *local* derivative of one operation: that is the chain rule, one multiplication per edge.

# %%
g.animate(direction="backward")


# %% [markdown]
# ## How gradients pass through common operations
#
# ### Addition hands the gradient on unchanged
#
# For $s = a + b$ both local derivatives are 1, so each input receives exactly the upstream
# gradient. Here the upstream gradient is 5.


# %%
def add(a, b):
    s = a + b
    return s


g_add = TorchGraph(add, [2, 3], [5])
print("∂L/∂a =", g_add.grad("a").item(), "  ∂L/∂b =", g_add.grad("b").item())
g_add.animate()


# %% [markdown]
# ### Multiplication swaps its inputs
#
# For $p = a \cdot b$: $\partial p/\partial a = b$ and $\partial p/\partial b = a$. Each input's
# gradient is the upstream gradient times the **other** input.


# %%
def mul(a, b):
    p = a * b
    return p


g_mul = TorchGraph(mul, [2, 3], [5])
print("∂L/∂a = 5·b =", g_mul.grad("a").item(), "  ∂L/∂b = 5·a =", g_mul.grad("b").item())
g_mul.animate()

# %% [markdown]
# **Your turn: predict, then reveal.** `quiz()` plays a backward pass but stops before each
# gradient appears and asks for it: type your number and press Enter (within 1% counts). A
# wrong answer gets a hint from the operation's rule with this graph's numbers; a second
# wrong answer, or Reveal, shows it. Your score comes at the end.
# Here the product $p = a \cdot b$ at $a = -2$, $b = 5$, with upstream gradient 3.

# %%
TorchGraph(mul, [-2, 5], [3]).quiz()


# %% [markdown]
# ### A variable used twice adds up its gradients
#
# When a tensor feeds two operations, a change in it reaches the output along both paths,
# so its gradient is the **sum** of what each path sends back. Below, $x = 4$ feeds two
# square roots whose outputs get upstream gradients 4 and 8. Each path contributes
# $g \cdot \frac{1}{2\sqrt{x}} = g/4$, so $\partial L/\partial x = 4/4 + 8/4 = 3$.
# Watch the second contribution being added in the animation.
#
# ![x feeds two square roots; the edges carry 1 and 2, which add up to 3](../assets/branch.png)


# %%
def two_roots(x):
    return torch.sqrt(x), torch.sqrt(x)


g_branch = TorchGraph(two_roots, [4], [4, 8])
print("∂L/∂x =", g_branch.grad("x").item())
g_branch.animate()

# %% [markdown]
# Predict the accumulated gradient yourself: now $x = 9$, and the two square roots get the
# upstream gradients 6 and 12. The quiz asks for the running total after each path.

# %%
TorchGraph(two_roots, [9], [6, 12]).quiz()


# %% [markdown]
# ### `max` is a switch
#
# $m = \max(a, b)$ passes the whole gradient to the larger input and nothing to the other:
# moving the smaller input a little does not change the maximum at all.
#
# ![max(3, 1): a gets gradient 1, b gets 0](../assets/max.png)


# %%
def bigger(a, b):
    m = torch.max(a, b)
    return m


g_max = TorchGraph(bigger, [3, 1])
print("∂m/∂a =", g_max.grad("a").item(), "  ∂m/∂b =", g_max.grad("b").item())
g_max.animate()


# %% [markdown]
# ## Your own operation: a sigmoid with a hand-written backward
#
# `torch.autograd.Function` lets you define an operation by its forward computation and its
# local derivative. The sigmoid $\sigma(x) = 1/(1 + e^{-x})$ has the pleasant property
# $\sigma'(x) = \sigma(x)\,(1 - \sigma(x))$, so forward can **save its output** and backward
# needs nothing else. `@trackable_function` with `name = "$\sigma$"` labels it σ in drawings.


# %%
@trackable_function
class Sigmoid(torch.autograd.Function):
    name = r"$\sigma$"

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

# %% [markdown]
# **Inspect a box.** Click any box of the drawing above (or Tab to it and press Enter): a
# panel shows that tensor's value and gradient in full, or, for the σ operation, its inputs,
# its output and the local rule its backward applies. Click the σ and compare its rule with
# the `backward` you wrote.

# %% [markdown]
# ### Checking a backward you wrote
#
# Autograd trusts your `backward` completely: if it is wrong, every gradient behind it is
# wrong, silently. `g.check()` catches that. It compares every gradient with **finite
# differences** (nudge an input by a tiny $h$ both ways, in double precision, and measure, as
# at the start of this lesson), and every operation's backward with its own forward. Our
# sigmoid passes:

# %%
g_sig.check()

# %% [markdown]
# Here is the mistake that is easiest to make: a backward that forgot the factor $(1 - s)$.
# The forward is the same, so every **value** in the graph is right; only the gradient is
# wrong. The check says so, and names the operation whose backward disagrees with its forward.


# %%
@trackable_function
class ForgetfulSigmoid(torch.autograd.Function):
    name = r"$\sigma$"

    @staticmethod
    def forward(ctx, x):
        s = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad_s):
        (s,) = ctx.saved_tensors
        return grad_s * s  # forgot the (1 - s)


def squash_badly(x):
    s = ForgetfulSigmoid.apply(x)
    return s


g_bad = TorchGraph(squash_badly, [0.5])
print("the forgetful gradient:", g_bad.grad("x").item(), "  the true one:", reference.item())
g_bad.check()

# %% [markdown]
# `animate(check=True)` marks each gradient ✓ or ✗ as it arrives, so you can see where a
# wrong backward starts to spoil the numbers:

# %%
g_bad.animate(check=True)

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Let $y = a \sin(b x) + c$ with $a = 5$, $b = 4$, $c = 7$ at $x = 2$.
# Work out $\partial y/\partial x$ with the chain rule and put the number in `dy_dx`. A calculator
# is fine: three significant digits are enough.

# %% tags=["exercise"]
dy_dx = ...  # your answer: a number

# %% tags=["solution"]
# y = a·sin(bx) + c  →  ∂y/∂x = a · cos(bx) · b
dy_dx = -2.91  # 5 · cos(8) · 4 = −2.9100…, to three significant digits


# %%
def y_of(x, a, b, c):
    return a * torch.sin(b * x) + c


_g = TorchGraph(y_of, [2, 5, 4, 7])
check(
    dy_dx,
    _g.grad("x"),
    digits=3,
    name="exercise 1",
    hint="Differentiate the outer multiplication, then sin, then the inner b·x.",
)

# %% [markdown]
# **Exercise 2.** With the same function, use `TorchGraph` (or `backward`) to find
# $\partial y/\partial b$, and store it in `dy_db`.

# %% tags=["exercise"]
dy_db = ...  # your answer

# %% tags=["solution"]
dy_db = TorchGraph(y_of, [2, 5, 4, 7]).grad("b")

# %%
_x = torch.tensor(2.0)
check(dy_db, 5 * torch.cos(4 * _x) * _x, name="exercise 2", hint="Which input multiplies x inside the sine?")
