"""What a person at a terminal sees while a script works: how long Theano took to
compile the model, then a bar over each epoch's batches. Only when standard error is a
terminal: in pipes, logs and tests the output stays the epoch lines alone."""
import errno
import os
import sys
import time

from tqdm import tqdm

BAR = "{desc}: {n_fmt}/{total_fmt} batches |{bar}| {rate_inv_fmt}, {remaining} left{postfix}"


def say(text, file=None, end="\n"):
    """Print a line now. Returns None, or the error if no one can read it any more (a pipe
    whose reader ended, a terminal that hung up): that stream then goes to /dev/null, so
    that nothing printed later stops what the program still has to do."""
    file = file or sys.stdout
    try:
        print(text, file=file, end=end, flush=True)
    except OSError as error:
        if error.errno not in (errno.EPIPE, errno.EIO):
            raise
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, file.fileno())
        os.close(nowhere)
        return error
    return None


def at_terminal():
    return sys.stderr.isatty()


class Compiling:
    """Says that Theano is compiling, then how long it took."""

    def __init__(self):
        self.started = None  # set by start()

    def start(self):
        self.started = time.time()
        if at_terminal():
            say("compiling the model with Theano (C code, cached for later runs) ...", sys.stderr, end="")

    def done(self):
        if at_terminal():
            say(f" {time.time() - self.started:.1f} s", sys.stderr)


class EpochBar:
    """At a terminal, a bar over one epoch's batches: batches done, seconds per batch, time
    left and the running mean cost; elsewhere nothing is shown."""

    def __init__(self, batches, epoch):
        self.bar = tqdm(total=batches, desc=f"epoch {epoch:3d}", bar_format=BAR, leave=False, file=sys.stderr,
                        unit="batch") if at_terminal() else None
        self.done, self.total = 0, 0.0

    def advance(self, cost):
        """One batch done, whose training cost was `cost`."""
        if self.bar is None:
            return
        self.done += 1
        self.total += float(cost)
        self.bar.set_postfix_str(f"train cost {self.total / self.done:.4f}", refresh=False)
        self.bar.update()

    def close(self):
        if self.bar is not None:
            self.bar.close()
