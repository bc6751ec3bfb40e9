"""A numbered script run in this process, as `python SCRIPT FLAGS` runs it, for the demos that
look at what it built: its own graph, its own compiled functions, never a copy of its model."""
import contextlib
import glob
import io
import os
import runpy
import signal
import sys

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = sorted(os.path.basename(path) for path in glob.glob(os.path.join(PROJECT, "[0-9]_*.py")))

# Scripts 2-5 load data and train; these flags make that take a second: no epoch, few images
# (more than one batch of training images, as the scripts ask).
NO_TRAINING = {"0_multiply.py": [], "1_linear_regression.py": ["--epochs", "0"]}


# The signals a training run handles itself (harness/training.py)
STOPS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def script_named(number_or_name):
    """'2' or '2_logistic_regression.py' -> '2_logistic_regression.py'."""
    for script in SCRIPTS:
        if number_or_name in (script, script[0]):
            return script
    raise ValueError(f"{number_or_name!r} is none of the scripts {', '.join(s[0] for s in SCRIPTS)}")


def run(script, *flags):
    """Run `script` with `flags` and no training (scripts 2-5 on a few hundred images), its printing
    kept out of sight, and return the names it defined: its graph, its theano.functions."""
    flags = NO_TRAINING.get(script, ["--epochs", "0", "--ntrain", "256", "--ntest", "128"]) + list(flags)
    argv = sys.argv
    handlers = {signum: signal.getsignal(signum) for signum in STOPS}
    sys.argv = [script] + flags
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return runpy.run_path(os.path.join(PROJECT, script), run_name="__main__")
    finally:
        sys.argv = argv
        for signum, handler in handlers.items():  # the run's own ways to stop end with it
            signal.signal(signum, handler)
