# %% [markdown]
# # 2 — Logistic regression, in PyTorch
# The twin of 2_logistic_regression.py: softmax(X . w), trained by plain SGD.

# %%
"""2 - logistic regression in PyTorch, the twin of 2_logistic_regression.py:
softmax(X . w), trained by plain SGD."""
import _twins  # before torch: the project's command line, data and epoch lines
import numpy as np
import torch

run = _twins.Run(__doc__, lr=0.05)
args = run.args


# %%
def init_weights(shape):
    return np.random.randn(*shape) * 0.01  # NumPy's numbers: the Theano script's, for the same seed


def model(X, w):
    return torch.softmax(X @ w, dim=1)


def categorical_crossentropy(py_x, Y):
    return -torch.sum(Y * torch.log(py_x), dim=1)


# %%
trX, teX, trY, teY = map(torch.from_numpy, run.mnist())


# %%
# no symbolic X and Y: the model is called on the tensors themselves

# a tensor whose gradient autograd computes (these weights, or --load-model's)
w, = [torch.tensor(p, requires_grad=True) for p in run.weights([init_weights((784, 10))])]


# the graph is recorded as train runs, and differentiated by torch.autograd.grad
def train(X, Y):
    py_x = model(X, w)
    cost = torch.mean(categorical_crossentropy(py_x, Y))
    gradient, = torch.autograd.grad(cost, [w])
    with torch.no_grad():  # the update, in place, as Theano's updates set shared variables
        w.sub_(gradient * args.lr)
    return cost.item()


@torch.no_grad()
def predict(X):
    return torch.argmax(model(X, w), dim=1)


# %%
# nothing to compile: train and predict run as they are written


# %% [markdown]
# ## Training

# %%
for epoch in range(args.epochs):
    for start, end in run.batches(len(trX)):
        cost = train(trX[start:end], trY[start:end])
        run.step(cost)
    run.report(torch.mean((torch.argmax(teY, dim=1) == predict(teX)).float()).item())
run.save([w.detach()])
