# %% [markdown]
# # Lesson 2 · The chain rule by hand, then by autograd
#
# Backpropagation is the chain rule, applied in a clever order. In this lesson you do it by
# hand on a tiny graph, then check every number against autograd and the animation, and
# finally let autograd handle tensors, loops and vector-valued outputs.

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
import torch

from ani_graph import TorchGraph
from ani_graph.exercises import check

# %% [markdown]
# ## A graph small enough to do by hand
#
# $$c = a + b, \qquad d = b + 1, \qquad e = c \cdot d, \qquad a = 2,\; b = 1.$$
#
# Forward: $c = 3$, $d = 2$, $e = 6$.
#
# **Local partial derivatives**, each operation on its own:
#
# | edge | local derivative | value |
# |---|---|---|
# | $c \to e$ | $\partial e/\partial c = d$ | 2 |
# | $d \to e$ | $\partial e/\partial d = c$ | 3 |
# | $a \to c$ | $\partial c/\partial a = 1$ | 1 |
# | $b \to c$ | $\partial c/\partial b = 1$ | 1 |
# | $b \to d$ | $\partial d/\partial b = 1$ | 1 |
#
# **The chain rule** multiplies along each path from the output back to an input, and adds
# the paths together:
#
# * $\partial e/\partial a = \partial e/\partial c \cdot \partial c/\partial a = 2 \cdot 1 = 2$
# * $\partial e/\partial b = \partial e/\partial c \cdot \partial c/\partial b + \partial e/\partial d \cdot \partial d/\partial b = 2 + 3 = 5$, because $b$ reaches $e$ along **two** paths.
#
# ![the chain-rule example with every value and gradient](../assets/chain_rule.png)


# %%
def chain(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


g = TorchGraph(chain, [2, 1])
for name in ["c", "d", "a", "b"]:
    print(f"∂e/∂{name} = {g.grad(name).item():g}")

# %% [markdown]
# Now check the hand computation against the animation. Every caption states one chain-rule
# multiplication; the second path into `b` shows up as `+=`.

# %%
anim = g.animate(direction="both")
for frame in anim.frames:
    print(frame["caption"])
anim

# %% [markdown]
# Now other numbers, $a = -1$ and $b = 3$: predict every gradient before the player shows
# it, including the `+=` of the second path into `b` (the quiz asks for the running total).

# %%
TorchGraph(chain, [-1, 3]).quiz()


# %% [markdown]
# ## Tensors: one gradient per element
#
# Let $x$ be a 2×2 tensor of ones and $\text{out} = \operatorname{mean}\big(3(x+2)^2\big)$.
# For each element, $\partial\,\text{out}/\partial x_i = \frac{1}{4} \cdot 6 (x_i + 2) = 4.5$.


# %%
def mean_of_squares(x):
    y = x + 2
    z = 3 * y * y
    out = z.mean()
    return out


g2 = TorchGraph(mean_of_squares, [torch.ones(2, 2)])
print(g2.grad("x"))
g2.animate()

# %% [markdown]
# With ones every element gets the same gradient. Give $x$ different elements and each
# gradient differs too: $\partial\,\text{out}/\partial x_i = \frac{6}{4}(x_i + 2)$. With
# `tensors="heatmap"` each 2×2 tensor is drawn as a grid of coloured cells, orange for
# positive, blue for negative and white for 0, its range written beside it, so you can see at
# a glance which elements get the largest gradient.

# %%
x_varied = torch.tensor([[1.0, -1.0], [0.5, 2.0]])
g_heat = TorchGraph(mean_of_squares, [x_varied])
print(g_heat.grad("x"), "==", 1.5 * (x_varied + 2))
g_heat.animate(tensors="heatmap")

# %% [markdown]
# Click `x` (or any box) in the player: the inspect panel shows a 2×2 tensor in full, with a
# heatmap of its values and of its gradient.


# %% [markdown]
# ## A loop, and an output that is a vector
#
# Autograd records whatever actually ran, so Python control flow is fine. Here a vector is
# doubled until its norm passes 1000. The result is a vector, so there is no single number
# to differentiate: we must say how much we care about each output element, the **upstream
# gradient** $v$. Autograd then returns $v^\top J$ (lesson 6 looks at this closely).
# Because the loop multiplies by $2^k$, the answer is simply $2^k v$.


# %%
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

# %% [markdown]
# ## Exercises

# %% [markdown]
# **Exercise 1 (ReLU as a max).** $\operatorname{relu}(x) = \max(x, 0)$. What is its
# derivative at $x = -10$ and at $x = 100$? Store them in `relu_grad_at_minus_10` and
# `relu_grad_at_100`.

# %% tags=["exercise"]
relu_grad_at_minus_10 = ...
relu_grad_at_100 = ...

# %% tags=["solution"]
relu_grad_at_minus_10 = 0.0  # the 0 wins the max, so x gets no gradient
relu_grad_at_100 = 1.0  # x wins the max and gets all of it


# %%
def relu(x):
    return torch.maximum(x, torch.tensor(0.0))


check(relu_grad_at_minus_10, TorchGraph(relu, [-10]).grad("x"), name="ReLU at −10", hint="max is a switch.")
check(relu_grad_at_100, TorchGraph(relu, [100]).grad("x"), name="ReLU at 100", hint="max is a switch.")

# %% [markdown]
# **Exercise 2.** $f(x, y, z) = \dfrac{(x-1)(y-2)^2(z-3)^3}{\sqrt{x+y+z}}$. Compute the three
# partial derivatives at $(x, y, z) = (2, 4, 5)$ with autograd, and store them as a list
# `[df_dx, df_dy, df_dz]` in `partials`.

# %% tags=["exercise"]
partials = ...


# %% tags=["solution"]
def f(x, y, z):
    return (x - 1) * (y - 2) ** 2 * (z - 3) ** 3 / torch.sqrt(x + y + z)


g_f = TorchGraph(f, [2, 4, 5])
partials = [g_f.grad(n).item() for n in ("x", "y", "z")]

# %%
_p = [torch.tensor(v, requires_grad=True) for v in (2.0, 4.0, 5.0)]
_f = (_p[0] - 1) * (_p[1] - 2) ** 2 * (_p[2] - 3) ** 3 / torch.sqrt(sum(_p))
check(
    partials, torch.stack(torch.autograd.grad(_f, _p)), name="three partials", hint="Pass x, y and z as three inputs."
)

# %% [markdown]
# **Exercise 3 (a perceptron).** With random `w` (3 numbers), `x` (3 numbers) and `b`, the
# perceptron computes $w \cdot x + b$. Without running autograd, what are its gradients with
# respect to `x`, `w` and `b`? Fill in `grad_x`, `grad_w`, `grad_b` as expressions of the
# tensors below.

# %%
torch.manual_seed(1)
w, x, b = torch.randn(3), torch.randn(3), torch.randn(())

# %% tags=["exercise"]
grad_x = ...
grad_w = ...
grad_b = ...

# %% tags=["solution"]
grad_x = w  # multiplication swaps: x's gradient is w
grad_w = x
grad_b = torch.tensor(1.0)  # addition passes the gradient unchanged


# %%
def perceptron(w, x, b):
    return torch.dot(w, x) + b


_g = TorchGraph(perceptron, [w, x, b])
check(grad_x, _g.grad("x"), name="∂/∂x", hint="Think of the dot product as a sum of products.")
check(grad_w, _g.grad("w"), name="∂/∂w", hint="Same rule, other input.")
check(grad_b, _g.grad("b"), name="∂/∂b", hint="What does addition do to a gradient?")
