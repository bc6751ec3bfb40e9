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


# %% [markdown]
# ## Training

# %%
for epoch in range(args.epochs):
    for start, end in run.batches(len(trX)):
        w, cost_value = train(w, trX[start:end], trY[start:end])
        run.step(cost_value)
    run.report(np.mean(np.argmax(teY, axis=1) == predict(w, teX)))
run.save([w])
