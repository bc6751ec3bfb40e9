"""The bounds of every number a program takes on its command line, as argparse types: a
value outside them is refused as the flags are parsed, in one line naming the flag
(argparse's usage, exit status 2), before anything is loaded. harness/flags.py gives them
to the scripts' flags; programs that build their own parser use them as they are."""
import argparse
import math
import sys

LARGEST = 100_000  # no count here needs more: MNIST has 70000 images, and an epoch takes seconds
# NumPy's np.random.seed and RandomState take 0 to 2**32 - 1; Theano's MRG_RandomStreams,
# which draw the dropout noise, 1 to 2**31 - 21070 (theano/sandbox/rng_mrg.py: 0 < seed < M2)
NUMPY_SEEDS = (0, 2**32 - 1, "NumPy's random numbers take seeds")
STREAM_SEEDS = (1, 2147462578, "Theano's random streams, which draw the dropout noise, take seeds")


def whole(minimum, maximum=LARGEST, taken=None):
    """A whole number from `minimum` to `maximum`; `taken` says who takes only those, for
    the message (e.g. "NumPy's random numbers take seeds")."""
    def out_of_bounds(value, what):
        bounds = f"{taken} from {minimum} to {maximum}" if taken else \
            f"it must be at {'least' if what == 'small' else 'most'} {minimum if what == 'small' else maximum}"
        return argparse.ArgumentTypeError(f"{value} is too {what}: {bounds}")

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            if text.strip().lstrip("+-").isdigit():  # more digits than Python reads as a number
                raise out_of_bounds(text[:20] + "...", "small" if text.strip().startswith("-") else "large")
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        if value < minimum:
            raise out_of_bounds(value, "small")
        if value > maximum:
            raise out_of_bounds(value, "large")
        return value
    return parse


def seed(dropout=False):
    """A seed of NumPy's random numbers, and of Theano's random streams too where the
    program's `dropout` noise comes from them."""
    return whole(*(STREAM_SEEDS if dropout else NUMPY_SEEDS))


def positive(text):
    """A finite number greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    if math.isnan(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} must be greater than 0")
    if math.isinf(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number (the largest is {sys.float_info.max:.3g})")
    return value


port = whole(0, 65535, "TCP's ports go")  # 0 asks for any free one


def between(minimum, maximum):
    """Numbers from `minimum` to `maximum`, one or several separated by commas (1,2.2): a list."""
    def parse(text):
        values = []
        for part in text.split(","):
            try:
                value = float(part)
            except ValueError:
                value = math.nan
            if math.isnan(value):
                raise argparse.ArgumentTypeError(f"{part!r} is not a number (give numbers separated by commas)")
            if not minimum <= value <= maximum:
                raise argparse.ArgumentTypeError(f"{part} is not from {minimum:g} to {maximum:g}")
            values.append(value)
        return values
    return parse
