# %% [markdown]
# # Lesson 5 · Reverse mode in depth
#
# Autograd can differentiate through an algorithm, refuses a few things for good reasons,
# handles many outputs at once, drives gradient descent, and makes random sampling
# differentiable with one trick.

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
# ## Differentiating through an algorithm
#
# This little algorithm updates $z$ twice from $x$. Autograd records the two updates and
# differentiates the composition; we compare with the derivative written out by hand.


# %%
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

# %% [markdown]
# ## What autograd refuses, and why
#
# ### Changing in place a tensor that backward still needs
#
# `exp` saves its **output** for the backward pass ($\frac{d}{du}e^u = e^u$). If you then change
# that output in place, the saved value is wrong. PyTorch notices through a *version counter*
# on every tensor and stops with an error rather than return a wrong gradient.

# %%
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = torch.exp(x)
y.add_(1)  # changes the very tensor exp saved
try:
    y.sum().backward()
except RuntimeError as err:
    print("RuntimeError:", err)


# %% [markdown]
# ani-graph raises the same error, and adds which of your tensors it means:


# %%
def broken(x):
    y = torch.exp(x)
    y.add_(1)
    return y.sum()


try:
    TorchGraph(broken, [[1.0, 2.0]])
except RuntimeError as err:
    print(str(err).split("\n\n")[-1])


# %% [markdown]
# The fix is to build a new tensor instead; the graph then shows both steps:


# %%
def fixed(x):
    y = torch.exp(x)
    y = y + 1
    return y.sum()


TorchGraph(fixed, [[1.0, 2.0]]).plot(with_all=True)
plt.show()

# %% [markdown]
# ### Changing in place a view of a leaf
#
# A leaf tensor that requires grad is where gradients are collected. Writing into it through
# a view would change history that autograd cannot rewrite, so that is refused too.

# %%
w = torch.ones(3, requires_grad=True)
try:
    w[0].mul_(2)
except RuntimeError as err:
    print("RuntimeError:", err)


# %% [markdown]
# ## Several outputs as one tensor
#
# $z = 2x + \sin x$ and $v = 4x + \cos x$ stacked into one output. An upstream vector
# $(1, 0.5)$ weighs them, and the gradient is
# $1 \cdot (2 + \cos x) + 0.5 \cdot (4 - \sin x)$.


# %%
def both(x):
    out = torch.stack([2 * x + torch.sin(x), 4 * x + torch.cos(x)])
    return out


g = TorchGraph(both, [1.0], [[1.0, 0.5]])
x = torch.tensor(1.0)
print(g.grad("x").item(), "==", (1 * (2 + torch.cos(x)) + 0.5 * (4 - torch.sin(x))).item())
g.animate()

# %% [markdown]
# ## Gradient descent by hand
#
# Minimise $x_0^2 + x_1^2 + x_2^2$ from $(2, 1, 10)$. The update must not itself be recorded
# (and an in-place change of a leaf that requires grad is refused), so it happens under
# `torch.no_grad()`. Then the gradient is cleared for the next step.

# %%
x = torch.tensor([2.0, 1.0, 10.0], requires_grad=True)
for step in range(5):
    loss = (x**2).sum()
    loss.backward()
    with torch.no_grad():
        x -= 0.1 * x.grad
    x.grad = None
    print(f"step {step}: loss {loss.item():8.3f}  x = {x.detach().tolist()}")

# %% [markdown]
# ## The reparameterisation trick
#
# Sampling $z \sim \mathcal{N}(\mu, \sigma^2)$ is not differentiable in $\mu$ and $\sigma$. Writing the
# sample as $z = \mu + \sigma \cdot \varepsilon$ with $\varepsilon \sim \mathcal{N}(0, 1)$ drawn separately makes it
# so: $\partial z/\partial\mu = 1$ and $\partial z/\partial\sigma = \varepsilon$. In the drawing,
# $\varepsilon$ is a constant: no gradient flows into the randomness.

# %%
torch.manual_seed(0)
eps = torch.randn(())


def sample(mu, sigma):
    z = mu + sigma * eps
    return z


g = TorchGraph(sample, [0.5, 2.0])
print("∂z/∂μ =", g.grad("mu").item(), "  ∂z/∂σ =", g.grad("sigma").item(), " ε =", eps.item())
g.animate(direction="both")

# %% [markdown]
# Predict the gradients for another $\mu$ and $\sigma$ (the same $\varepsilon$) before the player
# reveals them:

# %%
TorchGraph(sample, [-1.0, 0.5]).quiz()

# %% [markdown]
# ## Exercises

# %% [markdown]
# **Exercise 1.** With the same $\varepsilon$, take $L = z^2$. Compute
# $\partial L/\partial\mu$ and $\partial L/\partial\sigma$ at $\mu = 0.5$, $\sigma = 2$ by the chain rule and store
# them in `dL_dmu` and `dL_dsigma`.

# %% tags=["exercise"]
dL_dmu = ...
dL_dsigma = ...

# %% tags=["solution"]
z = 0.5 + 2.0 * eps
dL_dmu = 2 * z  # ∂L/∂z · ∂z/∂μ
dL_dsigma = 2 * z * eps  # ∂L/∂z · ∂z/∂σ

# %%
_g = TorchGraph(lambda mu, sigma: sample(mu, sigma) ** 2, [0.5, 2.0])
check(dL_dmu, _g.grad("mu"), name="∂L/∂μ", hint="∂L/∂z = 2z, and ∂z/∂μ = 1.")
check(dL_dsigma, _g.grad("sigma"), name="∂L/∂σ", hint="∂L/∂z = 2z, and ∂z/∂σ = ε.")

# %% [markdown]
# **Exercise 2.** Each gradient step above multiplies $x$ by the same factor. What is $x$
# after three steps with learning rate 0.25 from $(2, 1, 10)$? Store it in `x_after_three`.

# %% tags=["exercise"]
x_after_three = ...

# %% tags=["solution"]
# x ← x − 0.25 · 2x = 0.5 x, three times
x_after_three = torch.tensor([2.0, 1.0, 10.0]) * 0.5**3

# %%
_x = torch.tensor([2.0, 1.0, 10.0], requires_grad=True)
for _ in range(3):
    (_x**2).sum().backward()
    with torch.no_grad():
        _x -= 0.25 * _x.grad
    _x.grad = None
check(x_after_three, _x.detach(), name="three steps", hint="The gradient of x² is 2x.")

# %% [markdown]
# **Exercise 3.** Change `two_updates` to run **three** updates and find its derivative at
# $x = 0.5$ with ani-graph, into `three_updates_slope`.

# %% tags=["exercise"]
three_updates_slope = ...


# %% tags=["solution"]
def three_updates(x):
    z = x
    for _ in range(3):
        z = z * z + x
    return z


three_updates_slope = TorchGraph(three_updates, [0.5]).grad("x")

# %%
_x = torch.tensor(0.5, requires_grad=True)
_z = _x
for _ in range(3):
    _z = _z * _z + _x
check(
    three_updates_slope, torch.autograd.grad(_z, _x)[0], name="three updates", hint="Loop three times instead of two."
)
