"""The plumbing the scripts share, kept out of their way. Import it before theano.

- theano_defaults: this project's Theano defaults (float32, an OpenBLAS that works with
  NumPy 1.23, OpenMP, threads and memory tuned for speed), leaving any choice you made
  in THEANO_FLAGS, ~/.theanorc or the environment alone;
- flags: the command line;
- training: the per-epoch report, Ctrl-C, and what a run writes when it ends;
- model_file: the learned weights as an .npz file.
- moons (imported by the 2D moons demos only): their data, the plane their maps cover,
  the order of their minibatches, and what a run records and prints.
"""
import sys

from harness import theano_defaults  # noqa: F401  first: it sets the environment NumPy and Theano read
import load
from harness.flags import parse_args  # noqa: F401
from harness.model_file import load_params, save_params  # noqa: F401
from harness.training import Run  # noqa: F401


def _excepthook(kind, error, traceback):
    """Errors a user can fix get one paragraph, not a traceback."""
    if issubclass(kind, KeyboardInterrupt):
        print("\nStopped by Ctrl-C; nothing was saved.", file=sys.stderr)
    elif issubclass(kind, load.DataError):
        print(f"error: {error}", file=sys.stderr)
    else:
        sys.__excepthook__(kind, error, traceback)


sys.excepthook = _excepthook
