# %% [markdown]
# # 4 — A "modern" net (2012+), in JAX
# The twin of 4_modern_net.py: two rectifier hidden layers of 625 units, noise (dropout)
# on every layer's input, trained by RMSprop.

# %%
"""4 - a "modern" net (2012+) in JAX, the twin of 4_modern_net.py: two rectifier hidden
layers of 625 units, dropout noise on every layer's input, RMSprop."""
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


# rectifier
def rectify(X):
    return jnp.maximum(X, 0.)


# numerically stable softmax
def softmax(X):
    e_x = jnp.exp(X - X.max(axis=1, keepdims=True))
    return e_x / e_x.sum(axis=1, keepdims=True)


# the new params and accs: what Theano's updates would set the shared variables to
def RMSprop(grads, params, accs, lr=0.001, rho=0.9, epsilon=1e-6):
    new_params, new_accs = [], []
    for p, g, acc in zip(params, grads, accs):
        # a running average of the magnitude of the gradient
        acc_new = rho * acc + (1 - rho) * g ** 2
        # scale the gradient based on running average
        gradient_scaling = jnp.sqrt(acc_new + epsilon)
        g = g / gradient_scaling
        new_accs.append(acc_new)
        new_params.append(p - lr * g)
    return new_params, new_accs


# randomly drop values and scale rest
def dropout(X, p, key):
    if p > 0:
        retain_prob = 1 - p
        X *= jax.random.bernoulli(key, retain_prob, X.shape)
        X /= retain_prob
    return X


def model(X, w_h, w_h2, w_o, p_drop_input, p_drop_hidden, key):
    keys = jax.random.split(key, 3)  # one for each layer's noise
    # noise injected into model
    X = dropout(X, p_drop_input, keys[0])
    # rectifiers now used
    h = rectify(jnp.dot(X, w_h))

    # 2 hidden layers
    h = dropout(h, p_drop_hidden, keys[1])
    h2 = rectify(jnp.dot(h, w_h2))

    h2 = dropout(h2, p_drop_hidden, keys[2])
    py_x = softmax(jnp.dot(h2, w_o))
    return h, h2, py_x


def categorical_crossentropy(py_x, Y):
    return -jnp.sum(Y * jnp.log(py_x), axis=1)


# %%
trX, teX, trY, teY = run.mnist()


# %%
# no symbolic X and Y: jax.jit traces the functions below with placeholders of them

# plain arrays, handed to train and returned by it (these weights, or --load-model's)
params = run.weights([init_weights((784, 625)), init_weights((625, 625)), init_weights((625, 10))])
accs = [jnp.zeros_like(p) for p in params]


# noise for training
def cost(params, X, Y, key):
    noise_h, noise_h2, noise_py_x = model(X, *params, 0.2, 0.5, key)
    return jnp.mean(categorical_crossentropy(noise_py_x, Y))


def train(params, accs, X, Y, key):
    cost_value, grads = jax.value_and_grad(cost)(params, X, Y, key)
    params, accs = RMSprop(grads, params, accs, lr=args.lr)
    return params, accs, cost_value


# a clean model for prediction (no noise: the key goes unused)
def predict(params, X):
    h, h2, py_x = model(X, *params, 0., 0., key)
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
