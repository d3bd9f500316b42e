# %% [markdown]
# # Lesson 6 · Beyond the course: the vector-Jacobian product
#
# Reverse mode never builds a Jacobian matrix. For an output $y = f(x)$ with
# $y \in \mathbb{R}^m$, $x \in \mathbb{R}^n$, the Jacobian $J$ is $m \times n$, and one backward pass with
# upstream gradient $v$ computes the **vector-Jacobian product** $v^\top J$, a single row of
# length $n$, for about the cost of the forward pass. This lesson makes that concrete, and then
# sets reverse mode beside **forward mode**, which computes Jacobian-vector products $J u$
# instead, and counts the passes each needs for a whole Jacobian.

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
# ## A linear map, where the Jacobian is the matrix itself
#
# For $y = W x$ the Jacobian $\partial y/\partial x$ is $W$ itself. We pass the matrix `W`
# (3×2) to the function as an input, so the drawing names it, and we pick a point $x$ and an
# upstream vector $v = (1, -1, 2)$.
#
# One backward pass differentiates the scalar $L = v^\top y = \sum_i v_i y_i$ (the
# animation's first backward step writes it out), and the chain rule gives
# $\partial L/\partial x = v^\top J$: the rows of $J$, weighted by $v$ and added up,
#
# $$v^\top J = 1 \cdot (1, 2) - 1 \cdot (0, -1) + 2 \cdot (3, 0.5) = (7, 4).$$
#
# PyTorch never builds $J$ for this; the caption shows what it computes instead,
# $W^\top v$, the same numbers as a column.


# %%
def linear_map(W, x):
    y = W @ x
    return y


W = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
x0 = torch.tensor([0.5, -2.0])
v = torch.tensor([1.0, -1.0, 2.0])

g = TorchGraph(linear_map, [W, x0], [v])
J = torch.autograd.functional.jacobian(lambda x: W @ x, x0)
print("J =\n", J)
print("vᵀJ, row by row:   ", v[0] * J[0] + v[1] * J[1] + v[2] * J[2])
print("vᵀJ as a product:  ", v @ J)
print("∂L/∂x by ani-graph:", g.grad("x"), " (one backward pass, no J)")
g.animate(direction="both")

# %% [markdown]
# Predict the vector-Jacobian product for another upstream vector, $v = (0, 1, -1)$, before
# the backward pass reveals it: $v^\top J$ is row 2 minus row 3 of $W$. The quiz asks for
# every gradient on the way (a large one, such as `W`'s, for one element).

# %%
TorchGraph(linear_map, [W, x0], [[0.0, 1.0, -1.0]]).quiz()

# %% [markdown]
# `W` is an input as well, so the same backward pass also gives $\partial L/\partial W = v\,x^\top$,
# one number per entry of `W`: that is how a layer's weights get their gradient.

# %%
print(g.grad("W"))
print("v xᵀ =\n", torch.outer(v, x0))

# %% [markdown]
# ## Rows of the Jacobian, one backward pass each
#
# With a one-hot $v = e_i$, the product $v^\top J$ is row $i$ of $J$. So $m$ backward passes
# recover the whole Jacobian: cheap when there are few outputs (a loss has one), expensive
# when there are many. That asymmetry is why training uses reverse mode.

# %%
rows = []
for i in range(3):
    one_hot = torch.zeros(3)
    one_hot[i] = 1
    rows.append(TorchGraph(linear_map, [W, x0], [one_hot]).grad("x"))
print(torch.stack(rows))
print("equal to J:", torch.allclose(torch.stack(rows), J))


# %% [markdown]
# ## A nonlinear example
#
# For $y = \tanh(Wx)$ the Jacobian depends on $x$:
# $J = \operatorname{diag}(1 - \tanh^2(Wx))\, W$. The VJP still needs only one backward pass.


# %%
def squashed(W, x):
    h = W @ x
    y = torch.tanh(h)
    return y


g2 = TorchGraph(squashed, [W, x0], [v])
J2 = torch.diag(1 - torch.tanh(W @ x0) ** 2) @ W
print("vᵀJ by formula:", v @ J2)
print("ani-graph:     ", g2.grad("x"))
g2.animate()


# %% [markdown]
# ## Forward mode beside reverse mode
#
# Reverse mode starts from the outputs and gives a **row** of the Jacobian per pass.
# Forward mode starts from the inputs: give each input a *tangent* (how fast it moves,
# written $\dot x$) and push the tangents forward with the values, one chain-rule step per
# operation, $\dot u = \partial u/\partial a \cdot \dot a + \partial u/\partial b \cdot \dot b$.
# At the outputs you read $J \dot x$: with the seed $\dot x = 1$ and every other tangent 0,
# that is the **column** of the Jacobian that belongs to $x$.
#
# Take one function with three inputs and two outputs, so its Jacobian is 2×3:
#
# $$u = x y, \qquad p = \sin(u) + z, \qquad q = u z, \qquad (x, y, z) = (1, 2, 3).$$


# %%
def two_outputs(x, y, z):
    u = x * y
    p = torch.sin(u) + z
    q = u * z
    return p, q


point = [1.0, 2.0, 3.0]
inputs = ["x", "y", "z"]
g3 = TorchGraph(two_outputs, point, [1.0, 0.0])
g3.animate("tangent", wrt={"x": 1.0})

# %% [markdown]
# The last step counts the passes. Forward mode: one per input, so three for the whole
# Jacobian, a column each. Reverse mode: one per output, so two, a row each; the animation
# below is the first row's pass, with upstream gradients $(1, 0)$, so it differentiates
# $L = p$.

# %%
g3.animate()

# %% [markdown]
# Both ways build the same matrix. Below, three forward passes (`g.tangents` gives the
# numbers of the tangent animation) and two reverse passes, next to PyTorch's own Jacobian.

# %%
columns = []
for name in inputs:  # forward mode: one pass per input, a column each
    tangent = g3.tangents({name: 1.0})
    columns.append(torch.stack([tangent["p"], tangent["q"]]))
J_forward = torch.stack(columns, dim=1)

rows = []
for upstream in ([1.0, 0.0], [0.0, 1.0]):  # reverse mode: one pass per output, a row each
    reverse = TorchGraph(two_outputs, point, upstream)
    rows.append(torch.stack([reverse.grad(name) for name in inputs]))
J_reverse = torch.stack(rows)

by_torch = torch.autograd.functional.jacobian(two_outputs, tuple(torch.tensor(p) for p in point))
J_torch = torch.stack([torch.stack(row) for row in by_torch])
print("forward mode, 3 passes:\n", J_forward)
print("reverse mode, 2 passes:\n", J_reverse)
print("both equal torch's Jacobian:", torch.allclose(J_forward, J_torch), torch.allclose(J_reverse, J_torch))

# %% [markdown]
# Which mode is cheaper depends on the shape of $J$. A network's loss has one output and
# millions of parameters: reverse mode needs **one** pass for the whole gradient, forward
# mode one per parameter. Forward mode wins when there are few inputs and many outputs.

# %% [markdown]
# ## Exercises

# %% [markdown]
# **Exercise 1.** For the linear map, compute by hand (with the matrix `W`) the VJP for
# $v = (2, 0, 1)$, and store it in `vjp`.

# %% tags=["exercise"]
vjp = ...

# %% tags=["solution"]
vjp = torch.tensor([2.0, 0.0, 1.0]) @ W  # 2 · row 1 + 0 · row 2 + 1 · row 3

# %%
check(
    vjp,
    TorchGraph(linear_map, [W, x0], [[2.0, 0.0, 1.0]]).grad("x"),
    name="VJP",
    hint="vᵀW: the rows of W, weighted by v and added up.",
)

# %% [markdown]
# **Exercise 2.** How many backward passes does it take to build the full Jacobian of a
# function from $\mathbb{R}^{1000}$ to $\mathbb{R}^{3}$ with reverse mode? Store the number in
# `passes`.

# %% tags=["exercise"]
passes = ...

# %% tags=["solution"]
passes = 3  # one per output: each backward pass gives one row

# %%
check(passes, 3, name="passes", hint="Each backward pass gives one row of J.")

# %% [markdown]
# **Exercise 3.** And with forward mode, how many passes for the same Jacobian? Store the
# number in `forward_passes`.

# %% tags=["exercise"]
forward_passes = ...

# %% tags=["solution"]
forward_passes = 1000  # one per input: each forward pass gives one column

# %%
check(forward_passes, 1000, name="forward passes", hint="Each forward pass gives one column of J.")
