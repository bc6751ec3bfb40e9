# %% [markdown]
# # 2 — Logistic regression, in JAX
# The twin of 2_logistic_regression.py: softmax(X . w), trained by plain SGD.

# %%
"""2 - logistic regression in JAX, the twin of 2_logistic_regression.py:
softmax(X . w), trained by plain SGD."""
import _twins  # before jax: the project's command line, data and epoch lines
import jax
import jax.numpy as jnp
import numpy as np

run = _twins.Run(__doc__, lr=0.05)
args = run.args


# %%
def init_weights(shape):
    return np.random.randn(*shape) * 0.01  # NumPy's numbers: the Theano script's, for the same seed


def model(X, w):
    return jax.nn.softmax(jnp.dot(X, w))


def categorical_crossentropy(py_x, Y):
    return -jnp.sum(Y * jnp.log(py_x), axis=1)


# %%
trX, teX, trY, teY = run.mnist()


# %%
# no symbolic X and Y: jax.jit traces the functions below with placeholders of them

# a plain array, handed to train and returned by it (these weights, or --load-model's)
w, = run.weights([init_weights((784, 10))])


def cost(w, X, Y):
    py_x = model(X, w)
    return jnp.mean(categorical_crossentropy(py_x, Y))


# the new w is returned: what Theano's updates would set the shared variable to
def train(w, X, Y):
    cost_value, gradient = jax.value_and_grad(cost)(w, X, Y)
    return w - gradient * args.lr, cost_value


def predict(w, X):
    return jnp.argmax(model(X, w), axis=1)


# %%
# compiling to XLA functions, at their first call
train = jax.jit(train)
predict = jax.jit(predict)


# %%
def accuracy(X, Y):
    return np.mean(np.argmax(Y, axis=1) == predict(w, X))


# %% [markdown]
# ## Training

# %%
batches = list(zip(range(0, len(trX), args.batch_size), range(args.batch_size, len(trX), args.batch_size)))
for epoch in range(args.epochs):
    costs = []
    for start, end in run.progress(batches):
        w, cost_value = train(w, trX[start:end], trY[start:end])
        costs.append(cost_value)
    run.report(costs, accuracy(teX, teY))
run.save([w])
