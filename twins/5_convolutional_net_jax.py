# %% [markdown]
# # 5 — A convolutional network, in JAX
# The twin of 5_convolutional_net.py: three blocks of conv -> rectify -> max-pool -> dropout,
# a rectifier layer, softmax.

# %%
"""5 - a convolutional network in JAX, the twin of 5_convolutional_net.py: three blocks
of conv -> rectify -> max-pool -> dropout (32, 64, 128 filters of 3x3), a rectifier
layer of 625, softmax; RMSprop."""
import _twins  # before jax: the project's command line, data and epoch lines
import jax
import jax.numpy as jnp
import numpy as np

run = _twins.Run(__doc__, lr=0.001, dropout=True)
args = run.args
key = jax.random.PRNGKey(args.seed)  # the dropout noise: split anew for each step


# %%
def init_weights(shape):
    return np.random.randn(*shape) * 0.01  # NumPy's numbers: the Theano script's, for the same seed


def rectify(X):
    return jnp.maximum(X, 0.)


def softmax(X):
    e_x = jnp.exp(X - X.max(axis=1, keepdims=True))
    return e_x / e_x.sum(axis=1, keepdims=True)


def dropout(X, p, key):
    if p > 0:
        retain_prob = 1 - p
        X *= jax.random.bernoulli(key, retain_prob, X.shape)
        X /= retain_prob
    return X


def RMSprop(grads, params, accs, lr=0.001, rho=0.9, epsilon=1e-6):
    new_params, new_accs = [], []
    for p, g, acc in zip(params, grads, accs):
        acc_new = rho * acc + (1 - rho) * g ** 2
        gradient_scaling = jnp.sqrt(acc_new + epsilon)
        g = g / gradient_scaling
        new_accs.append(acc_new)
        new_params.append(p - lr * g)
    return new_params, new_accs


# Theano's conv2d flips the filters (a true convolution), lax's does not (a correlation);
# 'full' pads by the filter's size less one on every side: 28 -> 30
def conv2d(X, w, border_mode='valid'):
    padding = [(w.shape[2] - 1,) * 2, (w.shape[3] - 1,) * 2] if border_mode == 'full' else 'VALID'
    return jax.lax.conv_general_dilated(X, w[:, :, ::-1, ::-1], (1, 1), padding)  # (b, c, 0, 1) images


# ignore_border=False keeps the partial window at the border: pad the odd sizes' end
def pool_2d(X, ws, ignore_border):
    padding = [(0, 0), (0, 0)] + [(0, 0 if ignore_border else -size % w) for size, w in zip(X.shape[2:], ws)]
    return jax.lax.reduce_window(X, -jnp.inf, jax.lax.max, (1, 1, *ws), (1, 1, *ws), padding)


# a "block" of computation: conv -> activate -> pool -> noise
# (30 -> 15, 13 -> 7, 5 -> 3)
def model(X, w, w2, w3, w4, w_o, p_drop_conv, p_drop_hidden, key):
    keys = jax.random.split(key, 4)  # one for each layer's noise
    l1a = rectify(conv2d(X, w, border_mode='full'))
    l1 = pool_2d(l1a, (2, 2), ignore_border=False)
    l1 = dropout(l1, p_drop_conv, keys[0])

    l2a = rectify(conv2d(l1, w2))
    l2 = pool_2d(l2a, (2, 2), ignore_border=False)
    l2 = dropout(l2, p_drop_conv, keys[1])

    l3a = rectify(conv2d(l2, w3))
    l3b = pool_2d(l3a, (2, 2), ignore_border=False)
    # convert from 4tensor to normal matrix
    l3 = l3b.reshape(len(l3b), -1)
    l3 = dropout(l3, p_drop_conv, keys[2])

    l4 = rectify(jnp.dot(l3, w4))
    l4 = dropout(l4, p_drop_hidden, keys[3])

    pyx = softmax(jnp.dot(l4, w_o))
    return l1, l2, l3, l4, pyx


def categorical_crossentropy(py_x, Y):
    return -jnp.sum(Y * jnp.log(py_x), axis=1)


# %%
trX, teX, trY, teY = run.mnist()
# reshape into conv 4tensor (b, c, 0, 1) format
trX = trX.reshape(-1, 1, 28, 28)
teX = teX.reshape(-1, 1, 28, 28)


# %%
# no symbolic X and Y: jax.jit traces the functions below with placeholders of them

# plain arrays, handed to train and returned by it (these weights, or --load-model's):
# conv weights (n_kernels, n_channels, kernel_w, kernel_h); the highest conv layer has
# 128 filters and a 3x3 grid of responses
params = run.weights([init_weights((32, 1, 3, 3)), init_weights((64, 32, 3, 3)), init_weights((128, 64, 3, 3)),
                      init_weights((128 * 3 * 3, 625)), init_weights((625, 10))])
accs = [jnp.zeros_like(p) for p in params]


# noise during training
def cost(params, X, Y, key):
    noise_l1, noise_l2, noise_l3, noise_l4, noise_py_x = model(X, *params, 0.2, 0.5, key)
    return jnp.mean(categorical_crossentropy(noise_py_x, Y))


def train(params, accs, X, Y, key):
    cost_value, grads = jax.value_and_grad(cost)(params, X, Y, key)
    params, accs = RMSprop(grads, params, accs, lr=args.lr)
    return params, accs, cost_value


# no noise for prediction (the key goes unused)
def predict(params, X):
    l1, l2, l3, l4, py_x = model(X, *params, 0., 0., key)
    return jnp.argmax(py_x, axis=1)


# %%
# compiling to XLA functions, at their first call
train = jax.jit(train)
predict = jax.jit(predict)


# %% [markdown]
# ## Training

# %%
for epoch in range(args.epochs):
    for start, end in run.batches(len(trX)):
        key, step_key = jax.random.split(key)
        params, accs, cost_value = train(params, accs, trX[start:end], trY[start:end], step_key)
        run.step(cost_value)
    run.report(np.mean(np.argmax(teY, axis=1) == predict(params, teX)))
run.save(params)
