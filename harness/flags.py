"""The command line of the scripts: the flags users of such scripts expect.

The paths a run reads and writes are checked here, before any data is loaded or anything
is compiled: a typo must not cost a finished training run.

In a notebook (a Jupyter kernel, VS Code's interactive window) there is no command line:
the kernel's own arguments are ignored, and a script's settings are the `flags` given in
its code, e.g. harness.Run(..., flags="--epochs 1 --ntrain 10000"). A flag it refuses
there stops the cell with one paragraph, as a data error does, and the kernel lives on.
"""
import argparse
import os
import re
import shlex
import sys
import tempfile

from common import bounds, datasets, talk
from common.errors import SettingError
from harness.model_file import read_params
from common.jupyter_kernel import in_notebook


def program(doc):
    """The program's own name, for its printed lines and the files it writes: its file
    name; in a notebook, the file the kernel runs for (VS Code's notebook or the .py file
    its interactive window runs, JupyterLab's notebook), else one made of the title in
    its docstring ("7 - my own net: ..." gives 7_my_own_net)."""
    if not in_notebook():
        return os.path.basename(sys.argv[0])
    namespace = sys.modules["IPython"].get_ipython().user_ns
    for path in (namespace.get("__vsc_ipynb_file__"), namespace.get("__file__"), os.environ.get("JPY_SESSION_NAME")):
        if path and path.endswith((".ipynb", ".py")):  # a JupyterLab console's session is named otherwise
            return os.path.basename(path)
    return re.sub(r"\W+", "_", (doc or "notebook").split(":")[0]).strip("_")


class _Parser(argparse.ArgumentParser):
    """At a terminal, argparse's usage and exit status 2. In a notebook, where SystemExit
    would name ipykernel_launcher.py and leave the kernel's warnings, a refused flag (or
    --help, after the help) is one paragraph that stops the cell."""

    def __init__(self, flags, **kwargs):
        super().__init__(**kwargs)
        self.flags = flags

    def error(self, message):
        if not in_notebook():
            super().error(message)
        raise SettingError(f"{self.prog}: {message}, in the settings line's flags=\"{self.flags}\". Change "
                           f"the flags there and run the cell again; flags=\"--help\" lists them all.")

    def exit(self, status=0, message=None):
        if not in_notebook():
            super().exit(status, message)
        raise SettingError(f"{self.prog}: the flags it takes are listed above. Take --help out of "
                           f"flags=\"{self.flags}\" to run the program.")


def _writable(folder):
    """Why no file could be made in `folder` (made later if missing), or None if it can."""
    existing = os.path.abspath(folder)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return f"{existing} is a file, not a folder"
    try:  # really make one: permission bits say little to root, or on a read-only disk
        with tempfile.NamedTemporaryFile(dir=existing):
            return None
    except OSError as error:
        return f"no file can be made in {existing} ({error.strerror})"


def _output_file(text):
    """--save-model: a file path, whose folder exists or can be made."""
    if not text:
        raise argparse.ArgumentTypeError("the path is empty (an unset variable?); give a file path")
    if text.endswith(os.sep) or os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file in it, e.g. "
                                         f"{os.path.join(text, 'model.npz')}")
    problem = _writable(os.path.dirname(text) or os.curdir)
    if problem:
        raise argparse.ArgumentTypeError(f"cannot write {text}: {problem}")
    return text


def _output_folder(text):
    """--figures: a folder that exists or can be made."""
    if not text:
        raise argparse.ArgumentTypeError("the path is empty (an unset variable?); give a folder")
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a file; give a folder for the pictures")
    problem = _writable(text)
    if problem:
        raise argparse.ArgumentTypeError(f"cannot write into {text}: {problem}")
    return text


def flag(args, name):
    """How a refusal names a flag: '--batch-size 500', or '--batch-size 128, the default'
    where the learner left it as it was, so a message never seems to quote a flag not given."""
    value = getattr(args, name)
    default = ", the default" if value == args.defaults.get(name) else ""
    return f"--{name.replace('_', '-')} {value:g}{default}" if isinstance(value, float) else \
        f"--{name.replace('_', '-')} {value}{default}"


def parse_args(doc, flags="", *, epochs=None, lr=None, batch_size=None, seed=None, dropout=False, data=False,
               validation=False, model=False, figures=False, **own):
    """Parse the flags a script takes: `flags` as written in the script, then (but in a
    notebook) the command line, which wins. A program offers only the flags it uses:

    epochs, lr, batch_size -- those flags, with that default (None: not offered);
    seed -- (default, what its random numbers choose in this program), for --seed;
    dropout -- Theano's random streams draw dropout noise from --seed too, so it takes
    only the seeds they take;
    data -- --ntrain, --ntest, --dataset, --data-dir;
    validation -- --validation;
    model -- --save-model, --load-model;
    figures -- --figures;
    own -- the program's own flags, by name: (default, help) or (default, help, maximum),
    a whole number of at least 1, or a finite number above 0, as its default is.
    Every number is checked at its bounds as it is parsed (common/bounds.py)."""
    parser = _Parser(flags, prog=program(doc), description=doc,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if epochs is not None:
        parser.add_argument("--epochs", type=bounds.whole(0), default=epochs,
                            help="passes over the training data (default: %(default)s)")
    if lr is not None:
        parser.add_argument("--lr", type=bounds.positive, default=lr, help="learning rate (default: %(default)s)")
    if seed is not None:
        default, chosen = seed
        parser.add_argument("--seed", type=bounds.seed(dropout), default=default,
                            help=f"seed of the random numbers that choose {chosen}; same seed, same results "
                                 f"(default: %(default)s)")
    if batch_size is not None:
        parser.add_argument("--batch-size", type=bounds.whole(1), default=batch_size,
                            help="examples per gradient step (default: %(default)s)")
    if data:
        parser.add_argument("--ntrain", type=bounds.whole(1),
                            help="use the first N training images, e.g. 10000 with --epochs 1 --batch-size 16 for "
                                 "a quick run (docs/quick-runs.md) (default: all)")
        parser.add_argument("--ntest", type=bounds.whole(1),
                            help="test on the first N test images (default: all)")
        parser.add_argument("--dataset", choices=list(datasets.TITLE), default="mnist",
                            help="MNIST digits, or Fashion-MNIST clothes in the same format (default: mnist)")
        parser.add_argument("--data-dir", metavar="DIR",
                            help="folder holding the four data files (default: see docs/data.md)")
    if validation:
        parser.add_argument("--validation", type=bounds.whole(0), default=0, metavar="N",
                            help="hold out the last N training images to pick an epoch without looking at the "
                                 "test set: each epoch reports their accuracy too, and the summary the test "
                                 "accuracy at the epoch where it was best (default: 0, as in the talk)")
    if model:
        parser.add_argument("--save-model", metavar="PATH", type=_output_file,
                            help="write the learned weights to the file PATH (.npz format; the name is kept)")
        parser.add_argument("--load-model", metavar="PATH",
                            help="start from weights saved with --save-model (with --epochs 0: evaluate only)")
    if figures:
        parser.add_argument("--figures", metavar="DIR", type=_output_folder,
                            help="draw what the program shows in DIR: PNG pictures, and GIF animations where it moves")
    for name, (default, help, *maximum) in own.items():
        kind = bounds.whole(1, *maximum) if isinstance(default, int) else bounds.positive
        parser.add_argument("--" + name.replace("_", "-"), type=kind, default=default,
                            help=f"{help} (default: %(default)s)")
    args = parser.parse_args(shlex.split(flags) + ([] if in_notebook() else sys.argv[1:]))
    args.defaults = {name: parser.get_default(name) for name in vars(args)}
    ntrain, batch_size = getattr(args, "ntrain", None), getattr(args, "batch_size", None)
    if ntrain is not None and batch_size is not None and not talk.batches(ntrain, batch_size):
        parser.error(f"--ntrain {args.ntrain} is not more than one batch ({flag(args, 'batch_size')}): the "
                     f"training loop takes only batches that end before the last image")
    if getattr(args, "save_model", None) and getattr(args, "figures", None) \
            and os.path.abspath(args.save_model) == os.path.abspath(args.figures):
        parser.error(f"--save-model and --figures both name {args.save_model}: one file cannot be a folder too")
    if getattr(args, "load_model", None):
        read_params(args.load_model)  # a model file that cannot be read stops the run before it starts
    return args
