"""The command line of the scripts: the flags users of such scripts expect."""
import argparse


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
    """Parse the flags a script takes, chosen by the keys of `defaults`:

    epochs, lr, seed, batch_size -- those flags, with that default;
    data=True -- --ntrain, --ntest, --dataset, --data-dir;
    model=True -- --save-model, --load-model;
    figures=True -- --figures;
    any other key -- a flag of the script's own, given as (default, help): a whole
    number of at least 1, or a number above 0, as its default is."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = dict(defaults)
    if "epochs" in defaults:
        parser.add_argument("--epochs", type=_count(0), default=defaults.pop("epochs"),
                            help="passes over the training data (default: %(default)s)")
    if "lr" in defaults:
        parser.add_argument("--lr", type=_positive_float, default=defaults.pop("lr"),
                            help="learning rate (default: %(default)s)")
    if "seed" in defaults:
        parser.add_argument("--seed", type=int, default=defaults.pop("seed"),
                            help="seed for the weights and the noise; same seed, same results (default: %(default)s)")
    if "batch_size" in defaults:
        parser.add_argument("--batch-size", type=_count(1), default=defaults.pop("batch_size"),
                            help="examples per gradient step (default: %(default)s)")
    if defaults.pop("data", False):
        parser.add_argument("--ntrain", type=_count(1),
                            help="use the first N training images, e.g. 5000 for a quick run (default: all)")
        parser.add_argument("--ntest", type=_count(1),
                            help="test on the first N test images (default: all)")
        parser.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist",
                            help="MNIST digits, or Fashion-MNIST clothes in the same format (default: mnist)")
        parser.add_argument("--data-dir", metavar="DIR",
                            help="folder holding the four data files (default: see README, 'Where the data comes from')")
    if defaults.pop("model", False):
        parser.add_argument("--save-model", metavar="PATH", help="write the learned weights to PATH (.npz)")
        parser.add_argument("--load-model", metavar="PATH",
                            help="start from weights saved with --save-model (with --epochs 0: evaluate only)")
    if defaults.pop("figures", False):
        parser.add_argument("--figures", metavar="DIR",
                            help="draw what the program shows in DIR: PNG pictures, and GIF animations where it moves")
    for name, (default, help) in defaults.items():
        kind = _count(1) if isinstance(default, int) else _positive_float
        parser.add_argument("--" + name.replace("_", "-"), type=kind, default=default,
                            help=f"{help} (default: %(default)s)")
    args = parser.parse_args()
    if getattr(args, "ntrain", None) is not None and args.ntrain < getattr(args, "batch_size", 1):
        parser.error(f"--ntrain {args.ntrain} is smaller than one batch (--batch-size {args.batch_size})")
    return args
