# %% [markdown]
# # 4 — A "modern" net (2012+), in PyTorch
# The twin of 4_modern_net.py: two rectifier hidden layers of 625 units, noise (dropout)
# on every layer's input, trained by RMSprop.

# %%
"""4 - a "modern" net (2012+) in PyTorch, the twin of 4_modern_net.py: two rectifier
hidden layers of 625 units, dropout noise on every layer's input, RMSprop."""
import _twins  # before torch: the project's command line, data and epoch lines
import numpy as np
import torch

run = _twins.Run(__doc__, lr=0.001, dropout=True)
args = run.args
torch.manual_seed(args.seed)  # the dropout noise


# %%
def init_weights(shape):
    return np.random.randn(*shape) * 0.01  # NumPy's numbers: the Theano script's, for the same seed


# rectifier
def rectify(X):
    return torch.clamp(X, min=0.)


# numerically stable softmax
def softmax(X):
    e_x = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return e_x / e_x.sum(dim=1, keepdim=True)


# a running average of each gradient's square, kept between calls as Theano's shared acc
def RMSprop(params, lr=0.001, rho=0.9, epsilon=1e-6):
    accs = [torch.zeros_like(p) for p in params]

    def updates(cost):
        grads = torch.autograd.grad(cost, params)
        with torch.no_grad():  # in place, as Theano's updates set shared variables
            for p, g, acc in zip(params, grads, accs):
                # a running average of the magnitude of the gradient
                acc_new = rho * acc + (1 - rho) * g ** 2
                # scale the gradient based on running average
                gradient_scaling = torch.sqrt(acc_new + epsilon)
                g = g / gradient_scaling
                acc.copy_(acc_new)
                p -= lr * g
    return updates


# randomly drop values and scale rest
def dropout(X, p=0.):
    if p > 0:
        retain_prob = 1 - p
        X = X * torch.bernoulli(torch.full_like(X, retain_prob))
        X = X / retain_prob
    return X


def model(X, w_h, w_h2, w_o, p_drop_input, p_drop_hidden):
    # noise injected into model
    X = dropout(X, p_drop_input)
    # rectifiers now used
    h = rectify(X @ w_h)

    # 2 hidden layers
    h = dropout(h, p_drop_hidden)
    h2 = rectify(h @ w_h2)

    h2 = dropout(h2, p_drop_hidden)
    py_x = softmax(h2 @ w_o)
    return h, h2, py_x


def categorical_crossentropy(py_x, Y):
    return -torch.sum(Y * torch.log(py_x), dim=1)


# %%
trX, teX, trY, teY = map(torch.from_numpy, run.mnist())


# %%
# no symbolic X and Y: the model is called on the tensors themselves

# tensors whose gradients autograd computes (these weights, or --load-model's)
w_h, w_h2, w_o = [torch.tensor(p, requires_grad=True) for p in run.weights([
    init_weights((784, 625)), init_weights((625, 625)), init_weights((625, 10))])]
params = [w_h, w_h2, w_o]
updates = RMSprop(params, lr=args.lr)


# noise for training, a clean model for prediction
def train(X, Y):
    noise_h, noise_h2, noise_py_x = model(X, w_h, w_h2, w_o, 0.2, 0.5)
    cost = torch.mean(categorical_crossentropy(noise_py_x, Y))
    updates(cost)
    return cost.item()


@torch.no_grad()
def predict(X):
    h, h2, py_x = model(X, w_h, w_h2, w_o, 0., 0.)
    return torch.argmax(py_x, dim=1)


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
