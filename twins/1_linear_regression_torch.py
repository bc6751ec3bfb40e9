# %% [markdown]
# # 1 — Linear regression, in PyTorch
# The twin of 1_linear_regression.py: learn the slope w of y = w x from the same 101 noisy points.

# %%
"""1 - linear regression in PyTorch, the twin of 1_linear_regression.py: learn the slope
w of y = w * x from the same 101 noisy points (made with w = 2)."""
import _twins  # the project's command line
# imports
import numpy as np
import torch

args = _twins.parse_args(__doc__, epochs=100, lr=0.01, seed=(1, "the noise in the data"))
np.random.seed(args.seed)


# %%
# training data generation, as the Theano script makes it
trX = np.linspace(-1, 1, 101)
trY = 2 * trX + np.random.randn(*trX.shape) * 0.33


# %%
# no symbolic variables: X and Y are tensors when train is called


# our model
def model(X, w):
    return X * w


# model parameter initialization: a tensor whose gradient autograd computes
w = torch.tensor(0., requires_grad=True)


# the training step: cost, gradient and update, computed each time it is called
def train(X, Y):
    # metric to be optimized by model
    cost = torch.mean(torch.square(model(X, w) - Y))
    # learning signal for parameter(s)
    gradient, = torch.autograd.grad(cost, [w])
    # how to change parameter based on learning signal: in place, as Theano's updates do
    with torch.no_grad():
        w.sub_(gradient * args.lr)


# %%
# nothing to compile: train runs as it is written


# %% [markdown]
# ## PyTorch doing its thing

# %%
# iterate through data 100 times and train model on each example of input, output pairs
for i in range(args.epochs):
    for x, y in zip(torch.tensor(trX, dtype=torch.float32), torch.tensor(trY, dtype=torch.float32)):
        train(x, y)

print("w =", w.detach().numpy(), "(the data was made with w = 2)")
