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

The nets are 4_modern_net.py's own model, the convnet 5_convolutional_net.py's: for each
variant the script is run anew without training (demos/_scripts.py), with --seed, so every
variant starts from the same weights, and its graph is changed in the one way the variant
names. The baseline is 784-625-625-10 rectifiers, dropout 0.2 on the input and 0.5 on the
hidden layers, RMSprop at lr 0.001, batches of 128, in order. To
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
sys.path[:0] = [REPO, os.path.join(REPO, "demos")]
import harness  # noqa: E402, F401  before theano: sets this project's Theano defaults
import _scripts  # noqa: E402
import load  # noqa: E402
import measured  # noqa: E402
import record  # noqa: E402
from common import bounds, talk  # noqa: E402
from common.errors import DataError, PathError  # noqa: E402
import numpy as np  # noqa: E402
import theano  # noqa: E402
from theano import tensor as T  # noqa: E402

RESULTS = os.path.join(REPO, "results", "takeaways.json")
NET, CONVNET = "4_modern_net.py", "5_convolutional_net.py"

# name: (the script whose model it trains, the one change made to that model, pixels, epochs flag)
VARIANTS = {
    "modern net": (NET, None, "mnist", "epochs"),
    "no dropout": (NET, "no dropout", "mnist", "epochs"),
    "sigmoid": (NET, "sigmoid", "mnist", "epochs"),
    "plain SGD": (NET, "plain SGD", "mnist", "epochs"),
    "16 hidden units": (NET, "16 hidden units", "mnist", "epochs"),
    "modern net, short": (NET, None, "mnist", "conv_epochs"),
    "modern net, short, shuffled pixels": (NET, None, "shuffled", "conv_epochs"),
    "convnet": (CONVNET, None, "mnist", "conv_epochs"),
    "convnet, shuffled pixels": (CONVNET, None, "shuffled", "conv_epochs"),
}


def sigmoid_net(X, params, p_drop_input, p_drop_hidden, dropout, softmax):
    """4_modern_net.py's model with sigmoid hidden units in place of its rectifiers."""
    w_h, w_h2, w_o = params
    h = dropout(T.nnet.sigmoid(T.dot(dropout(X, p_drop_input), w_h)), p_drop_hidden)
    return softmax(T.dot(dropout(T.nnet.sigmoid(T.dot(h, w_h2)), p_drop_hidden), w_o))


def variant(name, args):
    """The train and predict functions of a variant: its script run anew without training, with
    the same --seed (the same starting weights and noise), and the variant's one change made to
    the model it built, with the script's own functions."""
    script, change, _, _ = VARIANTS[name]
    net = _scripts.run(script, "--seed", str(args.seed), *(["--data-dir", args.data_dir] if args.data_dir else []))
    if change is None:
        return net["train"], net["predict"]
    X, Y, params, cost = net["X"], net["Y"], net["params"], net["cost"]
    py_x = net["py_x"]
    if change == "no dropout":  # trained on the clean model it predicts with
        cost = T.mean(T.nnet.categorical_crossentropy(py_x, Y))
    elif change in ("sigmoid", "16 hidden units"):
        if change == "16 hidden units":
            np.random.seed(args.seed)
            params = [net["init_weights"](shape) for shape in ((784, 16), (16, 16), (16, 10))]
            noisy, clean = (net["model"](X, *params, *noise)[-1] for noise in ((0.2, 0.5), (0., 0.)))
        else:
            noisy, clean = (sigmoid_net(X, params, *noise, net["dropout"], net["softmax"])
                            for noise in ((0.2, 0.5), (0., 0.)))
        cost, py_x = T.mean(T.nnet.categorical_crossentropy(noisy, Y)), clean
    # the talk's plain SGD (3_net.py) at its learning rate, or the script's RMSprop
    updates = [(p, p - g * 0.05) for p, g in zip(params, T.grad(cost, params))] if change == "plain SGD" else \
        net["RMSprop"](cost, params)
    train = theano.function(inputs=[X, Y], outputs=cost, updates=updates, allow_input_downcast=True)
    return train, theano.function(inputs=[X], outputs=T.argmax(py_x, axis=1), allow_input_downcast=True)


def train_variant(name, data, args):
    """Train one variant from the same seed; return its record: test accuracy after the first
    epoch and at the end, and accuracy on its own training images at the end."""
    script, _, pixels, epochs_flag = VARIANTS[name]
    trX, teX, trY, teY = data[pixels]
    if talk.MODELS[talk.model(script)] == "filters":  # the images as the convnet takes them, 28x28
        trX, teX = trX.reshape(-1, 1, 28, 28), teX.reshape(-1, 1, 28, 28)
    train, predict = variant(name, args)

    def accuracy(X, Y):
        return float(np.mean(np.argmax(Y, axis=1) == np.concatenate(
            [predict(X[i:i + 1000]) for i in range(0, len(X), 1000)])))

    epochs = getattr(args, epochs_flag)
    start = time.time()
    for epoch in range(epochs):
        costs = [train(trX[begin:end], trY[begin:end]) for begin, end in talk.batches(len(trX), args.batch_size)]
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
    if not talk.batches(args.ntrain, args.batch_size):
        parser.error(f"--ntrain {args.ntrain} is not more than one batch (--batch-size {args.batch_size}): the "
                     f"training loop takes only batches that end before the last image")

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
