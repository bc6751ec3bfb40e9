# %% [markdown]
# # 2 — Logistic regression
# T.dot(X, w), then softmax: ten outputs, Zero..Nine, one for each digit.

# %%
"""2 - logistic regression: softmax(X . w), one weight picture per digit.
The slides report 92.5 % test accuracy."""
import harness  # before theano: sets this project's Theano defaults
import numpy as np
import theano
from theano import tensor as T

run = harness.Run(__doc__, model="logistic regression", slides_accuracy=0.925, lr=0.05)
args = run.args


# %%
# convert to correct dtype
def floatX(X):
    return np.asarray(X, dtype=theano.config.floatX)


# initialize model parameters
def init_weights(shape):
    return theano.shared(floatX(np.random.randn(*shape) * 0.01))


# our model in matrix format
def model(X, w):
    return T.nnet.softmax(T.dot(X, w))


# %%
# loading data matrices
trX, teX, trY, teY = run.mnist()


# %%
# now matrix types
X = T.fmatrix()
Y = T.fmatrix()

w = init_weights((784, 10))

# probability outputs and maxima predictions
py_x = model(X, w)
y_pred = T.argmax(py_x, axis=1)

# classification metric to optimize
cost = T.mean(T.nnet.categorical_crossentropy(py_x, Y))
gradient = T.grad(cost=cost, wrt=w)
update = [[w, w - gradient * args.lr]]


# %%
train = theano.function(inputs=[X, Y], outputs=cost, updates=update, allow_input_downcast=True)
# compile prediction function
predict = theano.function(inputs=[X], outputs=y_pred, allow_input_downcast=True)


# %% [markdown]
# ## What it learns
# One 28x28 weight picture per digit 0-9 (`--figures`). The slides report 92.5 % test accuracy.

# %%
# train on mini-batches of 128 examples
with run.training([w], predict, (teX, teY), (X, py_x)):
    for epoch in range(args.epochs):
        for start, end in run.batches(len(trX)):
            cost = train(trX[start:end], trY[start:end])
            run.step(cost)
        run.report(np.mean(np.argmax(teY, axis=1) == predict(teX)))
