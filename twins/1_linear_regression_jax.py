# %% [markdown]
# # 1 — Linear regression, in JAX
# The twin of 1_linear_regression.py: learn the slope w of y = w x from the same 101 noisy points.

# %%
"""1 - linear regression in JAX, the twin of 1_linear_regression.py: learn the slope w
of y = w * x from the same 101 noisy points (made with w = 2)."""
import _twins  # the project's command line
# imports
import jax
import jax.numpy as jnp
import numpy as np

args = _twins.parse_args(__doc__, epochs=100, lr=0.01, seed=(1, "the noise in the data"))
np.random.seed(args.seed)


# %%
# training data generation, as the Theano script makes it
trX = np.linspace(-1, 1, 101)
trY = 2 * trX + np.random.randn(*trX.shape) * 0.33


# %%
# no symbolic variables: X and Y are the arguments of the functions below


# our model
def model(X, w):
    return X * w


# model parameter initialization: a plain array, handed to train and returned by it
w = jnp.asarray(0., dtype=jnp.float32)


# metric to be optimized by model
def cost(w, X, Y):
    return jnp.mean(jnp.square(model(X, w) - Y))


# learning signal for parameter(s), and how to change the parameter based on it:
# the new w is returned, as Theano's updates would set it
def train(w, X, Y):
    gradient = jax.grad(cost)(w, X, Y)
    return w - gradient * args.lr


# %%
# compiling to an XLA function
train = jax.jit(train)


# %% [markdown]
# ## JAX doing its thing

# %%
# iterate through data 100 times and train model on each example of input, output pairs
for i in range(args.epochs):
    for x, y in zip(trX.astype(np.float32), trY.astype(np.float32)):
        w = train(w, x, y)

print("w =", np.asarray(w), "(the data was made with w = 2)")
