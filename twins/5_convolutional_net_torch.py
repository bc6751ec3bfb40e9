# %% [markdown]
# # 5 — A convolutional network, in PyTorch
# The twin of 5_convolutional_net.py: three blocks of conv -> rectify -> max-pool -> dropout,
# a rectifier layer, softmax.

# %%
"""5 - a convolutional network in PyTorch, the twin of 5_convolutional_net.py: three
blocks of conv -> rectify -> max-pool -> dropout (32, 64, 128 filters of 3x3), a
rectifier layer of 625, softmax; RMSprop."""
import _twins  # before torch: the project's command line, data and epoch lines
import numpy as np
import torch
import torch.nn.functional as F

run = _twins.Run(__doc__, lr=0.001, dropout=True)
args = run.args
torch.manual_seed(args.seed)  # the dropout noise


# %%
def init_weights(shape):
    return np.random.randn(*shape) * 0.01  # NumPy's numbers: the Theano script's, for the same seed


def rectify(X):
    return torch.clamp(X, min=0.)


def softmax(X):
    e_x = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return e_x / e_x.sum(dim=1, keepdim=True)


def dropout(X, p=0.):
    if p > 0:
        retain_prob = 1 - p
        X = X * torch.bernoulli(torch.full_like(X, retain_prob))
        X = X / retain_prob
    return X


def RMSprop(params, lr=0.001, rho=0.9, epsilon=1e-6):
    accs = [torch.zeros_like(p) for p in params]

    def updates(cost):
        grads = torch.autograd.grad(cost, params)
        with torch.no_grad():
            for p, g, acc in zip(params, grads, accs):
                acc_new = rho * acc + (1 - rho) * g ** 2
                gradient_scaling = torch.sqrt(acc_new + epsilon)
                g = g / gradient_scaling
                acc.copy_(acc_new)
                p -= lr * g
    return updates


# Theano's conv2d flips the filters (a true convolution), PyTorch's does not (a
# correlation); 'full' pads by the filter's size less one on every side: 28 -> 30
def conv2d(X, w, border_mode='valid'):
    padding = w.shape[-1] - 1 if border_mode == 'full' else 0
    return F.conv2d(X, w.flip(2, 3), padding=padding)


# ignore_border=False keeps the partial window at the border: ceil_mode=True
def pool_2d(X, ws, ignore_border):
    return F.max_pool2d(X, ws, ceil_mode=not ignore_border)


# a "block" of computation: conv -> activate -> pool -> noise
# (30 -> 15, 13 -> 7, 5 -> 3)
def model(X, w, w2, w3, w4, w_o, p_drop_conv, p_drop_hidden):
    l1a = rectify(conv2d(X, w, border_mode='full'))
    l1 = pool_2d(l1a, (2, 2), ignore_border=False)
    l1 = dropout(l1, p_drop_conv)

    l2a = rectify(conv2d(l1, w2))
    l2 = pool_2d(l2a, (2, 2), ignore_border=False)
    l2 = dropout(l2, p_drop_conv)

    l3a = rectify(conv2d(l2, w3))
    l3b = pool_2d(l3a, (2, 2), ignore_border=False)
    # convert from 4tensor to normal matrix
    l3 = torch.flatten(l3b, start_dim=1)
    l3 = dropout(l3, p_drop_conv)

    l4 = rectify(l3 @ w4)
    l4 = dropout(l4, p_drop_hidden)

    pyx = softmax(l4 @ w_o)
    return l1, l2, l3, l4, pyx


def categorical_crossentropy(py_x, Y):
    return -torch.sum(Y * torch.log(py_x), dim=1)


# %%
trX, teX, trY, teY = map(torch.from_numpy, run.mnist())
# reshape into conv 4tensor (b, c, 0, 1) format
trX = trX.reshape(-1, 1, 28, 28)
teX = teX.reshape(-1, 1, 28, 28)


# %%
# no symbolic X and Y: the model is called on the tensors themselves

# tensors whose gradients autograd computes (these weights, or --load-model's):
# conv weights (n_kernels, n_channels, kernel_w, kernel_h); the highest conv layer has
# 128 filters and a 3x3 grid of responses
w, w2, w3, w4, w_o = [torch.tensor(p, requires_grad=True) for p in run.weights([
    init_weights((32, 1, 3, 3)), init_weights((64, 32, 3, 3)), init_weights((128, 64, 3, 3)),
    init_weights((128 * 3 * 3, 625)), init_weights((625, 10))])]
params = [w, w2, w3, w4, w_o]
updates = RMSprop(params, lr=args.lr)


# noise during training
def train(X, Y):
    noise_l1, noise_l2, noise_l3, noise_l4, noise_py_x = model(X, w, w2, w3, w4, w_o, 0.2, 0.5)
    cost = torch.mean(categorical_crossentropy(noise_py_x, Y))
    updates(cost)
    return cost.item()


# no noise for prediction
@torch.no_grad()
def predict(X):
    l1, l2, l3, l4, py_x = model(X, w, w2, w3, w4, w_o, 0., 0.)
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
