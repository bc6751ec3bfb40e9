"""The talk's takeaways, each measured by an ablation: one thing of a model changed,
everything else (data, initial weights, batches, epochs, seed) kept.

    python benchmarks/takeaways_benchmark.py --data-dir PATH   # about 25 min
    python benchmarks/takeaways_benchmark.py --table       # the table of docs/results.md, from results/

- noise is important for regularization: the modern net with and without dropout;
- rectifiers for faster, better learning: rectifier against sigmoid hidden units;
- don't use (plain) SGD: RMSprop against SGD at lr 0.05, the talk's SGD;
- models need room to compute: hidden layers of 625 units against 16;
- if your data has structure, your model should respect it: the convnet (script 5's
  model) against the modern net, on MNIST and on MNIST whose pixels are shuffled by one
  fixed permutation (train and test alike).

The baseline is 4_modern_net.py's model: 784-625-625-10 rectifiers, dropout 0.2 on the
input and 0.5 on the hidden layers, RMSprop at lr 0.001, batches of 128, in order. To
fit the budget every model trains on the first --ntrain training images (default
6000 of 60000, a tenth) and is tested on --ntest images (default all 10000): the nets for
--epochs passes (default 50: long enough for a net without noise to overfit), and the
convnet against the net for --conv-epochs passes (default 30: the convnet is some 25
times slower per image).
Each finished variant is written to the results file at once; a run that was stopped
resumes, skipping the variants already recorded with the same settings.
"""
import argparse
import json
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
import harness  # noqa: E402  before theano: sets this project's Theano defaults
import load  # noqa: E402
import measured  # noqa: E402
import record  # noqa: E402
from common import bounds  # noqa: E402
from common.errors import DataError, PathError  # noqa: E402
import numpy as np  # noqa: E402
import theano  # noqa: E402
from theano import tensor as T  # noqa: E402
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams  # noqa: E402
from theano.tensor.nnet import conv2d  # noqa: E402
from theano.tensor.signal.pool import pool_2d  # noqa: E402

RESULTS = os.path.join(REPO, "results", "takeaways.json")

# name: (model, hidden units, activation, input dropout, hidden dropout, optimiser, pixels, epochs flag)
VARIANTS = {
    "modern net": ("net", 625, "rectify", 0.2, 0.5, "rmsprop", "mnist", "epochs"),
    "no dropout": ("net", 625, "rectify", 0., 0., "rmsprop", "mnist", "epochs"),
    "sigmoid": ("net", 625, "sigmoid", 0.2, 0.5, "rmsprop", "mnist", "epochs"),
    "plain SGD": ("net", 625, "rectify", 0.2, 0.5, "sgd", "mnist", "epochs"),
    "16 hidden units": ("net", 16, "rectify", 0.2, 0.5, "rmsprop", "mnist", "epochs"),
    "modern net, short": ("net", 625, "rectify", 0.2, 0.5, "rmsprop", "mnist", "conv_epochs"),
    "modern net, short, shuffled pixels": ("net", 625, "rectify", 0.2, 0.5, "rmsprop", "shuffled", "conv_epochs"),
    "convnet": ("convnet", 625, "rectify", 0.2, 0.5, "rmsprop", "mnist", "conv_epochs"),
    "convnet, shuffled pixels": ("convnet", 625, "rectify", 0.2, 0.5, "rmsprop", "shuffled", "conv_epochs"),
}


def floatX(X):
    return np.asarray(X, dtype=theano.config.floatX)


def init_weights(shape):
    return theano.shared(floatX(np.random.randn(*shape) * 0.01))


def rectify(X):
    return T.maximum(X, 0.)


def softmax(X):
    e_x = T.exp(X - X.max(axis=1).dimshuffle(0, 'x'))
    return e_x / e_x.sum(axis=1).dimshuffle(0, 'x')


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


# the talk's plain SGD (3_net.py), at its learning rate
def sgd(cost, params, lr=0.05):
    grads = T.grad(cost=cost, wrt=params)
    return [(p, p - g * lr) for p, g in zip(params, grads)]


def dropout(X, srng, p=0.):
    if p > 0:
        retain_prob = 1 - p
        X *= srng.binomial(X.shape, p=retain_prob, dtype=theano.config.floatX)
        X /= retain_prob
    return X


def net(X, params, activation, p_drop_input, p_drop_hidden, srng):
    w_h, w_h2, w_o = params
    X = dropout(X, srng, p_drop_input)
    h = activation(T.dot(X, w_h))
    h = dropout(h, srng, p_drop_hidden)
    h2 = activation(T.dot(h, w_h2))
    h2 = dropout(h2, srng, p_drop_hidden)
    return softmax(T.dot(h2, w_o))


def convnet(X, params, activation, p_drop_conv, p_drop_hidden, srng):
    w, w2, w3, w4, w_o = params
    # the images come as rows of 784 pixels; the convnet sees them as 28x28 again
    X = X.reshape((-1, 1, 28, 28))
    # a "block" of computation: conv -> activate -> pool -> noise
    l1 = pool_2d(activation(conv2d(X, w, border_mode='full')), (2, 2), ignore_border=False)
    l1 = dropout(l1, srng, p_drop_conv)
    l2 = pool_2d(activation(conv2d(l1, w2)), (2, 2), ignore_border=False)
    l2 = dropout(l2, srng, p_drop_conv)
    l3 = pool_2d(activation(conv2d(l2, w3)), (2, 2), ignore_border=False)
    l3 = dropout(T.flatten(l3, ndim=2), srng, p_drop_conv)
    l4 = dropout(activation(T.dot(l3, w4)), srng, p_drop_hidden)
    return softmax(T.dot(l4, w_o))


def train_variant(name, data, args):
    """Train one variant from the same seed; return its record: test accuracy after the first
    epoch and at the end, and accuracy on its own training images at the end."""
    kind, width, activation, p_input, p_hidden, optimiser, pixels, epochs_flag = VARIANTS[name]
    trX, teX, trY, teY = data[pixels]
    np.random.seed(args.seed)  # the same initial weights for every variant of the same shapes
    srng = RandomStreams(seed=args.seed)  # and the same noise
    if kind == "net":
        params = [init_weights((784, width)), init_weights((width, width)), init_weights((width, 10))]
        model = net
    else:
        params = [init_weights((32, 1, 3, 3)), init_weights((64, 32, 3, 3)), init_weights((128, 64, 3, 3)),
                  init_weights((128 * 3 * 3, 625)), init_weights((625, 10))]
        model = convnet
    activation = {"rectify": rectify, "sigmoid": T.nnet.sigmoid}[activation]

    X = T.fmatrix()
    Y = T.fmatrix()
    noise_py_x = model(X, params, activation, p_input, p_hidden, srng)
    py_x = model(X, params, activation, 0., 0., srng)
    cost = T.mean(T.nnet.categorical_crossentropy(noise_py_x, Y))
    updates = RMSprop(cost, params) if optimiser == "rmsprop" else sgd(cost, params)
    train = theano.function(inputs=[X, Y], outputs=cost, updates=updates, allow_input_downcast=True)
    predict = theano.function(inputs=[X], outputs=T.argmax(py_x, axis=1), allow_input_downcast=True)

    def accuracy(X, Y):
        return float(np.mean(np.argmax(Y, axis=1) == np.concatenate(
            [predict(X[i:i + 1000]) for i in range(0, len(X), 1000)])))

    batches = list(zip(range(0, len(trX), args.batch_size), range(args.batch_size, len(trX), args.batch_size)))
    epochs = getattr(args, epochs_flag)
    start = time.time()
    for epoch in range(epochs):
        costs = [train(trX[begin:end], trY[begin:end]) for begin, end in batches]
        print(f"  {name}: epoch {epoch + 1:2d}  train cost {np.mean(costs):.4f}", flush=True)
        if epoch == 0:
            first = accuracy(teX, teY)  # how fast it learns
    return {"first_epoch_accuracy": first, "accuracy": accuracy(teX, teY), "train_accuracy": accuracy(trX, trY),
            "seconds": round(time.time() - start, 1), "settings": settings(args, epochs)}


def settings(args, epochs):
    return {"ntrain": args.ntrain, "ntest": args.ntest, "epochs": epochs, "batch_size": args.batch_size,
            "seed": args.seed}


def read_results(path):
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            return json.load(f)["variants"]
    except (OSError, ValueError, KeyError) as error:
        raise PathError(f"cannot read the results file {path}: {error}. Delete it (or give another "
                        f"--output) to start the benchmark afresh.") from None


def write_results(path, variants):
    """Write the whole file anew, then move it into place: a stopped run leaves it whole."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump({"about": __doc__.split("\n\n")[0], "variants": variants}, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


def table(variants):
    """The table of docs/results.md, once every variant is recorded."""
    missing = [name for name in VARIANTS if name not in variants]
    if missing:
        raise DataError(f"the results lack {', '.join(missing)}: run the benchmark (without --table) "
                        f"to finish them, then ask for the table again.")
    base, short = variants["modern net"]["settings"], variants["convnet"]["settings"]
    n = base["ntest"]
    return (f"Measured on the first {base['ntrain']} MNIST training images, tested on {n}; {base['epochs']} epochs "
            f"({short['epochs']} for the convnet against the net), batch {base['batch_size']}, seed {base['seed']}. "
            f"A difference holds when it exceeds twice its standard error on {n} test images "
            f"({100 * measured.margin(variants['modern net']['accuracy'], n):.2f} points at the modern net's "
            f"accuracy).\n\n{measured.takeaways_table(variants)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ntrain", type=bounds.whole(1), default=6000,
                        help="training images (default: %(default)s)")
    parser.add_argument("--ntest", type=bounds.whole(1), default=10000, help="test images (default: %(default)s)")
    parser.add_argument("--epochs", type=bounds.whole(1), default=50,
                        help="passes of the nets (default: %(default)s)")
    parser.add_argument("--conv-epochs", type=bounds.whole(1), default=30,
                        help="passes of the convnet and the net it is compared with (default: %(default)s)")
    parser.add_argument("--batch-size", type=bounds.whole(1), default=128,
                        help="examples per step (default: %(default)s)")
    parser.add_argument("--seed", type=bounds.seed(dropout=True), default=1,
                        help="seed of weights, noise and the pixel shuffle (default: %(default)s)")
    parser.add_argument("--data-dir", metavar="DIR", help="folder of the MNIST files (default: see docs/data.md)")
    parser.add_argument("--output", metavar="PATH", default=RESULTS,
                        help="results file (default: results/takeaways.json)")
    parser.add_argument("--table", action="store_true",
                        help="print the table of docs/results.md from the results file, and stop")
    args = parser.parse_args()
    if args.ntrain < args.batch_size:
        parser.error(f"--ntrain {args.ntrain} is smaller than one batch (--batch-size {args.batch_size})")

    variants = read_results(args.output)
    if args.table:
        print(table(variants))
        return
    trX, teX, trY, teY = load.mnist(args.ntrain, args.ntest, onehot=True, data_dir=args.data_dir)
    # one fixed permutation of the 784 pixels, the same for every image, train and test
    shuffle = np.random.RandomState(args.seed).permutation(784)
    data = {"mnist": (trX, teX, trY, teY), "shuffled": (trX[:, shuffle], teX[:, shuffle], trY, teY)}
    print(f"takeaways: {len(trX)} training and {len(teX)} test images; {args.epochs} epochs, "
          f"{args.conv_epochs} for the convnet; results in {record.shown(os.path.abspath(args.output))}", flush=True)
    for name in VARIANTS:
        if name in variants and variants[name]["settings"] == settings(args, getattr(args, VARIANTS[name][-1])):
            print(f"{name}: recorded already, skipped", flush=True)
            continue
        print(f"{name}:", flush=True)
        run = record.start()
        variants[name] = {**train_variant(name, data, args), "run": record.finish(run)}
        write_results(args.output, variants)
        print(f"{name}: test accuracy {variants[name]['accuracy']:.4f} in {variants[name]['seconds']} s; "
              f"recorded", flush=True)
    print(table(variants))


if __name__ == "__main__":
    main()
