"""Understanding sigmoid units, understanding rectifier units: two nets, one of sigmoid and
one of rectifier hidden units, learn the 2D moons from the same initial weights, on the
same minibatches, by the same SGD. It prints the loss and accuracy on all the points as
each learns; with --figures, what each hidden unit computes over the plane, and how the
decision boundary and the loss move in each net."""
import _project  # noqa: F401  the project's folder on the import path
import harness  # before theano: sets this project's Theano defaults
import numpy as np
import theano
from theano import tensor as T

import _moons as moons

args = harness.parse_args(__doc__, seed=(1, "the points, the starting weights and the order of the minibatches"),
                          batch_size=32, lr=0.1, figures=True,
                          steps=(1000, "gradient steps each net takes"),
                          points=(200, "moons points to learn"),
                          noise=(0.2, "standard deviation of the noise added to the points"),
                          hidden=(32, "hidden units in each net", 1000))
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


# one hidden layer; biases let each unit's line sit anywhere on the plane
def model(X, w_h, b_h, w_o, b_o, activation):
    h = activation(T.dot(X, w_h) + b_h)
    py_x = T.nnet.softmax(T.dot(h, w_o) + b_o)
    return h, py_x


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

print(f"moons_sigmoid_vs_rectifier.py: {len(trX)} points (noise {args.noise}), {args.hidden} hidden units, "
      f"{args.steps} steps of {args.batch_size} points, sgd lr {args.lr}, seed {args.seed}", flush=True)
traces, units = [], {}
# a sigmoid unit: a soft step up across its line, flat (so learning slowly) away from it;
# a rectifier unit: zero on one side of its line, a ramp that keeps rising on the other
for name, activation in [("sigmoid", T.nnet.sigmoid), ("rectifier", rectify)]:
    h, py_x = model(X, w_h, b_h, w_o, b_o, activation)
    cost = T.mean(T.nnet.categorical_crossentropy(py_x, Y))
    accuracy = T.mean(T.eq(T.argmax(py_x, axis=1), T.argmax(Y, axis=1)))
    updates = sgd(cost, params, lr=args.lr)

    train = theano.function(inputs=[X, Y], outputs=cost, updates=updates, allow_input_downcast=True)
    evaluate = theano.function(inputs=[X, Y], outputs=[cost, accuracy], allow_input_downcast=True)
    # the probability of the second moon at every point of the plane: the boundary is where it is 0.5
    probability = theano.function(inputs=[X], outputs=py_x[:, 1], allow_input_downcast=True)
    # what each hidden unit computes at every point of the plane
    hidden = theano.function(inputs=[X], outputs=h, allow_input_downcast=True)

    # the same initial weights for each net
    for p, value in zip(params, start):
        p.set_value(value)
    trace = moons.Trace(name, args.steps, lambda: evaluate(trX, trY), probability, grid)
    for step, batch in enumerate(moons.batches(len(trX), args.steps, args.batch_size, args.seed), start=1):
        train(trX[batch], trY[batch])
        trace.record(step)
    traces.append(trace)
    units[name] = hidden(grid)
print(moons.summary(traces))

if args.figures:
    import figures
    import _pictures as pictures
    title = "Understanding sigmoid and rectifier units"
    figures.write(args.figures, {
        "moons_sigmoid_vs_rectifier_units.png": pictures.moons_hidden_units(units, trX, labels, extent),
        "moons_sigmoid_vs_rectifier.png": pictures.moons_training(traces, trX, labels, extent, title),
        "moons_sigmoid_vs_rectifier.gif": pictures.moons_animation(traces, trX, labels, extent, title),
    })
