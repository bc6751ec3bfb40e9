# %% [markdown]
# # 4 — A "modern" net (2012+)
# h = rectify(T.dot(X, wh)); h2 = rectify(T.dot(h, wh2)); y = softmax(T.dot(h2, wo)),
# with noise (dropout) on every layer's input, trained by RMSprop.

# %%
"""4 - a "modern" net (2012+): two rectifier hidden layers of 625 units, dropout
noise on every layer's input, RMSprop. The slides report 99.0 % test accuracy."""
import harness  # before theano: sets this project's Theano defaults
import numpy as np
import theano
from theano import tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams

run = harness.Run(__doc__, model="modern net (2012+)", slides_accuracy=0.990, lr=0.001, dropout=True)
args = run.args
srng = RandomStreams(seed=args.seed)


# %%
def floatX(X):
    return np.asarray(X, dtype=theano.config.floatX)


def init_weights(shape):
    return theano.shared(floatX(np.random.randn(*shape) * 0.01))


# rectifier
def rectify(X):
    return T.maximum(X, 0.)


# numerically stable softmax
def softmax(X):
    e_x = T.exp(X - X.max(axis=1).dimshuffle(0, 'x'))
    return e_x / e_x.sum(axis=1).dimshuffle(0, 'x')


def RMSprop(cost, params, lr=0.001, rho=0.9, epsilon=1e-6):
    grads = T.grad(cost=cost, wrt=params)
    updates = []
    for p, g in zip(params, grads):
        acc = theano.shared(p.get_value() * 0.)
        # a running average of the magnitude of the gradient
        acc_new = rho * acc + (1 - rho) * g ** 2
        # scale the gradient based on running average
        gradient_scaling = T.sqrt(acc_new + epsilon)
        g = g / gradient_scaling
        updates.append((acc, acc_new))
        updates.append((p, p - lr * g))
    return updates


# randomly drop values and scale rest
def dropout(X, p=0.):
    if p > 0:
        retain_prob = 1 - p
        X *= srng.binomial(X.shape, p=retain_prob, dtype=theano.config.floatX)
        X /= retain_prob
    return X


def model(X, w_h, w_h2, w_o, p_drop_input, p_drop_hidden):
    # noise injected into model
    X = dropout(X, p_drop_input)
    # rectifiers now used
    h = rectify(T.dot(X, w_h))

    # 2 hidden layers
    h = dropout(h, p_drop_hidden)
    h2 = rectify(T.dot(h, w_h2))

    h2 = dropout(h2, p_drop_hidden)
    py_x = softmax(T.dot(h2, w_o))
    return h, h2, py_x


# %%
trX, teX, trY, teY = run.mnist()


# %%
X = T.fmatrix()
Y = T.fmatrix()

w_h = init_weights((784, 625))
w_h2 = init_weights((625, 625))
w_o = init_weights((625, 10))

# noise for training, a clean model for prediction
noise_h, noise_h2, noise_py_x = model(X, w_h, w_h2, w_o, 0.2, 0.5)
h, h2, py_x = model(X, w_h, w_h2, w_o, 0., 0.)
y_x = T.argmax(py_x, axis=1)

cost = T.mean(T.nnet.categorical_crossentropy(noise_py_x, Y))
params = [w_h, w_h2, w_o]
updates = RMSprop(cost, params, lr=args.lr)


# %%
train = theano.function(inputs=[X, Y], outputs=cost, updates=updates, allow_input_downcast=True)
predict = theano.function(inputs=[X], outputs=y_x, allow_input_downcast=True)


# %% [markdown]
# ## Training
# The slides report 99.0 % test accuracy.

# %%
with run.training(params, predict, (teX, teY), (X, py_x)):
    for epoch in range(args.epochs):
        for start, end in run.batches(len(trX)):
            cost = train(trX[start:end], trY[start:end])
            run.step(cost)
        run.report(np.mean(np.argmax(teY, axis=1) == predict(teX)))
