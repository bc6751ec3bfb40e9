"""One training run: its flags, data, per-epoch report, and how it ends. However it ends
(its last epoch, Ctrl-C, SIGTERM, SIGHUP, an output no one reads, a cost gone to
infinity, memory run out), it prints its summary and keeps what was learned: see
docs/stopping.md."""
import errno
import os
import re
import resource
import signal
import sys
import time

import numpy as np
import theano

import load
from common.epoch_line import epoch_line
from common.errors import OutOfMemory, SettingError
from harness import machine
from harness.flags import flag, parse_args, program
from harness.model_file import load_params, save_params, save_params_elsewhere
from harness.progress import Compiling, epoch_bar, say
from common.jupyter_kernel import in_notebook

# How each stop is named; the run then exits with 128 + the signal's number, as a shell reports it.
STOPS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP (its terminal was closed)",
         signal.SIGPIPE: "a closed output (no one reads what it prints)"}


class Stopped(BaseException):
    """SIGTERM, SIGHUP or an output no one reads: ends the run as Ctrl-C does. Not an
    Exception, so that no `except Exception` on the way swallows it."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class Diverged(Exception):
    """The training cost, or the weights, of an epoch are not finite numbers."""

CHANCE = 0.10  # the test accuracy of guessing among ten classes
GUESSING_COST = float(np.log(10))  # the cross-entropy of guessing among ten classes: 2.30
OVERSHOOT = 100 * GUESSING_COST  # a training cost above it (230) says the steps overshoot


class Run:
    """Flags, data and the per-epoch report of one training script. The script owns its
    arrays and their shapes; the run receives what the script hands it and reports."""

    def __init__(self, doc, slides_accuracy, convolutions=False, dropout=False, **defaults):
        """`convolutions=True`: the program convolves, which Theano can only do in float32
        and in C; settings that rule it out are refused now, before the graph is built.
        `dropout=True`: the model drops units at random, and --seed chooses that noise too."""
        seeded = "the starting weights and the dropout noise" if dropout else "the starting weights"
        self.args = parse_args(doc, epochs=100, batch_size=128, seed=(1, seeded), dropout=dropout, data=True,
                               validation=True, model=True, figures=True, **defaults)
        self.slides_accuracy = slides_accuracy
        self.script = program(doc)
        machine.check(convolutions)
        self.accuracies, self.costs, self.validation_accuracies = [], [], []
        self.batches = None  # per epoch: set by mnist()
        self.compiling = Compiling()
        self.epoch_started = None  # set by progress()
        # The script's accuracy(X, Y) and its own (X, Y) sets, given to training()
        self.accuracy, self.test, self.validation = None, None, None
        self.doing = "preparing"  # then "training" and "evaluating" in turn each epoch, then "ending"
        self.params = None  # given to training()
        self.kept = None  # (epoch, copies of the weights) at the last epoch whose cost and weights were finite
        self.overshot = False  # whether an epoch's cost has passed OVERSHOOT, said once a run
        np.random.seed(self.args.seed)
        if not in_notebook():  # a kernel has its own ways to stop
            for signum in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, self._stop)

    def _stop(self, signum, frame):
        """SIGTERM or SIGHUP: stop as Ctrl-C does."""
        if self.doing == "ending":  # the save under way finishes; the run ends right after it
            return
        if self.doing == "preparing":
            said = f"\nStopped by {STOPS[signum]} before training began; nothing was learned or saved.\n"
            try:  # straight to the file: the signal may have come in the middle of a print
                os.write(sys.stderr.fileno(), said.encode())
            except OSError:
                pass
            raise SystemExit(128 + signum)
        raise Stopped(signum)

    def mnist(self):
        """The data as the talk's load.mnist gives it, for this run's flags, and the last
        --validation N training images held out of it: trX, vaX, teX, trY, vaY, teY
        (vaX and vaY are empty without --validation)."""
        a = self.args
        trX, teX, trY, teY = load.mnist(a.ntrain, a.ntest, onehot=True, data_dir=a.data_dir, dataset=a.dataset)
        kept = len(trX) - a.validation
        # the talk's zip(range, range) takes only batches that end before the last image
        if kept <= a.batch_size and a.validation:
            raise SettingError(f"--validation {a.validation} leaves {max(kept, 0)} of the {len(trX)} training "
                               f"images, not more than one batch ({flag(a, 'batch_size')}): the training loop "
                               f"takes only batches that end before the last image. Hold out fewer, e.g. "
                               f"--validation {len(trX) // 6}, or give a smaller --batch-size.")
        if kept <= a.batch_size:
            raise SettingError(f"{flag(a, 'batch_size')} is not less than the {len(trX)} training images of "
                               f"{a.dataset}: the training loop takes only batches that end before the last "
                               f"image. Give --batch-size {len(trX) - 1} or less (the talk's is 128).")
        held_out = f" (and {a.validation} held out for validation)" if a.validation else ""
        print(f"{self.script}: {a.epochs} epochs, batch {a.batch_size}, lr {a.lr}, seed {a.seed}; "
              f"{kept} training{held_out} and {len(teX)} test images of {a.dataset}", flush=True)
        self.batches = len(range(a.batch_size, kept, a.batch_size))  # as the talk's zip(range, range) gives
        self.compiling.start()  # what the script does next
        return trX[:kept], trX[kept:], teX, trY[:kept], trY[kept:], teY

    def training(self, params, accuracy, test, validation, responses=None):
        """The block the training loop runs in; see _Training. `accuracy(X, Y)` is the
        script's own measure, and `test` and `validation` its own (X, Y) sets: the test set
        for --epochs 0 and --figures, the validation set measured at each report. `responses()`, if given, returns the conv blocks'
        responses to a test digit, for --figures."""
        self.accuracy, self.test, self.validation, self.params = accuracy, test, validation, params
        return _Training(self, params, responses)

    def progress(self, costs):
        """The training costs of one epoch, from the loop that computes them; at a
        terminal, a progress bar meanwhile."""
        self.epoch_started = time.time()
        self.doing = "training"
        costs = epoch_bar(costs, self.batches, len(self.accuracies) + 1)
        self.doing = "evaluating"
        return costs

    def report(self, costs, accuracy):
        """One line for the epoch that just ended: the test accuracy the script measured,
        the accuracy on the validation set (if any images were held out) and the mean
        training cost. The epoch's weights are kept, unless they or the cost are not
        finite numbers: that ends the run (Diverged)."""
        validation = self.accuracy(*self.validation) if len(self.validation[0]) else None
        cost = float(np.mean(costs))
        line = epoch_line(len(self.accuracies) + 1, accuracy, validation, cost, time.time() - self.epoch_started)
        weights = [p.get_value() for p in self.params]  # copies: a few MB, once an epoch
        if not np.isfinite(cost) or not all(np.isfinite(w).all() for w in weights):
            say(line)
            raise Diverged(f"its training cost is {cost}" if not np.isfinite(cost) else
                           f"its weights hold infinite values or NaN (training cost {cost:.4g})")
        self.accuracies.append(float(accuracy))
        self.costs.append(cost)
        if validation is not None:  # last: never an epoch with a validation but no test accuracy
            self.validation_accuracies.append(float(validation))
        self.kept = (len(self.accuracies), weights)
        unread = say(line)
        if cost > OVERSHOOT and not self.overshot and not unread:
            self.overshot = True
            unread = say(f"{self.script}: the training cost of epoch {len(self.accuracies)} ({cost:.4g}) is more "
                         f"than 100 times what guessing costs ({GUESSING_COST:.2f}): the steps overshoot, so the "
                         f"learning rate ({flag(self.args, 'lr')}) is probably too large. Try one ten or a hundred "
                         "times smaller (--help shows the script's own).")
        if unread:
            raise Stopped(signal.SIGPIPE if unread.errno == errno.EPIPE else signal.SIGHUP)

    def _summary(self, seconds):
        if not self.accuracies:
            return f"no epoch finished ({seconds:.0f} s)"
        summary = f"{len(self.accuracies)} epochs in {seconds:.0f} s: test accuracy {self.accuracies[-1]:.4f} at the end"
        if self.validation_accuracies:
            chosen = int(np.argmax(self.validation_accuracies))
            summary += (f", {self.accuracies[chosen]:.4f} at epoch {chosen + 1} "
                        f"(chosen by validation accuracy, {self.validation_accuracies[chosen]:.4f})")
        else:  # chosen by looking at the test set itself, so it flatters
            best = int(np.argmax(self.accuracies))
            summary += f" ({self.accuracies[best]:.4f} at epoch {best + 1}, the best on the test set: optimistic)"
        if self.args.dataset == "mnist":
            summary += f"; the slides report {self.slides_accuracy:.3f} after 100 epochs of all 60000 images"
        if round(abs(self.accuracies[-1] - CHANCE), 4) <= 0.02 and self.costs[-1] > 2 * GUESSING_COST:
            summary += (f"\n{self.script}: {self.accuracies[-1]:.4f} is within 0.02 of chance ({CHANCE:.2f}), and the "
                        f"training cost ({self.costs[-1]:.4g}) is far above what guessing costs ({GUESSING_COST:.2f}): "
                        f"the steps overshoot, so the learning rate (--lr {self.args.lr:g}) is probably too large. "
                        "Try one ten or a hundred times smaller (--help shows the script's own).")
        elif round(abs(self.accuracies[-1] - CHANCE), 4) <= 0.02:  # a second line: not broken, only short
            summary += (f"\n{self.script}: {self.accuracies[-1]:.4f} is within 0.02 of chance ({CHANCE:.2f}): the "
                        "model has not started to learn yet (a convnet needs a few hundred steps). Try more images "
                        "(--ntrain), more epochs (--epochs) or a smaller --batch-size.")
        return summary


def out_of_memory(error):
    """What Theano or NumPy said when an allocation failed, or None if `error` is not that."""
    said = str(error).strip().splitlines()[0] if str(error).strip() else "a MemoryError"
    if isinstance(error, MemoryError) or isinstance(error, RuntimeError) and re.search(
            r"(?i)fail\w* to alloc|could not allocate|unable to allocate", said):
        return said
    return None


def _ending(error):
    """Whether `error` is one of the endings a run handles: a stop, a divergence, memory run out."""
    return isinstance(error, (KeyboardInterrupt, Stopped, Diverged)) or out_of_memory(error) is not None


def _asked(said):
    """How much an allocation that Theano describes by its shape asked for."""
    shape = re.search(r"\d+(?: x \d+)+", said)
    if not shape or "GiB" in said or "MiB" in said:  # NumPy says the size itself
        return ""
    size = np.prod([float(n) for n in shape.group(0).split(" x ")]) * np.dtype(theano.config.floatX).itemsize
    return f" ({size / 2**30:.2f} GiB of {theano.config.floatX})"


class _Training:
    """Loads --load-model on entry; on exit, however the training ended (docs/stopping.md),
    prints the summary and writes --save-model and --figures; in a notebook, shows the
    figures under the cell, with or without --figures. A stop then ends the script with
    status 128 + the signal's number (Ctrl-C: 130); a diverged cost, memory run out, or
    weights that went elsewhere than --save-model with status 1."""

    def __init__(self, run, params, responses):
        self.run, self.params, self.responses = run, params, responses
        self.start = None  # set on entry: the summary says how long the loop ran

    def __enter__(self):
        self.run.compiling.done()
        if self.run.args.load_model:
            load_params(self.run.args.load_model, self.params)
        self.start = time.time()
        self.run.doing = "training"
        return self.run

    def __exit__(self, kind, error, traceback):
        run, args = self.run, self.run.args
        evaluated = None
        if error is None and args.epochs == 0:
            run.doing = "evaluating"
            try:
                evaluated = run.accuracy(*run.test)
            except BaseException as caught:  # stopped, or out of memory: ends as a stopped training does
                if not _ending(caught):
                    raise
                error = caught
        if error is not None and not _ending(error):
            return False
        short_of_memory = out_of_memory(error)
        doing, epoch = run.doing, len(run.accuracies) + 1
        run.doing = "ending"  # from here a SIGTERM or SIGHUP waits: the weights are being written
        signum = signal.SIGINT if isinstance(error, KeyboardInterrupt) else getattr(error, "signum", None)
        if signum:  # said where it can be read: a closed output is standard output
            during = f"epoch {epoch}" if args.epochs else "the evaluation"
            say(f"\nStopped by {STOPS[signum]} during {during}; keeping what was learned so far.",
                sys.stderr if signum == signal.SIGPIPE else sys.stdout)
        if isinstance(error, Diverged) and run.kept:
            for p, kept in zip(self.params, run.kept[1]):
                p.set_value(kept)
        if evaluated is not None:
            say(f"{run.script}: evaluation only: test accuracy {evaluated:.4f}")
        elif args.epochs:
            say(f"{run.script}: {run._summary(time.time() - self.start)}")
        nothing_kept = isinstance(error, Diverged) and not run.kept
        saved = not args.save_model or nothing_kept or self.save()
        if (args.figures or in_notebook()) and not nothing_kept:  # after the weights: figures never cost them
            import figures
            from harness.predictions import probabilities_function
            probabilities_of = probabilities_function(run.accuracy)
            if probabilities_of is None:
                say(f"{run.script}: no pictures of the test set's mistakes: the accuracy(X, Y) it hands its run "
                    "does not call one predict = theano.function([X], T.argmax(py_x, axis=1)), whose "
                    "probabilities py_x they show (harness/predictions.py).")
            figures.write(args.figures, figures.draw(run, self.params, self.responses, probabilities_of))
        if isinstance(error, Diverged):
            raise SettingError(self.diverged(epoch, error.args[0])) from None
        if short_of_memory:
            raise OutOfMemory(self.out_of_memory(short_of_memory, doing, epoch, saved)) from None
        if not in_notebook():  # in a notebook the cell just ends
            if signum:
                raise SystemExit(128 + signum)
            if not saved:
                raise SystemExit(1)
        return signum is not None

    def diverged(self, epoch, what):
        """The paragraph for a cost (or weights) gone to infinity or NaN in `epoch`."""
        run, args = self.run, self.run.args
        if run.kept:
            kept = (f"The weights of epoch {run.kept[0]}, the last whose cost was finite, are kept"
                    + (f" in {args.save_model}" if args.save_model else "") + (" and drawn" if args.figures else ""))
        else:
            kept = "No epoch ended with a finite cost, so nothing is kept" + (
                f": {args.save_model} is not written" if args.save_model else "")
        return (f"Training diverged in epoch {epoch}: {what}, so the run stops here. The learning rate, "
                f"{flag(args, 'lr')}, is probably too large: each step overshoots and the weights grow without "
                f"bound. Try the script's own, --lr {args.defaults['lr']:g}, or ten times smaller steps from yours "
                f"until the training cost falls from epoch to epoch. {kept}.")

    def out_of_memory(self, said, doing, epoch, saved):
        """The paragraph for memory run out while `doing` (training, evaluating) `epoch`."""
        run, args = self.run, self.run.args
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            where, more = "the memory this machine has free", "close other programs"
        else:
            where, more = (f"the {limit / 2**30:.1f} GiB this process may use (ulimit -v)",
                           "close other programs or raise that limit")
        if doing == "training":
            what = (f"training epoch {epoch}", f"take fewer images per step: {flag(args, 'batch_size')} is a "
                                              f"batch's size, try --batch-size {max(args.batch_size // 4, 1)}")
        else:
            images = f"{len(run.test[0])} test images" + (
                f" and {args.validation} validation images" if args.validation else "")
            what = (f"evaluating {'the loaded weights' if not args.epochs else f'epoch {epoch}'} on {images}",
                    f"evaluate fewer images: the talk's evaluation predicts them all at once, so give e.g. "
                    f"--ntest {max(len(run.test[0]) // 5, 1)}" + (" or a smaller --validation" if args.validation
                                                                        else ""))
        if not args.save_model:
            kept = "Without --save-model the weights are not kept."
        elif saved:
            kept = f"What was learned until then is saved in {args.save_model}."
        else:
            kept = "What was learned until then is in the file named above."
        return (f"Out of memory while {what[0]}: {said}{_asked(said)}, more than is left of {where}. "
                f"To fit, {what[1]}; or {more}. {kept}")

    def save(self):
        """Write --save-model; if that fails (a full disk, a folder gone), keep the weights
        in a new file elsewhere and say where. Returns whether --save-model was written."""
        path = self.run.args.save_model
        try:
            save_params(path, self.params)
        except OSError as error:
            reason = f"{error.strerror}: {error.filename}" if error.filename else error.strerror or error
            elsewhere = save_params_elsewhere(os.path.splitext(self.run.script)[0], self.params,
                                              f"--save-model {path}: {reason}")
            say(f"error: could not write --save-model {path} ({reason}); "
                f"the weights are in {elsewhere} instead (--load-model reads it).", sys.stderr)
            return False
        say(f"saved the weights to {path}")
        return True
