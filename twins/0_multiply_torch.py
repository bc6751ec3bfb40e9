# %% [markdown]
# # 0 — Multiply, in PyTorch
# The twin of 0_multiply.py: PyTorch computes as it goes, so the graph is the function itself.

# %%
"""0 - multiply in PyTorch, the twin of 0_multiply.py: y = a * b, computed on tensors
as the function runs (no graph compiled beforehand)."""
import _twins  # the project's command line
# imports
import torch

_twins.parse_args(__doc__)


# %%
# no symbolic variables: a and b are tensors when the function is called
def model(a, b):
    return a * b


# %%
# nothing to compile: the Python function is what runs
multiply = model


# %%
# usage
print("multiply(1, 2) =", multiply(torch.tensor(1.), torch.tensor(2.)).item())
print("multiply(3, 3) =", multiply(torch.tensor(3.), torch.tensor(3.)).item())
