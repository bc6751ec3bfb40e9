"""What the twins share that is not the model: the project's folder on the import path,
the command line, the data, the line printed after each epoch and the weights file.
Neither JAX nor PyTorch is imported here; import it before either.

The twins take the flags of the scripts they copy that the model needs; --load-model
reads the weights file a script's --save-model writes (and --save-model writes one the
script reads), so a twin can go on from the Theano script's weights and back.
"""
import argparse
import os
import sys
import time

# PyTorch's idle OpenMP threads sleep instead of spinning, as the harness has Theano's: on a
# shared machine spinning threads take the cores from everything else. Read when torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402

import load  # noqa: E402
from common import bounds, talk  # noqa: E402
from common.epoch_line import epoch_line  # noqa: E402
from common.errors import LearnerError, ModelFileError  # noqa: E402


def _excepthook(kind, error, traceback):
    """Errors a user can fix get one paragraph, not a traceback, as in the scripts."""
    if issubclass(kind, KeyboardInterrupt):
        print("\nStopped by Ctrl-C; nothing was saved.", file=sys.stderr)
    elif issubclass(kind, LearnerError):
        print(f"error: {error}", file=sys.stderr)
    else:
        sys.__excepthook__(kind, error, traceback)


sys.excepthook = _excepthook


def parse_args(doc, **defaults):
    """The flags of a twin: --epochs, --lr and --seed where `defaults` gives them (name:
    default, as the script's own; seed=(default, what it chooses)), and with data=True
    those of the MNIST scripts."""
    parser = argparse.ArgumentParser(prog=os.path.basename(sys.argv[0]), description=doc)
    if "epochs" in defaults:
        parser.add_argument("--epochs", type=bounds.whole(0), default=defaults["epochs"],
                            help="passes over the training data (default: %(default)s)")
    if "lr" in defaults:
        parser.add_argument("--lr", type=bounds.positive, default=defaults["lr"],
                            help="learning rate (default: %(default)s)")
    if "seed" in defaults:
        seed, chosen = defaults["seed"]
        parser.add_argument("--seed", type=bounds.seed(), default=seed,
                            help=f"seed of the random numbers that choose {chosen}; same seed, same results "
                                 f"(default: %(default)s)")
    if defaults.get("data"):
        parser.add_argument("--batch-size", type=bounds.whole(1), default=128,
                            help="examples per gradient step (default: %(default)s)")
        parser.add_argument("--ntrain", type=bounds.whole(1), help="use the first N training images (default: all)")
        parser.add_argument("--ntest", type=bounds.whole(1), help="test on the first N test images (default: all)")
        parser.add_argument("--data-dir", metavar="DIR", help="folder holding the four MNIST files "
                                                              "(default: see docs/data.md)")
        parser.add_argument("--load-model", metavar="PATH", help="start from the weights in PATH, written by "
                                                                 "--save-model of this twin or of its Theano script")
        parser.add_argument("--save-model", metavar="PATH", help="write the learned weights to PATH (.npz)")
    args = parser.parse_args()
    folder = os.path.dirname(getattr(args, "save_model", None) or "") or os.curdir
    if not os.access(folder, os.W_OK) or not os.path.isdir(folder):  # found now, not after the training
        parser.error(f"--save-model {args.save_model}: {folder} is not a folder this program can write into")
    return args


class Run:
    """One training run of an MNIST twin: its flags, data, starting weights, epoch lines."""

    def __init__(self, doc, lr, dropout=False):
        """`dropout=True`: the model drops units at random, and --seed chooses that noise too."""
        seeded = "the starting weights (NumPy's, the Theano script's)" + \
            (" and the dropout noise (the framework's)" if dropout else "")
        self.args = parse_args(doc, epochs=100, lr=lr, data=True, seed=(1, seeded))
        self.script = os.path.basename(sys.argv[0])
        self.epoch, self.epoch_started, self.costs = 0, None, []
        np.random.seed(self.args.seed)  # the starting weights: the Theano script's for the same seed

    def mnist(self):
        """trX, teX, trY, teY as the Theano scripts have them: float32 pixels in [0, 1], one-hot labels."""
        a = self.args
        trX, teX, trY, teY = load.mnist(a.ntrain, a.ntest, data_dir=a.data_dir)
        print(f"{self.script}: {a.epochs} epochs, batch {a.batch_size}, lr {a.lr}, seed {a.seed}; "
              f"{len(trX)} training and {len(teX)} test images of mnist", flush=True)
        return trX, teX, trY, teY

    def weights(self, params):
        """`params` as float32 NumPy arrays, or those of --load-model in their place."""
        params = [np.asarray(p, dtype=np.float32) for p in params]
        if not self.args.load_model:
            return params
        path = self.args.load_model
        try:
            with np.load(path, allow_pickle=False) as saved:
                loaded = [saved[f"arr_{i}"] for i in range(len(saved.files))]
        except (OSError, ValueError, KeyError) as error:
            raise ModelFileError(f"The model file {path} cannot be read ({error}). Give a file written by "
                                 f"--save-model of this twin or of its Theano script.") from None
        if [w.shape for w in loaded] != [p.shape for p in params]:
            raise ModelFileError(f"The model file {path} holds weights of shapes {[w.shape for w in loaded]}, but "
                                 f"this model needs {[p.shape for p in params]}. Give a file written by "
                                 f"--save-model of this twin or of its Theano script.")
        return [w.astype(np.float32) for w in loaded]

    def batches(self, count):
        """The (start, end) of each mini-batch of one epoch over `count` training images, as
        the Theano scripts take them (common/talk.py); the epoch's clock started."""
        self.costs, self.epoch_started = [], time.time()
        return talk.batches(count, self.args.batch_size)

    def step(self, cost):
        """One training step done, whose cost is `cost`."""
        self.costs.append(cost)

    def report(self, accuracy):
        """One line for the epoch that just ended, as the Theano scripts print it."""
        self.epoch += 1
        print(epoch_line(self.epoch, float(accuracy), None, float(np.mean(self.costs)), time.time() - self.epoch_started),
              flush=True)

    def save(self, params):
        """Write --save-model, if given, as the Theano scripts write it."""
        if self.args.save_model:
            with open(self.args.save_model, "wb") as f:  # the name as given: np.savez adds .npz to a path
                np.savez(f, *[np.asarray(p) for p in params])
            print(f"saved the weights to {self.args.save_model}")
