"""Understanding SGD, understanding RMSprop: one small net learns the 2D moons twice,
from the same initial weights and on the same minibatches, once by plain SGD and once
by RMSprop. It prints the loss and accuracy on all the points as each learns; with
--figures, how the decision boundary and the loss move under each."""
import _project  # noqa: F401  the project's folder on the import path
import harness  # before theano: sets this project's Theano defaults
import numpy as np
import theano
from theano import tensor as T

import _moons as moons

args = harness.parse_args(__doc__, seed=(1, "the points, the starting weights and the order of the minibatches"),
                          batch_size=32, figures=True,
                          steps=(1000, "gradient steps each optimiser takes"),
                          points=(200, "moons points to learn"),
                          noise=(0.2, "standard deviation of the noise added to the points"),
                          hidden=(32, "rectifier units in the hidden layer", 1000),
                          sgd_lr=(0.1, "SGD's learning rate"),
                          rmsprop_lr=(0.01, "RMSprop's learning rate"))
np.random.seed(args.seed)


def floatX(X):
    return np.asarray(X, dtype=theano.config.floatX)


# 2 inputs, not 784: weights of size 1 put each unit's line across the moons
def init_weights(shape):
    return theano.shared(floatX(np.random.randn(*shape)))


def rectify(X):
    return T.maximum(X, 0.)


def sgd(cost, params, lr):
    grads = T.grad(cost=cost, wrt=params)
    updates = []
    for p, g in zip(params, grads):
        updates.append([p, p - g * lr])
    return updates


def RMSprop(cost, params, lr, rho=0.9, epsilon=1e-6):
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


# one hidden layer; biases let each unit's line sit anywhere on the plane
def model(X, w_h, b_h, w_o, b_o):
    h = rectify(T.dot(X, w_h) + b_h)
    py_x = T.nnet.softmax(T.dot(h, w_o) + b_o)
    return py_x


trX, trY, labels = moons.moons(args)
grid, extent = moons.plane(trX)

X = T.fmatrix()
Y = T.fmatrix()

w_h = init_weights((2, args.hidden))
b_h = theano.shared(floatX(np.zeros(args.hidden)))
w_o = init_weights((args.hidden, 2))
b_o = theano.shared(floatX(np.zeros(2)))
params = [w_h, b_h, w_o, b_o]
start = [p.get_value() for p in params]

py_x = model(X, w_h, b_h, w_o, b_o)
cost = T.mean(T.nnet.categorical_crossentropy(py_x, Y))
accuracy = T.mean(T.eq(T.argmax(py_x, axis=1), T.argmax(Y, axis=1)))

# the same graph, two ways to change the parameters based on the learning signal
optimisers = [("sgd", sgd(cost, params, lr=args.sgd_lr)), ("rmsprop", RMSprop(cost, params, lr=args.rmsprop_lr))]

evaluate = theano.function(inputs=[X, Y], outputs=[cost, accuracy], allow_input_downcast=True)
# the probability of the second moon at every point of the plane: the boundary is where it is 0.5
probability = theano.function(inputs=[X], outputs=py_x[:, 1], allow_input_downcast=True)

print(f"moons_sgd_vs_rmsprop.py: {len(trX)} points (noise {args.noise}), {args.hidden} rectifier units, "
      f"{args.steps} steps of {args.batch_size} points, sgd lr {args.sgd_lr}, rmsprop lr {args.rmsprop_lr}, "
      f"seed {args.seed}", flush=True)
traces = []
for name, updates in optimisers:
    train = theano.function(inputs=[X, Y], outputs=cost, updates=updates, allow_input_downcast=True)
    # the same initial weights for each optimiser
    for p, value in zip(params, start):
        p.set_value(value)
    trace = moons.Trace(name, args.steps, lambda: evaluate(trX, trY), probability, grid)
    for step, batch in enumerate(moons.batches(len(trX), args.steps, args.batch_size, args.seed), start=1):
        train(trX[batch], trY[batch])
        trace.record(step)
    traces.append(trace)
print(moons.summary(traces))

if args.figures:
    import figures
    import _pictures as pictures
    title = "Understanding SGD and RMSprop"
    figures.write(args.figures, {
        "moons_sgd_vs_rmsprop.png": pictures.moons_training(traces, trX, labels, extent, title),
        "moons_sgd_vs_rmsprop.gif": pictures.moons_animation(traces, trX, labels, extent, title),
    })
