# %% [markdown]
# # 0 — Multiply, in JAX
# The twin of 0_multiply.py: a function of a and b, compiled by jax.jit, called.

# %%
"""0 - multiply in JAX, the twin of 0_multiply.py: y = a * b as a Python function,
compiled by jax.jit, called."""
import _twins  # the project's command line
# imports
import jax

_twins.parse_args(__doc__)


# %%
# no symbolic variables: JAX traces the Python function with placeholders of a and b
def model(a, b):
    return a * b


# %%
# compiling to an XLA function, at its first call
multiply = jax.jit(model)


# %%
# usage
print("multiply(1, 2) =", float(multiply(1., 2.)))
print("multiply(3, 3) =", float(multiply(3., 3.)))
