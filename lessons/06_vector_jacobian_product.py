# %% [markdown]
# # Lesson 6 · Beyond the course: the vector-Jacobian product
#
# Reverse mode never builds a Jacobian matrix. For an output $y = f(x)$ with
# $y \in \mathbb{R}^m$, $x \in \mathbb{R}^n$, the Jacobian $J$ is $m \times n$, and one backward pass with
# upstream gradient $v$ computes the **vector-Jacobian product** $v^\top J$, a single row of
# length $n$, for about the cost of the forward pass. This lesson makes that concrete.

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
# For $y = W x$ the Jacobian is $W$. Pick $W$ (3×2) and $x$, and an upstream vector $v$.

# %%
W = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
v = torch.tensor([1.0, -1.0, 2.0])


def linear_map(x):
    y = W @ x
    return y


g = TorchGraph(linear_map, [[0.5, -2.0]], [v])
J = torch.autograd.functional.jacobian(linear_map, torch.tensor([0.5, -2.0]))
print("Jacobian:\n", J)
print("vᵀJ       =", v @ J)
print("ani-graph =", g.grad("x"))
g.animate(direction="both")

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
    rows.append(TorchGraph(linear_map, [[0.5, -2.0]], [one_hot]).grad("x"))
print(torch.stack(rows))
print("equal to J:", torch.allclose(torch.stack(rows), J))


# %% [markdown]
# ## A nonlinear example
#
# For $y = \tanh(Wx)$ the Jacobian depends on $x$:
# $J = \operatorname{diag}(1 - \tanh^2(Wx))\, W$. The VJP still needs only one backward pass.


# %%
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

# %% [markdown]
# ## Exercises

# %% [markdown]
# **Exercise 1.** For the linear map, compute by hand (with the matrix `W`) the VJP for
# $v = (2, 0, 1)$, and store it in `vjp`.

# %% tags=["exercise"]
vjp = ...

# %% tags=["solution"]
vjp = torch.tensor([2.0, 0.0, 1.0]) @ W

# %%
check(
    vjp,
    TorchGraph(linear_map, [[0.5, -2.0]], [[2.0, 0.0, 1.0]]).grad("x"),
    name="VJP",
    hint="vᵀW: a weighted sum of W's rows.",
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
