# %% [markdown]
# # Lesson 4 · Autograd inside a training step
#
# Here the graph belongs to a real model. We walk it by hand, draw it, train one step, and
# learn the switches that turn autograd off where it is not wanted.

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
import torch.nn as nn

from ani_graph import TorchGraph, record
from ani_graph.examples import tiny_regression
from ani_graph.exercises import check

# %% [markdown]
# ## Walking the graph by hand
#
# Every tensor produced by a differentiable operation has a `grad_fn`: the backward node that
# will receive its gradient. `next_functions` points to the nodes further back, and
# `AccumulateGrad` nodes are where leaf tensors collect their `.grad`.

# %%
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


# %% [markdown]
# The same graph, drawn with every value and gradient:


# %%
def step_loss(w, x, b):
    prediction = torch.dot(w, x) + b
    loss = (prediction - 1.0) ** 2
    return loss


TorchGraph(step_loss, [w, x, b]).plot(with_all=True)
plt.show()

# %% [markdown]
# Now predict them yourself for other numbers, $w = (0.5, -1)$, $x = (2, 1)$, $b = 0.25$:
# the quiz stops before each gradient appears (a vector is typed comma-separated).

# %%
TorchGraph(step_loss, [[0.5, -1.0], [2.0, 1.0], 0.25]).quiz()

# %% [markdown]
# ## A small model
#
# A two-layer network, 1000 → 100 → 10, with a squared-error loss. Before any backward pass
# the parameters have no gradient at all (`None`); `loss.backward()` fills every `.grad`, and
# an optimizer step moves the weights against it.

# %%
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


# %% [markdown]
# Gradients keep accumulating over backward calls until you clear them with `zero_grad()`:


# %%
def loss_fn():
    return (ideal_output - model(some_input)).pow(2).sum()


optimizer.zero_grad()
loss_fn().backward()
once = model[2].bias.grad.clone()
loss_fn().backward()  # the same batch again, without zero_grad
print("two backward calls give twice the gradient:", torch.allclose(model[2].bias.grad, 2 * once))
optimizer.zero_grad()
print("after zero_grad:", model[2].bias.grad)

# %% [markdown]
# ## Turning autograd off and on
#
# * `requires_grad=False` on a parameter freezes it: no gradient is computed for it.
# * `with torch.no_grad():` (or `@torch.no_grad()` on a function) records nothing, which is
#   what you want for evaluation and for updating weights by hand.
# * `torch.enable_grad()` switches recording back on inside a `no_grad` region.
# * `detach()` gives a tensor with the same numbers and no history.

# %%
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

# %% [markdown]
# ## Recording the training step you already have
#
# `record()` watches ordinary code, so you do not need to wrap it in a function. The drawing
# groups the operations of each module, and labels parameters by their qualified names.

# %%
with record() as rec:
    prediction = model(some_input)
    loss = (ideal_output - prediction).pow(2).sum()
g = rec.graph(loss)
print(g)
g.plot(with_all=True, depth=0)
plt.show()

# %% [markdown]
# `depth=0` folds each top-level module (`0` and `2` are the two Linear layers, `1` the
# ReLU) into one box, for an overview. Without it, every operation is drawn, grouped in a
# dashed frame per module, as in the animation below (a long drawing wraps into rows, and an
# arrow leads from the end of one row to the start of the next). Large tensors show their
# shape and mean instead of a thousand numbers.

# %%
g.animate(direction="backward")

# %% [markdown]
# The gradients in the picture are exactly those `backward()` computes:

# %%
optimizer.zero_grad()
loss.backward()
print(torch.allclose(g.grad("2.bias"), model[2].bias.grad), torch.allclose(g.grad("0.weight"), model[0].weight.grad))

# %% [markdown]
# ## A whole training loop, recorded
#
# `record()` also sees the `loss.backward()` and `optimizer.step()` you call yourself, so a
# real training loop can go inside it unchanged. Below, a small network (2 → 3 → 1 with
# tanh) fits four points with three steps of plain SGD. Each backward becomes one step in
# `rec.steps`, and `rec.animate()` plays them all on one drawing: the forward pass, the
# backward pass, then the **update** of every parameter, $w \leftarrow w - 0.1 \cdot
# \partial\,\text{loss}/\partial w$ with its numbers. The strip under the drawing is the
# loss, step by step. Nothing changes for your code: the parameters end exactly as they
# would without `record()`.


# %%
net, points, targets = tiny_regression()  # the same network and four points every time
print(net)
sgd = torch.optim.SGD(net.parameters(), lr=0.1)
with record() as rec:
    for _ in range(3):
        sgd.zero_grad()
        loss = ((net(points) - targets) ** 2).mean()
        loss.backward()
        sgd.step()
print("loss at each step:", [round(s.loss, 4) for s in rec.steps])
rec.animate()

# %% [markdown]
# ### Forgetting `zero_grad()`
#
# The same loop without `sgd.zero_grad()`. Every backward now **adds** its gradient to what
# the last one left in `.grad`, so from the second step on the optimizer steps with the sum
# of all gradients so far, not with this step's. Watch the update frames: they say they used
# `.grad`, the sum, and the badges show the larger numbers.

# %%
net, points, targets = tiny_regression()
sgd = torch.optim.SGD(net.parameters(), lr=0.1)
with record() as forgetful:
    for _ in range(3):
        loss = ((net(points) - targets) ** 2).mean()
        loss.backward()  # no zero_grad() before it
        sgd.step()

second = forgetful.steps[1]
own = second.graph.grad("2.bias")  # this step's own gradient
print("2.bias: this step's gradient", own, "+ what was left over", second.carried["2.bias"])
print("        = the .grad the optimizer used", second.grads["2.bias"])
forgetful.animate()

# %% [markdown]
# ## Exercises

# %% [markdown]
# **Exercise 1.** A single weight $w = 0.5$ gets the gradient $g = 2.0$. What is $w$ after
# one plain SGD step with learning rate 0.1? Store it in `w_after`.

# %% tags=["exercise"]
w_after = ...

# %% tags=["solution"]
w_after = 0.5 - 0.1 * 2.0  # SGD moves against the gradient

# %%
_w = torch.nn.Parameter(torch.tensor(0.5))
_opt = torch.optim.SGD([_w], lr=0.1)
(_w * 2.0).backward()
_opt.step()
check(w_after, _w.detach(), name="one SGD step", hint="new = old − learning rate × gradient.")

# %% [markdown]
# **Exercise 2.** The cell below starts you from a clean state: every layer trainable and
# no gradient anywhere (`model.zero_grad(set_to_none=True)` sets every `.grad` back to
# `None`, as before the first backward). Now freeze the first layer of `model` (set
# `requires_grad=False` on its weight and bias), run one backward pass of the loss, and
# count how many parameter tensors have a gradient afterwards (`p.grad is not None`).
# Store the count in `with_grad`.

# %%
for p in model.parameters():
    p.requires_grad_(True)
model.zero_grad(set_to_none=True)
print("parameter tensors with a gradient now:", sum(p.grad is not None for p in model.parameters()))

# %% tags=["exercise"]
with_grad = ...

# %% tags=["solution"]
for p in model[0].parameters():
    p.requires_grad_(False)
(ideal_output - model(some_input)).pow(2).sum().backward()
with_grad = sum(p.grad is not None for p in model.parameters())

# %%
trainable = sum(1 for name, _ in model.named_parameters() if not name.startswith("0."))  # layer 2's weight and bias
check(
    with_grad,
    trainable,
    name="frozen layer",
    hint="A frozen parameter's .grad stays None. Did the first layer's weight and bias get requires_grad=False?",
)
for p in model.parameters():  # unfreeze again for what follows
    p.requires_grad_(True)

# %% [markdown]
# **Exercise 3.** For the loss $\sum (t - p)^2$, the gradient with respect to the
# prediction $p$ is $-2(t - p)$. Use that to compute, without `backward`, the gradient of the
# loss with respect to the **last layer's bias** for the batch above, into `bias_grad`.
# (Hint: every row of the batch adds its share.)

# %% tags=["exercise"]
bias_grad = ...

# %% tags=["solution"]
with torch.no_grad():
    p = model(some_input)
    bias_grad = (-2 * (ideal_output - p)).sum(dim=0)

# %%
model.zero_grad(set_to_none=True)
(ideal_output - model(some_input)).pow(2).sum().backward()
check(bias_grad, model[2].bias.grad, name="bias gradient", hint="Sum −2(t − p) over the rows of the batch.")
