# %% [markdown]
# # 3 — An "old" net (circa 2000), in JAX
# The twin of 3_net.py: one sigmoid hidden layer of 625 units, then softmax, trained by plain SGD.

# %%
"""3 - an "old" net (circa 2000) in JAX, the twin of 3_net.py: one sigmoid hidden layer
of 625 units, then softmax, trained by plain SGD."""
import _twins  # before jax: the project's command line, data and epoch lines
import jax
import jax.numpy as jnp
import numpy as np

run = _twins.Run(__doc__, lr=0.05)
args = run.args


# %%
def init_weights(shape):
    return np.random.randn(*shape) * 0.01  # NumPy's numbers: the Theano script's, for the same seed


# the new params: what Theano's updates would set the shared variables to
def sgd(grads, params, lr=0.05):
    updates = []
    for p, g in zip(params, grads):
        updates.append(p - g * lr)
    return updates


def model(X, w_h, w_o):
    h = jax.nn.sigmoid(jnp.dot(X, w_h))
    pyx = jax.nn.softmax(jnp.dot(h, w_o))
    return pyx


def categorical_crossentropy(py_x, Y):
    return -jnp.sum(Y * jnp.log(py_x), axis=1)


# %%
trX, teX, trY, teY = run.mnist()


# %%
# no symbolic X and Y: jax.jit traces the functions below with placeholders of them

# plain arrays, handed to train and returned by it (these weights, or --load-model's)
params = run.weights([init_weights((784, 625)), init_weights((625, 10))])


def cost(params, X, Y):
    py_x = model(X, *params)
    return jnp.mean(categorical_crossentropy(py_x, Y))


def train(params, X, Y):
    cost_value, grads = jax.value_and_grad(cost)(params, X, Y)
    return sgd(grads, params, lr=args.lr), cost_value


def predict(params, X):
    return jnp.argmax(model(X, *params), axis=1)


# %%
# compiling to XLA functions, at their first call
train = jax.jit(train)
predict = jax.jit(predict)


# %% [markdown]
# ## Training

# %%
for epoch in range(args.epochs):
    for start, end in run.batches(len(trX)):
        params, cost_value = train(params, trX[start:end], trY[start:end])
        run.step(cost_value)
    run.report(np.mean(np.argmax(teY, axis=1) == predict(params, teX)))
run.save(params)
