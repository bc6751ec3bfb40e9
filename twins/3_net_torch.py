# %% [markdown]
# # 3 — An "old" net (circa 2000), in PyTorch
# The twin of 3_net.py: one sigmoid hidden layer of 625 units, then softmax, trained by plain SGD.

# %%
"""3 - an "old" net (circa 2000) in PyTorch, the twin of 3_net.py: one sigmoid hidden
layer of 625 units, then softmax, trained by plain SGD."""
import _twins  # before torch: the project's command line, data and epoch lines
import numpy as np
import torch

run = _twins.Run(__doc__, lr=0.05)
args = run.args


# %%
def init_weights(shape):
    return np.random.randn(*shape) * 0.01  # NumPy's numbers: the Theano script's, for the same seed


def sgd(cost, params, lr=0.05):
    grads = torch.autograd.grad(cost, params)
    with torch.no_grad():  # the updates, in place, as Theano's set shared variables
        for p, g in zip(params, grads):
            p -= g * lr


def model(X, w_h, w_o):
    h = torch.sigmoid(X @ w_h)
    pyx = torch.softmax(h @ w_o, dim=1)
    return pyx


def categorical_crossentropy(py_x, Y):
    return -torch.sum(Y * torch.log(py_x), dim=1)


# %%
trX, teX, trY, teY = map(torch.from_numpy, run.mnist())


# %%
# no symbolic X and Y: the model is called on the tensors themselves

# tensors whose gradients autograd computes (these weights, or --load-model's)
w_h, w_o = [torch.tensor(p, requires_grad=True) for p in run.weights([init_weights((784, 625)),
                                                                      init_weights((625, 10))])]
params = [w_h, w_o]


# the graph is recorded as train runs, and differentiated in sgd
def train(X, Y):
    py_x = model(X, w_h, w_o)
    cost = torch.mean(categorical_crossentropy(py_x, Y))
    sgd(cost, params, lr=args.lr)
    return cost.item()


@torch.no_grad()
def predict(X):
    return torch.argmax(model(X, w_h, w_o), dim=1)


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
run.save([p.detach() for p in params])
