"""One training run: its flags, data, per-epoch report, and what it writes when it ends."""
import os
import sys
import time

import numpy as np

import load
from harness import machine
from harness.flags import in_notebook, parse_args, program
from harness.model_file import load_params, save_params, save_params_elsewhere
from harness.progress import Compiling, epoch_bar
from harness.theano_defaults import SettingsError

CHANCE = 0.10  # the test accuracy of guessing among ten classes


class Run:
    """Flags, data and the per-epoch report of one training script. The script owns its
    arrays and their shapes; the run receives what the script hands it and reports."""

    def __init__(self, doc, slides_accuracy, convolutions=False, **defaults):
        """`convolutions=True`: the program convolves, which Theano can only do in float32
        and in C; settings that rule it out are refused now, before the graph is built."""
        self.args = parse_args(doc, epochs=100, batch_size=128, seed=1, data=True, model=True, figures=True,
                               **defaults)
        self.slides_accuracy = slides_accuracy
        self.script = program(doc)
        machine.check(convolutions)
        self.accuracies, self.costs, self.validation_accuracies = [], [], []
        self.batches = None  # per epoch: set by mnist()
        self.compiling = Compiling()
        self.epoch_started = None  # set by progress()
        # The script's accuracy(X, Y) and its own (X, Y) sets, given to training()
        self.accuracy, self.test, self.validation = None, None, None
        np.random.seed(self.args.seed)

    def mnist(self):
        """The data as the talk's load.mnist gives it, for this run's flags, and the last
        --validation N training images held out of it: trX, vaX, teX, trY, vaY, teY
        (vaX and vaY are empty without --validation)."""
        a = self.args
        trX, teX, trY, teY = load.mnist(a.ntrain, a.ntest, onehot=True, data_dir=a.data_dir, dataset=a.dataset)
        kept = len(trX) - a.validation
        if kept < a.batch_size:
            raise SettingsError(f"--validation {a.validation} leaves {max(kept, 0)} of the {len(trX)} training "
                                f"images, less than one batch of {a.batch_size}. Hold out fewer, e.g. "
                                f"--validation {len(trX) // 6}.")
        held_out = f" (and {a.validation} held out for validation)" if a.validation else ""
        print(f"{self.script}: {a.epochs} epochs, batch {a.batch_size}, lr {a.lr}, seed {a.seed}; "
              f"{kept} training{held_out} and {len(teX)} test images of {a.dataset}", flush=True)
        self.batches = len(range(a.batch_size, kept, a.batch_size))  # as the talk's zip(range, range) gives
        self.compiling.start()  # what the script does next
        return trX[:kept], trX[kept:], teX, trY[:kept], trY[kept:], teY

    def training(self, params, accuracy, test, validation, responses=None):
        """The block the training loop runs in; see _Training. `accuracy(X, Y)` is the
        script's own measure, and `test` and `validation` its own (X, Y) sets: each epoch
        reports the measure on them. `responses()`, if given, returns the conv blocks'
        responses to a test digit, for --figures."""
        self.accuracy, self.test, self.validation = accuracy, test, validation
        return _Training(self, params, responses)

    def progress(self, costs):
        """The training costs of one epoch, from the loop that computes them; at a
        terminal, a progress bar meanwhile."""
        self.epoch_started = time.time()
        return epoch_bar(costs, self.batches, len(self.accuracies) + 1)

    def report(self, costs):
        """One line for the epoch that just ended: the script's accuracy on its test set
        (and its validation set, if any images were held out) and the mean training cost."""
        accuracy = self.accuracy(*self.test)
        validation = self.accuracy(*self.validation) if len(self.validation[0]) else None
        self.accuracies.append(float(accuracy))
        self.costs.append(float(np.mean(costs)))
        if validation is not None:  # last: never an epoch with a validation but no test accuracy
            self.validation_accuracies.append(float(validation))
        shown = "" if validation is None else f"validation accuracy {validation:.4f}  "
        print(f"epoch {len(self.accuracies):3d}  test accuracy {accuracy:.4f}  {shown}"
              f"train cost {self.costs[-1]:.4f}  {time.time() - self.epoch_started:7.2f} s", flush=True)

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
        if round(abs(self.accuracies[-1] - CHANCE), 4) <= 0.02:  # a second line: not broken, only short
            summary += (f"\n{self.script}: {self.accuracies[-1]:.4f} is within 0.02 of chance ({CHANCE:.2f}): the "
                        "model has not started to learn yet (a convnet needs a few hundred steps). Try more images "
                        "(--ntrain), more epochs (--epochs) or a smaller --batch-size.")
        return summary


class _Training:
    """Loads --load-model on entry; on exit (also by Ctrl-C) prints the summary,
    writes --save-model and --figures; in a notebook, shows the figures under the cell,
    with or without --figures. Ctrl-C then ends the script with status 130, weights
    that went elsewhere than --save-model with status 1."""

    def __init__(self, run, params, responses):
        self.run, self.params, self.responses = run, params, responses

    def __enter__(self):
        self.run.compiling.done()
        if self.run.args.load_model:
            load_params(self.run.args.load_model, self.params)
        self.start = time.time()
        return self.run

    def __exit__(self, kind, error, traceback):
        run, args = self.run, self.run.args
        interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)
        if kind is not None and not interrupted:
            return False
        if interrupted:
            print(f"\nStopped by Ctrl-C during epoch {len(run.accuracies) + 1}; "
                  "keeping what was learned so far.", flush=True)
        if args.epochs == 0:
            print(f"{run.script}: evaluation only: test accuracy {run.accuracy(*run.test):.4f}", flush=True)
        else:
            print(f"{run.script}: {run._summary(time.time() - self.start)}", flush=True)
        saved = not args.save_model or self.save()
        if args.figures or in_notebook():  # after the weights: figures that cannot be drawn never cost them
            import figures
            figures.write(args.figures, figures.draw(run, self.params, self.responses))
        if not in_notebook():  # in a notebook the cell just ends
            if interrupted:
                raise SystemExit(130)
            if not saved:
                raise SystemExit(1)
        return interrupted

    def save(self):
        """Write --save-model; if that fails (a full disk, a folder gone), keep the weights
        in a new file elsewhere and say where. Returns whether --save-model was written."""
        path = self.run.args.save_model
        try:
            save_params(path, self.params)
        except OSError as error:
            elsewhere = save_params_elsewhere(os.path.splitext(self.run.script)[0], self.params)
            reason = f"{error.strerror}: {error.filename}" if error.filename else error.strerror or error
            print(f"error: could not write --save-model {path} ({reason}); "
                  f"the weights are in {elsewhere} instead (--load-model reads it).", file=sys.stderr, flush=True)
            return False
        print(f"saved the weights to {path}", flush=True)
        return True
