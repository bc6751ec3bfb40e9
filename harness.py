"""The plumbing the six scripts share, kept out of their way.

Import it before theano: it sets Theano's defaults for this project (float32, an
OpenBLAS that works with NumPy 1.23, OpenMP on all cores, threads and memory tuned for
speed), leaving any choice you made in THEANO_FLAGS, ~/.theanorc or the environment
alone. It also parses the command line, prints one line per epoch, turns Ctrl-C into a
clean stop and saves the model and figures.
"""
import argparse
import configparser
import ctypes
import ctypes.util
import logging
import os
import sys
import tempfile
import time

# OpenMP's threads (Theano's ops) and OpenBLAS's threads (matrix products) take turns
# on the same cores; an idle pool that kept spinning would slow the other one down,
# so each lets its threads sleep soon. Set only where you have not set them, and
# before NumPy loads its own OpenBLAS, which reads them once.
THREAD_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_THREAD_TIMEOUT": "4"}
for _name, _value in THREAD_DEFAULTS.items():
    os.environ.setdefault(_name, _value)

import numpy as np  # noqa: E402

import load  # noqa: E402

# The BLAS routines Theano's C code calls, and the threads API its openmp mode uses.
BLAS_NAMES = ["sgemm_", "dgemm_", "sgemv_", "dgemv_", "sger_", "dger_", "sdot_", "ddot_", "saxpy_", "daxpy_",
              "sscal_", "dscal_", "scopy_", "dcopy_", "openblas_get_num_threads", "openblas_set_num_threads"]


def _blas_ldflags():
    """Link Theano's C code against the OpenBLAS of the scipy-openblas32 wheel.

    Theano 1.0.5's own BLAS probe crashes on NumPy 1.23. The wheel names its symbols
    scipy_sgemm_ and so on, so -D renames Theano's calls to match; Theano adds the
    rpath itself. Without the wheel: empty, and Theano uses NumPy's BLAS (slower)."""
    try:
        import scipy_openblas32
    except ImportError:
        return ""
    library = scipy_openblas32.get_library()  # "scipy_openblas"
    prefix = library[:-len("openblas")]
    renames = " ".join(f"-D{name}={prefix}{name}" for name in BLAS_NAMES)
    return f"-L{scipy_openblas32.get_lib_dir()} -l{library} {renames}"


# Keys set only where THEANO_FLAGS and the .theanorc files say nothing of them.
THEANO_DEFAULTS = {
    "floatX": "float32",  # the convnet's gradient only type-checks in float32
    "blas.ldflags": _blas_ldflags(),
    # Spread convolutions, pooling and big elementwise ops over the cores. Only with the
    # wheel's OpenBLAS linked: with NumPy's BLAS, openmp crashed the convnet.
    "openmp": "True",
}


def _theanorc_sets(key):
    """Whether a .theanorc file that Theano reads sets `key` (option names ignore case there)."""
    section, option = key.rsplit(".", 1) if "." in key else ("global", key)
    rc = configparser.ConfigParser(interpolation=None)
    rc.read([os.path.expanduser(f) for f in os.environ.get("THEANORC", "~/.theanorc").split(os.pathsep)])
    return rc.has_option(section, option)


def _set_theano_defaults():
    user_flags = os.environ.get("THEANO_FLAGS", "")
    in_flags = {pair.split("=", 1)[0].strip() for pair in user_flags.split(",") if "=" in pair}
    chosen = {key for key in THEANO_DEFAULTS if key in in_flags or _theanorc_sets(key)}
    if "blas.ldflags" in chosen or not THEANO_DEFAULTS["blas.ldflags"]:
        chosen.add("openmp")  # with your BLAS or NumPy's, openmp stays as Theano has it (off)
    defaults = [f"{key}={value}" for key, value in THEANO_DEFAULTS.items() if key not in chosen]
    if defaults:
        os.environ["THEANO_FLAGS"] = ",".join(defaults + ([user_flags] if user_flags else []))
    if "blas.ldflags" not in chosen and not THEANO_DEFAULTS["blas.ldflags"]:
        # NumPy's BLAS is our fallback, on purpose; Theano would warn about it on every run.
        logging.getLogger("theano.tensor.blas").setLevel(logging.ERROR)


def _excepthook(kind, error, traceback):
    """Errors a user can fix get one paragraph, not a traceback."""
    if issubclass(kind, KeyboardInterrupt):
        print("\nStopped by Ctrl-C; nothing was saved.", file=sys.stderr)
    elif issubclass(kind, load.DataError):
        print(f"error: {error}", file=sys.stderr)
    else:
        sys.__excepthook__(kind, error, traceback)


def _keep_freed_memory():
    """Let glibc keep the memory of freed arrays for the next training step.

    Theano allocates its big arrays (up to 15 MB for the convnet) afresh at every step.
    By default glibc gives such blocks back to the system when they are freed, and the
    system has to hand over fresh zeroed pages the next time: a third of a convnet step
    here. Up to 32 MB blocks now come from the heap, which keeps freed memory. Skipped if
    you set MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_, and where there is no glibc."""
    if {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"} & set(os.environ):
        return
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):  # no C library with mallopt
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 * 2**20)
    mallopt(m_trim_threshold, 2**30)


_set_theano_defaults()
_keep_freed_memory()
sys.excepthook = _excepthook


def _count(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small: it must be at least {minimum}")
        return value
    return parse


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} must be greater than 0")
    return value


def parse_args(doc, **defaults):
    """Parse the flags a script takes: the keys of `defaults` (lr, epochs, ...)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if "epochs" in defaults:
        parser.add_argument("--epochs", type=_count(0), default=defaults["epochs"],
                            help="passes over the training data (default: %(default)s, as in the talk)")
    if "lr" in defaults:
        parser.add_argument("--lr", type=_positive_float, default=defaults["lr"],
                            help="learning rate (default: %(default)s, as in the talk)")
    if "seed" in defaults:
        parser.add_argument("--seed", type=int, default=defaults["seed"],
                            help="seed for the weights and the noise; same seed, same results (default: %(default)s)")
    if "batch_size" in defaults:
        parser.add_argument("--batch-size", type=_count(1), default=defaults["batch_size"],
                            help="examples per gradient step (default: %(default)s)")
        parser.add_argument("--ntrain", type=_count(1),
                            help="train on the first N training images, e.g. 5000 for a quick run (default: all)")
        parser.add_argument("--ntest", type=_count(1),
                            help="test on the first N test images (default: all)")
        parser.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist",
                            help="MNIST digits, or Fashion-MNIST clothes in the same format (default: mnist)")
        parser.add_argument("--data-dir", metavar="DIR",
                            help="folder holding the four data files (default: see README, 'Where the data comes from')")
        parser.add_argument("--save-model", metavar="PATH", help="write the learned weights to PATH (.npz)")
        parser.add_argument("--load-model", metavar="PATH",
                            help="start from weights saved with --save-model (with --epochs 0: evaluate only)")
        parser.add_argument("--figures", metavar="DIR", help="draw what the model learned as PNG files in DIR")
    args = parser.parse_args()
    if "batch_size" in defaults and args.ntrain is not None and args.ntrain < args.batch_size:
        parser.error(f"--ntrain {args.ntrain} is smaller than one batch (--batch-size {args.batch_size})")
    return args


class Run:
    """Flags, data and the per-epoch report of one training script."""

    def __init__(self, doc, slides_accuracy, **defaults):
        self.args = parse_args(doc, epochs=100, batch_size=128, seed=1, **defaults)
        self.slides_accuracy = slides_accuracy
        self.script = os.path.basename(sys.argv[0])
        self.accuracies, self.costs = [], []
        np.random.seed(self.args.seed)

    def mnist(self, conv=False):
        """The data as the talk's load.mnist gives it, for this run's flags."""
        a = self.args
        trX, teX, trY, teY = load.mnist(a.ntrain, a.ntest, onehot=True, data_dir=a.data_dir, dataset=a.dataset)
        print(f"{self.script}: {a.epochs} epochs, batch {a.batch_size}, lr {a.lr}, seed {a.seed}; "
              f"{len(trX)} training and {len(teX)} test images of {a.dataset}", flush=True)
        return trX, teX, trY, teY

    def training(self, params, test_accuracy, responses=None):
        """The block the training loop runs in; see _Training. `responses()`, if given,
        returns the conv blocks' responses to a test digit, for --figures."""
        return _Training(self, params, test_accuracy, responses)

    def report(self, costs, accuracy):
        """One line for the epoch that just ended."""
        now = time.time()
        self.accuracies.append(float(accuracy))
        self.costs.append(float(np.mean(costs)))
        print(f"epoch {len(self.accuracies):3d}  test accuracy {accuracy:.4f}  "
              f"train cost {self.costs[-1]:.4f}  {now - self._epoch_start:7.2f} s", flush=True)
        self._epoch_start = now

    def _summary(self, seconds):
        if not self.accuracies:
            return f"no epoch finished ({seconds:.0f} s)"
        best = int(np.argmax(self.accuracies))
        summary = (f"{len(self.accuracies)} epochs in {seconds:.0f} s: test accuracy {self.accuracies[-1]:.4f} "
                   f"(best {self.accuracies[best]:.4f} at epoch {best + 1})")
        if self.args.dataset == "mnist":
            summary += f"; the slides report {self.slides_accuracy:.3f} after 100 epochs of all 60000 images"
        return summary


class _Training:
    """Loads --load-model on entry; on exit (also by Ctrl-C) prints the summary,
    writes --save-model and --figures. Ctrl-C then ends the script with status 130."""

    def __init__(self, run, params, test_accuracy, responses):
        self.run, self.params, self.test_accuracy, self.responses = run, params, test_accuracy, responses

    def __enter__(self):
        if self.run.args.load_model:
            load_params(self.run.args.load_model, self.params)
        self.start = self.run._epoch_start = time.time()
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
            print(f"{run.script}: evaluation only: test accuracy {self.test_accuracy():.4f}", flush=True)
        else:
            print(f"{run.script}: {run._summary(time.time() - self.start)}", flush=True)
        if args.save_model:
            save_params(args.save_model, self.params)
            print(f"saved the weights to {args.save_model}")
        if args.figures:
            import figures
            for path in figures.draw(args.figures, run, self.params, self.responses):
                print(f"wrote {path}")
        if interrupted:
            raise SystemExit(130)
        return False


def save_params(path, params):
    """Write the parameters to an .npz file, whole or not at all."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, *[p.get_value() for p in params])
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_params(path, params):
    """Set the parameters from an .npz file written by save_params."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    except (OSError, ValueError, KeyError) as error:
        raise load.DataError(f"cannot read the model file {path}: {error}. Give a file written by "
                             f"--save-model of the same script.") from None
    expected = [p.get_value().shape for p in params]
    if [v.shape for v in values] != expected:
        raise load.DataError(f"the model file {path} holds weights of shapes {[v.shape for v in values]}, "
                             f"but this script's model needs {expected}. Give a file written by "
                             f"--save-model of the same script.")
    for p, v in zip(params, values):
        p.set_value(v.astype(p.dtype))
