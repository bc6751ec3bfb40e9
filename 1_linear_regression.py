# %% [markdown]
# # 1 — Linear regression
# Learn the slope w of y = w x from 101 noisy points made with w = 2.

# %%
"""1 - linear regression: learn the slope w of y = w * x from 101 noisy points.
The data was made with w = 2, so w should end near 2."""
import harness  # before theano: sets this project's Theano defaults
# imports
import numpy as np
import theano
from theano import tensor as T

args = harness.parse_args(__doc__, epochs=100, lr=0.01, seed=(1, "the noise in the data"), figures=True)
np.random.seed(args.seed)


# %%
# training data generation
trX = np.linspace(-1, 1, 101)
trY = 2 * trX + np.random.randn(*trX.shape) * 0.33


# %%
# symbolic variable initialization
X = T.scalar()
Y = T.scalar()


# our model
def model(X, w):
    return X * w


# model parameter initialization
w = theano.shared(np.asarray(0., dtype=theano.config.floatX))
y = model(X, w)

# metric to be optimized by model
cost = T.mean(T.sqr(y - Y))
# learning signal for parameter(s)
gradient = T.grad(cost=cost, wrt=w)
# how to change parameter based on learning signal
updates = [[w, w - gradient * args.lr]]


# %%
# compiling to a python function
train = theano.function(inputs=[X, Y], outputs=cost, updates=updates, allow_input_downcast=True)


# %% [markdown]
# ## Theano doing its thing

# %%
# iterate through data 100 times and train model on each example of input, output pairs
slopes = [w.get_value()]
for i in range(args.epochs):
    for x, y in zip(trX, trY):
        train(x, y)
    slopes.append(w.get_value())

print("w =", w.get_value(), "(the data was made with w = 2)")

# the fitted line after each epoch, drawn by --figures (in a notebook, under this cell)
if args.figures or harness.in_notebook():
    import figures
    figures.write(args.figures, {"1_linear_regression_fit.png": figures.linear_fit(trX, trY, slopes)})
