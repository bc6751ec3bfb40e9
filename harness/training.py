"""One training run: its flags, its data, each epoch's batches and report, and how it ends.
However it ends (its last epoch, Ctrl-C, SIGTERM, SIGHUP, an output no one reads, a cost
gone to infinity, memory run out), it prints its summary and keeps what was learned: see
docs/stopping.md. What it says is worded in harness/messages.py; this module decides when."""
import errno
import os
import re
import resource
import signal
import sys
import time
from typing import NamedTuple

import numpy as np
import theano

import load
from common import talk
from common.epoch_line import epoch_line
from common.errors import OutOfMemory, SettingError
from common.jupyter_kernel import in_notebook
from common.stops import HANDLED
from harness import machine, messages
from harness.flags import flag, parse_args, program
from harness.model_file import load_params, save_params, save_params_elsewhere
from harness.progress import Compiling, EpochBar, say

OVERSHOOT = 100 * messages.GUESSING_COST  # a training cost above it (230) says the steps overshoot


class Stopped(BaseException):
    """SIGTERM, SIGHUP or an output no one reads: ends the run as Ctrl-C does. Not an
    Exception, so that no `except Exception` on the way swallows it."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class Diverged(Exception):
    """The training cost, or the weights, of an epoch are not finite numbers."""


class Model(NamedTuple):
    """What a script hands its run in training()."""
    params: list  # its weights, shared variables, the first layer's first
    predict: object  # its predict(X): the class of each image, as a theano.function
    test: tuple  # its test set (X, Y), the images in the shape its model takes
    X: object  # its model's input and probabilities, symbolic: what the pictures and demos/draw.py show
    py_x: object
    responses: object  # a convnet's responses(): its blocks' responses to a test image; else None


class Ending(NamedTuple):
    """How a training ended, as __exit__ found it."""
    signum: object  # the stop's signal (Ctrl-C: SIGINT), or None
    diverged: object  # the Diverged error, or None
    short_of_memory: object  # what Theano or NumPy said when memory ran out, or None
    doing: str  # "training" or "evaluating" when it ended
    epoch: int  # the epoch under way; 0 in a run that only evaluates (--epochs 0)
    evaluated: object  # the test accuracy of a run that only evaluates, or None


class Run:
    """One training script's run, and the only owner of its state: the flags, the held-out
    images, the model the script hands over, each epoch's numbers, what the run is doing.
    The script owns its arrays and their shapes; the run receives what the script hands it,
    reports, and ends the run (a context manager: `with run.training(...)`)."""

    def __init__(self, doc, model, slides_accuracy, dropout=False, **defaults):
        """`model`: the name of the model the script builds, one of common/talk.py's MODELS; a
        convolutional one needs float32 and C, so settings that rule it out are refused now,
        before the graph is built. `dropout=True`: the model drops units at random, and --seed
        chooses that noise too."""
        if model not in talk.MODELS:
            raise SettingError(messages.unknown_model(model, list(talk.MODELS)))
        seeded = "the starting weights and the dropout noise" if dropout else "the starting weights"
        self.args = parse_args(doc, epochs=100, batch_size=128, seed=(1, seeded), dropout=dropout, data=True,
                               validation=True, model=True, figures=True, **defaults)
        self.script, self.name, self.slides_accuracy = program(doc), model, slides_accuracy
        machine.check(convolutions=talk.MODELS[model] == "filters")
        self.validation = None  # the --validation images (X, Y), held out by mnist()
        self.model = None  # what the script hands training()
        self.accuracies, self.costs, self.validation_accuracies = [], [], []  # one of each per epoch
        self.epoch_costs = []  # the costs of this epoch's batches, from step()
        self.epoch_started = None  # set by batches()
        self.started = None  # when the training began, set on entering it
        self.kept = None  # (epoch, copies of the weights) at the last epoch whose cost and weights were finite
        self.overshot = False  # whether an epoch's cost has passed OVERSHOOT, said once a run
        self.doing = "preparing"  # then "training" and "evaluating" in turn, then "ending": changed by _now() only
        self.compiling = Compiling()
        self.compiled_probabilities = None  # the model's probabilities as a function, compiled on first use
        np.random.seed(self.args.seed)
        if not in_notebook():  # a kernel has its own ways to stop
            for signum in HANDLED:
                signal.signal(signum, self._stop)

    def _now(self, doing):
        """What the run is doing from now on, which its stops and its ending read."""
        self.doing = doing

    def _stop(self, signum, frame):
        """SIGTERM or SIGHUP: stop as Ctrl-C does."""
        if self.doing == "ending":  # the save under way finishes; the run ends right after it
            return
        if self.doing == "preparing":
            try:  # straight to the file: the signal may have come in the middle of a print
                os.write(sys.stderr.fileno(), messages.stopped_before_training(signum).encode())
            except OSError:
                pass
            raise SystemExit(128 + signum)
        raise Stopped(signum)

    def mnist(self):
        """The data as the talk's load.mnist gives it, for this run's flags: trX, teX, trY, teY.
        With --validation N the last N training images are held out of trX and trY: the run
        measures the model on them at each report."""
        a = self.args
        trX, teX, trY, teY = load.mnist(a.ntrain, a.ntest, onehot=True, data_dir=a.data_dir, dataset=a.dataset)
        kept = len(trX) - a.validation
        if not talk.batches(kept, a.batch_size) and a.validation:
            raise SettingError(messages.too_many_held_out(a.validation, kept, len(trX), flag(a, "batch_size")))
        if not talk.batches(kept, a.batch_size):
            raise SettingError(messages.batch_too_large(flag(a, "batch_size"), len(trX), a.dataset))
        print(messages.settings(self.script, a, kept, a.validation, len(teX)), flush=True)
        self.validation = (trX[kept:], trY[kept:])
        self.compiling.start()  # what the script does next
        return trX[:kept], teX, trY[:kept], teY

    def training(self, params, predict, test, graph, responses=None):
        """The run, to train in: `with run.training(...)` loads --load-model on entering and
        ends the run on leaving (__exit__). The script hands over its weights `params`, its
        `predict` function, its `test` set (X, Y) in its own shape, its model's `graph` as
        (X, py_x), the input and the probabilities, and for a convnet `responses()`, its
        blocks' responses to a test image."""
        self.model = Model(params, predict, test, *graph, responses)
        return self

    def batches(self, count):
        """The (start, end) of each mini-batch of one epoch over `count` training images, as
        the talk's loop takes them (common/talk.py); at a terminal, a bar meanwhile."""
        pairs = talk.batches(count, self.args.batch_size)
        self.epoch_costs = []
        self.epoch_started = time.time()
        self._now("training")
        bar = EpochBar(len(pairs), len(self.accuracies) + 1)
        try:
            for pair in pairs:
                yield pair
                bar.advance(self.epoch_costs[-1] if self.epoch_costs else 0.0)
        finally:
            bar.close()
        self._now("evaluating")

    def step(self, cost):
        """One training step done, whose cost is `cost`: the epoch's mean cost is reported."""
        self.epoch_costs.append(cost)

    def report(self, accuracy):
        """One line for the epoch that just ended: the test `accuracy` the script measured,
        the accuracy on the held-out images (with --validation) and the mean training cost.
        The epoch's weights are kept, unless they or the cost are not finite numbers: that
        ends the run (Diverged)."""
        images, labels = self.validation
        validation = self._accuracy(self._shaped(images), labels) if len(images) else None
        cost = float(np.mean(self.epoch_costs))
        epoch = len(self.accuracies) + 1
        line = epoch_line(epoch, accuracy, validation, cost, time.time() - self.epoch_started)
        weights = [p.get_value() for p in self.model.params]  # copies: a few MB, once an epoch
        if not np.isfinite(cost) or not all(np.isfinite(w).all() for w in weights):
            say(line)
            raise Diverged(messages.not_finite(cost))
        self.accuracies.append(float(accuracy))
        self.costs.append(cost)
        if validation is not None:  # last: never an epoch with a validation but no test accuracy
            self.validation_accuracies.append(float(validation))
        self.kept = (epoch, weights)
        unread = say(line)
        if cost > OVERSHOOT and not self.overshot and not unread:
            self.overshot = True
            unread = say(messages.overshooting(self.script, epoch, cost, flag(self.args, "lr")))
        if unread:
            raise Stopped(signal.SIGPIPE if unread.errno == errno.EPIPE else signal.SIGHUP)

    def _accuracy(self, images, onehot):
        """The share of `images` the script's predict gets right, measured as the talk's loop prints it."""
        return np.mean(np.argmax(onehot, axis=1) == self.model.predict(images))

    def _shaped(self, images):
        """Images in the shape the script's model takes: that of its test images."""
        return np.reshape(images, (-1,) + self.model.test[0].shape[1:])

    def probabilities(self, images):
        """The model's ten probabilities for each of `images` (28x28 pictures or rows of 784
        pixels), from the py_x the script handed over: its own graph, compiled on first use."""
        if self.compiled_probabilities is None:
            self.compiled_probabilities = theano.function([self.model.X], self.model.py_x,
                                                          allow_input_downcast=True)
        return self.compiled_probabilities(self._shaped(images))

    def pictures(self):
        """The pictures of this run, {file name: figure or text} for figures.write()."""
        import figures
        images, onehot = self.model.test
        return figures.draw(figures.Trained(
            self.script, self.name, self.args.dataset, self.args.seed, self.args.load_model,
            self.slides_accuracy if self.args.dataset == "mnist" else None,
            self.accuracies, self.costs, self.validation_accuracies, self.model.params[0].get_value(),
            images, np.argmax(onehot, axis=1), self.probabilities(images),
            self.model.responses() if self.model.responses is not None else None))

    # The run's end, in the order it happens: __enter__ begins it; __exit__ finds how the
    # training ended, says so, keeps, saves, draws and exits.

    def __enter__(self):
        self.compiling.done()
        if self.args.load_model:
            load_params(self.args.load_model, self.model.params)
        self.started = time.time()
        self._now("training")
        return self

    def __exit__(self, kind, error, traceback):
        """However the training ended (docs/stopping.md): print how and the summary, keep the
        last finite weights, write --save-model and --figures (in a notebook, show the
        pictures under the cell), then end: a stop with status 128 + the signal's number
        (Ctrl-C: 130); a diverged cost, memory run out, or weights that went elsewhere than
        --save-model with status 1."""
        evaluated = None
        if error is None and self.args.epochs == 0:
            evaluated, error = self._evaluate()
        if error is not None and not _handled(error):
            return False  # not an ending: Python shows it
        ending = self._ending(error, evaluated)
        self._say(ending)
        self._keep(ending)
        saved = self._save(ending)
        self._draw(ending)
        return self._exit(ending, saved)

    def _evaluate(self):
        """--epochs 0: the test accuracy of the loaded weights, or the error that stopped it."""
        self._now("evaluating")
        try:
            return self._accuracy(*self.model.test), None
        except BaseException as caught:  # stopped, or out of memory: ends as a stopped training does
            if not _handled(caught):
                raise
            return None, caught

    def _ending(self, error, evaluated):
        signum = signal.SIGINT if isinstance(error, KeyboardInterrupt) else getattr(error, "signum", None)
        ending = Ending(signum=signum, diverged=error if isinstance(error, Diverged) else None,
                        short_of_memory=out_of_memory(error), doing=self.doing,
                        epoch=len(self.accuracies) + 1 if self.args.epochs else 0, evaluated=evaluated)
        self._now("ending")  # from here a SIGTERM or SIGHUP waits: the weights are being written
        return ending

    def _say(self, ending):
        if ending.signum:  # said where it can be read: a closed output is standard output
            say(messages.stopped(ending.signum, ending.epoch),
                sys.stderr if ending.signum == signal.SIGPIPE else sys.stdout)
        if ending.evaluated is not None:
            say(messages.evaluated(self.script, ending.evaluated))
        elif self.args.epochs:
            say(self._summary())

    def _summary(self):
        """The summary line, and a second line where the last accuracy is near chance."""
        seconds, accuracies, costs = time.time() - self.started, self.accuracies, self.costs
        validation = self.validation_accuracies
        chosen = int(np.argmax(validation)) if validation else int(np.argmax(accuracies)) if accuracies else None
        slides = self.slides_accuracy if self.args.dataset == "mnist" else None
        said = messages.summary(self.script, seconds, accuracies, chosen, validation, slides)
        if accuracies and round(abs(accuracies[-1] - messages.CHANCE), 4) <= 0.02:
            if costs[-1] > 2 * messages.GUESSING_COST:
                return said + "\n" + messages.at_chance_overshooting(self.script, accuracies[-1], costs[-1],
                                                                     self.args.lr)
            return said + "\n" + messages.at_chance_starting(self.script, accuracies[-1])  # only short
        return said

    def _nothing_kept(self, ending):
        return ending.diverged is not None and not self.kept

    def _keep(self, ending):
        """A diverged run keeps the weights of its last finite epoch."""
        if ending.diverged is not None and self.kept:
            for p, kept in zip(self.model.params, self.kept[1]):
                p.set_value(kept)

    def _save(self, ending):
        """Write --save-model; if that fails (a full disk, a folder gone), keep the weights
        in a new file elsewhere and say where. Returns whether nothing was lost."""
        path = self.args.save_model
        if not path or self._nothing_kept(ending):
            return True
        try:
            save_params(path, self.model.params)
        except OSError as error:
            reason = f"{error.strerror}: {error.filename}" if error.filename else error.strerror or error
            elsewhere = save_params_elsewhere(os.path.splitext(self.script)[0], self.model.params,
                                              f"--save-model {path}: {reason}")
            say(messages.saved_elsewhere(path, reason, elsewhere), sys.stderr)
            return False
        say(messages.saved(path))
        return True

    def _draw(self, ending):
        """--figures, and in a notebook the pictures under the cell: after the weights, so that
        drawing never costs them."""
        if (self.args.figures or in_notebook()) and not self._nothing_kept(ending):
            import figures
            figures.write(self.args.figures, self.pictures())

    def _exit(self, ending, saved):
        args = self.args
        if ending.diverged is not None:
            raise SettingError(messages.diverged(ending.epoch, ending.diverged.args[0], flag(args, "lr"),
                                                 args.defaults["lr"], self.kept and self.kept[0], args.save_model,
                                                 args.figures)) from None
        if ending.short_of_memory:
            limit = resource.getrlimit(resource.RLIMIT_AS)[0]
            raise OutOfMemory(messages.out_of_memory(
                ending.short_of_memory, _asked(ending.short_of_memory), None if limit == resource.RLIM_INFINITY
                else limit, ending.doing, ending.epoch, flag(args, "batch_size"), max(args.batch_size // 4, 1),
                len(self.model.test[0]), args.validation, args.save_model, saved)) from None
        if not in_notebook():  # in a notebook the cell just ends
            if ending.signum:
                raise SystemExit(128 + ending.signum)
            if not saved:
                raise SystemExit(1)
        return ending.signum is not None


def out_of_memory(error):
    """What Theano or NumPy said when an allocation failed, or None if `error` is not that."""
    said = str(error).strip().splitlines()[0] if str(error).strip() else "a MemoryError"
    if isinstance(error, MemoryError) or isinstance(error, RuntimeError) and re.search(
            r"(?i)fail\w* to alloc|could not allocate|unable to allocate", said):
        return said
    return None


def _handled(error):
    """Whether `error` is one of the endings a run handles: a stop, a divergence, memory run out."""
    return isinstance(error, (KeyboardInterrupt, Stopped, Diverged)) or out_of_memory(error) is not None


def _asked(said):
    """How much an allocation that Theano describes by its shape asked for."""
    shape = re.search(r"\d+(?: x \d+)+", said)
    if not shape or "GiB" in said or "MiB" in said:  # NumPy says the size itself
        return ""
    size = np.prod([float(n) for n in shape.group(0).split(" x ")]) * np.dtype(theano.config.floatX).itemsize
    return f" ({size / 2**30:.2f} GiB of {theano.config.floatX})"
