"""A numbered script run in this process, as `python SCRIPT FLAGS` runs it, for the demos that
look at what it built: its own graph, its own compiled functions, never a copy of its model."""
import contextlib
import io
import os
import runpy
import signal
import sys

import _project  # noqa: F401  the project's folder on the import path
from common import stops, talk

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = talk.PROGRAMS

# Scripts 2-5 load data and train; these flags make that take a second: no epoch, few images
# (more than one batch of training images, as the scripts ask).
NO_TRAINING = {"0_multiply.py": [], "1_linear_regression.py": ["--epochs", "0"]}


def script_named(number_or_name):
    """'2' or '2_logistic_regression.py' -> '2_logistic_regression.py'."""
    for script in SCRIPTS:
        if number_or_name in (script, script[0]):
            return script
    raise ValueError(f"{number_or_name!r} is none of the scripts {', '.join(s[0] for s in SCRIPTS)}")


def run(script, *flags, quick=True, quiet=True):
    """Run `script` with `flags` and return the names it defined: its graph, its theano.functions,
    its run. `quick`: no training, scripts 2-5 on a few hundred images (flags given win);
    `quiet`: its printing kept out of sight."""
    flags = (NO_TRAINING.get(script, ["--epochs", "0", "--ntrain", "256", "--ntest", "128"]) if quick else []) \
        + list(flags)
    argv = sys.argv
    handlers = {signum: signal.getsignal(signum) for signum in [signal.SIGINT, *stops.HANDLED]}
    sys.argv = [script] + flags
    out, err = (io.StringIO(), io.StringIO()) if quiet else (sys.stdout, sys.stderr)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return runpy.run_path(os.path.join(PROJECT, script), run_name="__main__")
    finally:
        sys.argv = argv
        for signum, handler in handlers.items():  # the run's own ways to stop end with it
            signal.signal(signum, handler)
