# %% [markdown]
# # 3 — An "old" net (circa 2000)
# h = sigmoid(T.dot(X, wh)); y = softmax(T.dot(h, wo)).

# %%
"""3 - an "old" net (circa 2000): one sigmoid hidden layer of 625 units, then
softmax, trained by plain SGD. The slides report 98.4 % test accuracy."""
import harness  # before theano: sets this project's Theano defaults
import numpy as np
import theano
from theano import tensor as T

run = harness.Run(__doc__, model="sigmoid net (2000)", slides_accuracy=0.984, lr=0.05)
args = run.args


# %%
def floatX(X):
    return np.asarray(X, dtype=theano.config.floatX)


def init_weights(shape):
    return theano.shared(floatX(np.random.randn(*shape) * 0.01))


# generalize to compute gradient descent on all model parameters
def sgd(cost, params, lr=0.05):
    grads = T.grad(cost=cost, wrt=params)
    updates = []
    for p, g in zip(params, grads):
        updates.append([p, p - g * lr])
    return updates


# 2 layers of computation: input -> hidden (sigmoid), hidden -> output (softmax)
def model(X, w_h, w_o):
    h = T.nnet.sigmoid(T.dot(X, w_h))
    pyx = T.nnet.softmax(T.dot(h, w_o))
    return pyx


# %%
trX, teX, trY, teY = run.mnist()


# %%
X = T.fmatrix()
Y = T.fmatrix()

# initialize both weight matrices
w_h = init_weights((784, 625))
w_o = init_weights((625, 10))

py_x = model(X, w_h, w_o)
y_x = T.argmax(py_x, axis=1)

cost = T.mean(T.nnet.categorical_crossentropy(py_x, Y))
params = [w_h, w_o]
# updated version of updates
updates = sgd(cost, params, lr=args.lr)


# %%
train = theano.function(inputs=[X, Y], outputs=cost, updates=updates, allow_input_downcast=True)
predict = theano.function(inputs=[X], outputs=y_x, allow_input_downcast=True)


# %% [markdown]
# ## Training
# The slides report 98.4 % test accuracy.

# %%
with run.training(params, predict, (teX, teY), (X, py_x)):
    for epoch in range(args.epochs):
        for start, end in run.batches(len(trX)):
            cost = train(trX[start:end], trY[start:end])
            run.step(cost)
        run.report(np.mean(np.argmax(teY, axis=1) == predict(teX)))
