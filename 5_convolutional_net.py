# %% [markdown]
# # 5 — A convolutional network
# Three blocks of conv -> rectify -> max-pool -> dropout, a rectifier layer, softmax.

# %%
"""5 - a convolutional network: three blocks of conv -> rectify -> max-pool ->
dropout (32, 64, 128 filters of 3x3), a rectifier layer of 625, softmax;
RMSprop. The slides report 99.5 % test accuracy."""
import harness  # before theano: sets this project's Theano defaults
import numpy as np
import theano
from theano import tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams
from theano.tensor.nnet import conv2d
from theano.tensor.signal.pool import pool_2d

run = harness.Run(__doc__, model="convolutional net", slides_accuracy=0.995, lr=0.001, dropout=True)
args = run.args
srng = RandomStreams(seed=args.seed)


# %%
def floatX(X):
    return np.asarray(X, dtype=theano.config.floatX)


def init_weights(shape):
    return theano.shared(floatX(np.random.randn(*shape) * 0.01))


def rectify(X):
    return T.maximum(X, 0.)


def softmax(X):
    e_x = T.exp(X - X.max(axis=1).dimshuffle(0, 'x'))
    return e_x / e_x.sum(axis=1).dimshuffle(0, 'x')


def dropout(X, p=0.):
    if p > 0:
        retain_prob = 1 - p
        X *= srng.binomial(X.shape, p=retain_prob, dtype=theano.config.floatX)
        X /= retain_prob
    return X


def RMSprop(cost, params, lr=0.001, rho=0.9, epsilon=1e-6):
    grads = T.grad(cost=cost, wrt=params)
    updates = []
    for p, g in zip(params, grads):
        acc = theano.shared(p.get_value() * 0.)
        acc_new = rho * acc + (1 - rho) * g ** 2
        gradient_scaling = T.sqrt(acc_new + epsilon)
        g = g / gradient_scaling
        updates.append((acc, acc_new))
        updates.append((p, p - lr * g))
    return updates


# a "block" of computation: conv -> activate -> pool -> noise
# (pool_2d with ignore_border=False keeps the partial border, as the talk's
# downsample.max_pool_2d did: 30 -> 15, 13 -> 7, 5 -> 3)
def model(X, w, w2, w3, w4, w_o, p_drop_conv, p_drop_hidden):
    l1a = rectify(conv2d(X, w, border_mode='full'))
    l1 = pool_2d(l1a, (2, 2), ignore_border=False)
    l1 = dropout(l1, p_drop_conv)

    l2a = rectify(conv2d(l1, w2))
    l2 = pool_2d(l2a, (2, 2), ignore_border=False)
    l2 = dropout(l2, p_drop_conv)

    l3a = rectify(conv2d(l2, w3))
    l3b = pool_2d(l3a, (2, 2), ignore_border=False)
    # convert from 4tensor to normal matrix
    l3 = T.flatten(l3b, ndim=2)
    l3 = dropout(l3, p_drop_conv)

    l4 = rectify(T.dot(l3, w4))
    l4 = dropout(l4, p_drop_hidden)

    pyx = softmax(T.dot(l4, w_o))
    return l1, l2, l3, l4, pyx


# %%
trX, teX, trY, teY = run.mnist()
# reshape into conv 4tensor (b, c, 0, 1) format
trX = trX.reshape(-1, 1, 28, 28)
teX = teX.reshape(-1, 1, 28, 28)


# %%
# now 4tensor for conv instead of matrix
X = T.ftensor4()
Y = T.fmatrix()

# conv weights (n_kernels, n_channels, kernel_w, kernel_h)
w = init_weights((32, 1, 3, 3))
w2 = init_weights((64, 32, 3, 3))
# highest conv layer has 128 filters and a 3x3 grid of responses
w3 = init_weights((128, 64, 3, 3))
w4 = init_weights((128 * 3 * 3, 625))
w_o = init_weights((625, 10))

# noise during training
noise_l1, noise_l2, noise_l3, noise_l4, noise_py_x = model(X, w, w2, w3, w4, w_o, 0.2, 0.5)
# no noise for prediction
l1, l2, l3, l4, py_x = model(X, w, w2, w3, w4, w_o, 0., 0.)
y_x = T.argmax(py_x, axis=1)

cost = T.mean(T.nnet.categorical_crossentropy(noise_py_x, Y))
params = [w, w2, w3, w4, w_o]
updates = RMSprop(cost, params, lr=args.lr)


# %%
train = theano.function(inputs=[X, Y], outputs=cost, updates=updates, allow_input_downcast=True)
predict = theano.function(inputs=[X], outputs=y_x, allow_input_downcast=True)


def responses():
    """What each block responds to, drawn by --figures (compiled only then)."""
    respond = theano.function(inputs=[X], outputs=[l1, l2, l3.reshape((-1, 128, 3, 3))], allow_input_downcast=True)
    return respond(teX[:1])


# %% [markdown]
# ## Training
# The slides report 99.5 % test accuracy.

# %%
with run.training(params, predict, (teX, teY), (X, py_x), responses):
    for epoch in range(args.epochs):
        for start, end in run.batches(len(trX)):
            cost = train(trX[start:end], trY[start:end])
            run.step(cost)
        run.report(np.mean(np.argmax(teY, axis=1) == predict(teX)))
