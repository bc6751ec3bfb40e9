# %% [markdown]
# # 0 — Multiply: Theano's "hello world"
# A very simple model: input 3, "mult by x", output 12. Build a symbolic graph,
# compile it into a Python function, call it.

# %%
"""0 - multiply: Theano's "hello world". Build a symbolic graph for y = a * b,
compile it into a Python function, call it."""
import harness  # before theano: sets this project's Theano defaults
# imports
import theano
from theano import tensor as T

harness.parse_args(__doc__)


# %%
# theano symbolic variable initialization
a = T.scalar()
b = T.scalar()

# our model
y = a * b


# %%
# compiling to a python function
multiply = theano.function(inputs=[a, b], outputs=y)


# %%
# usage
print("multiply(1, 2) =", multiply(1, 2))
print("multiply(3, 3) =", multiply(3, 3))
