# %% [markdown]
# # Lesson 3 · Autograd in practice
#
# The rules you need when you use autograd every day: gradients accumulate, vector outputs
# need an upstream gradient, `detach` cuts the graph, control flow is allowed, and a graph is
# freed after one backward pass unless you ask to keep it.

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
import matplotlib.pyplot as plt
import torch

from ani_graph import TorchGraph
from ani_graph.exercises import check

# %% [markdown]
# ## A first gradient: $y = 2\,x^\top x$
#
# For $x = (0, 1, 2, 3)$, $y = 2\sum x_i^2$ and $\nabla_x y = 4x$.

# %%
x = torch.arange(4.0, requires_grad=True)
y = 2 * torch.dot(x, x)
y.backward()
print(x.grad, "==", 4 * x.detach())

g = TorchGraph(lambda x: 2 * torch.dot(x, x), [torch.arange(4.0)])
g.plot(with_all=True)
plt.show()

# %% [markdown]
# ## Gradients accumulate
#
# `backward()` **adds** into `.grad`; it never overwrites. Run another backward pass without
# clearing and the numbers double. That is useful (several losses, several mini-batches), but
# in a training loop you must zero the gradients before each step.

# %%
y = 2 * torch.dot(x, x)
y.backward()
print("after a second backward:", x.grad)

x.grad.zero_()
y = x.sum()
y.backward()
print("zeroed, then the gradient of sum:", x.grad)

# %% [markdown]
# ## A vector output needs an upstream gradient
#
# `backward()` on a non-scalar tensor does not know how to weigh the output elements, and
# says so. You either pass `gradient=` (one weight per element) or reduce to a scalar first;
# `y.sum().backward()` is the same as `y.backward(gradient=torch.ones_like(y))`.

# %%
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

# %% [markdown]
# ani-graph asks for the same thing, as `grad_outputs`, and tells you so:

# %%
try:
    TorchGraph(lambda x: x * x, [[0.0, 1.0, 2.0, 3.0]])
except ValueError as err:
    print("ValueError:", err)

g = TorchGraph(lambda x: x * x, [[0.0, 1.0, 2.0, 3.0]], [torch.ones(4)])
print(g.grad("x"))


# %% [markdown]
# ## `detach()` cuts the graph
#
# `u = (x * x).detach()` has the same numbers as `x * x` but no history: autograd treats it
# as a constant. Take $L = \sum z$ with $z = u \cdot x$. Without the cut, $z = x^3$ and
# $\partial L/\partial x = 3x^2$; with it, only the direct path counts and
# $\partial L/\partial x = u = x^2$.
#
# The drawing shows what was cut: the edge from `v1` (that is, $x \cdot x$) into `detach` is
# dashed, `u` comes out grey (a constant), and in the animation no gradient ever crosses the
# dashed edge. The whole path through `v1` is lost; only the edge from `x` straight into
# the second `×` carries a gradient.


# %%
def with_detach(x):
    u = (x * x).detach()
    z = u * x
    return z


def without_detach(x):
    u = x * x
    z = u * x
    return z


# %% [markdown]
# Predict first: for $x = (1, 2, 3)$, is $\partial L/\partial x$ equal to $3x^2$ or to $u$? The
# quiz asks for each gradient in full, comma-separated.

# %%
TorchGraph(with_detach, [[1.0, 2.0, 3.0]], [torch.ones(3)]).quiz()

# %%
g = TorchGraph(with_detach, [[0.0, 1.0, 2.0, 3.0]], [torch.ones(4)])
g_whole = TorchGraph(without_detach, [[0.0, 1.0, 2.0, 3.0]], [torch.ones(4)])
print("with detach:    ∂L/∂x =", g.grad("x"), "  = u =", g.value("u"))
print("without detach: ∂L/∂x =", g_whole.grad("x"), "  = 3x²")
g.plot(with_all=True)
plt.show()

# %%
g.animate()

# %% [markdown]
# Compare the graph without the cut: there the gradient reaches `x` along both paths, and
# the two shares add up to $x^2 + 2x^2 = 3x^2$.

# %%
g_whole.animate()


# %% [markdown]
# ## Control flow: autograd differentiates the path that ran
#
# The function below doubles `a` until the norm passes 1000 and then may scale it by 100.
# Whatever branch ran, the result is $k \cdot a$ for some number $k$, a *linear* function of
# `a` on that path, so the gradient is $k = f(a)/a$.


# %%
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

# %% [markdown]
# ## Backward frees the graph, unless you keep it
#
# After `backward()` PyTorch frees the values it saved for the backward pass. A second call
# fails, unless the first kept the graph with `retain_graph=True`. Second derivatives go one
# step further: `create_graph=True` records the backward pass itself as a graph, which costs
# memory and time.

# %%
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

# %% [markdown]
# ## The derivative of sin, drawn by autograd
#
# One backward pass over a whole vector of points gives the derivative at every point,
# because each output element depends only on its own input.

# %%
xs = torch.linspace(-6.3, 6.3, 200, requires_grad=True)
ys = torch.sin(xs)
ys.sum().backward()
plt.figure(figsize=(7, 3))
plt.plot(xs.detach(), ys.detach(), label="sin(x)")
plt.plot(xs.detach(), xs.grad, label="autograd derivative")
plt.plot(xs.detach(), torch.cos(xs.detach()), ":", label="cos(x)", linewidth=3)
plt.legend()
plt.show()

# %% [markdown]
# ## Exercises

# %% [markdown]
# **Exercise 1.** Use autograd to get the derivative of $x^3$ at $x = 2$ into `cube_slope`.

# %% tags=["exercise"]
cube_slope = ...

# %% tags=["solution"]
cube_slope = TorchGraph(lambda x: x**3, [2]).grad("x")

# %%
check(cube_slope, 3 * 2.0**2, name="x³ at 2", hint="Build y = x**3 and call backward().")

# %% [markdown]
# **Exercise 2.** Run `f` from above on a random **vector** `a` (seed 0, 5 numbers) with
# upstream gradient all ones, and store the gradient in `f_grad`. (It should equal `f(a)/a`.)

# %% tags=["exercise"]
f_grad = ...

# %% tags=["solution"]
torch.manual_seed(0)
a = torch.randn(5)
f_grad = TorchGraph(f, [a], [torch.ones(5)]).grad("a")

# %%
torch.manual_seed(0)
_a = torch.randn(5)
check(f_grad, f(_a) / _a, name="control flow", hint="Use torch.manual_seed(0) then torch.randn(5).")

# %% [markdown]
# **Exercise 3.** The second derivative of $\sin$ at $x = 1$, by autograd (use
# `create_graph=True`), into `sin_curvature`.

# %% tags=["exercise"]
sin_curvature = ...

# %% tags=["solution"]
x = torch.tensor(1.0, requires_grad=True)
(slope,) = torch.autograd.grad(torch.sin(x), x, create_graph=True)
(sin_curvature,) = torch.autograd.grad(slope, x)

# %%
check(
    sin_curvature,
    -torch.sin(torch.tensor(1.0)),
    name="second derivative",
    hint="Differentiate the first derivative again.",
)
