"""The slides' pictures, drawn from a run: what each model learned, and how it learned.

The scripts call draw() for --figures DIR. From the command line,
    python figures.py compare results/trajectories.csv results/comparison.png
draws "Quantifying the difference": the test error of the four models per epoch.
"""
import argparse
import csv
import os

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

SLIDES = {"2_logistic_regression.py": 0.925, "3_net.py": 0.984, "4_modern_net.py": 0.990,
          "5_convolutional_net.py": 0.995}
NAMES = {"2_logistic_regression.py": "logistic regression", "3_net.py": "sigmoid net (2000)",
         "4_modern_net.py": "modern net (2012+)", "5_convolutional_net.py": "convolutional net"}


def draw(folder, run, params, responses=None):
    """Write the figures of one run into `folder`; return their paths."""
    os.makedirs(folder, exist_ok=True)
    stem = os.path.join(folder, os.path.splitext(run.script)[0])
    first = params[0].get_value()
    slides = run.slides_accuracy if run.args.dataset == "mnist" else None
    paths = [_save(learning_curve(run.accuracies, run.costs, run.script, slides), stem + "_learning_curve.png")]
    if first.shape == (784, 10):
        paths.append(_save(digit_weights(first), stem + "_weights.png"))
    elif first.ndim == 2:
        paths.append(_save(hidden_units(first), stem + "_hidden_units.png"))
    else:
        paths.append(_save(conv_filters(first), stem + "_filters.png"))
        if responses is not None:
            paths.append(_save(conv_responses(responses()), stem + "_responses.png"))
    return paths


def write(folder, named_figures):
    """Save {file name: figure} as PNG files in `folder`, saying where."""
    os.makedirs(folder, exist_ok=True)
    for name, figure in named_figures.items():
        print(f"wrote {_save(figure, os.path.join(folder, name))}")


def _save(figure, path):
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path


def _image(axis, picture, title=None, cmap="RdBu_r"):
    """A picture with a diverging colour map centred on zero, without axes."""
    limit = np.abs(picture).max() or 1
    axis.imshow(picture, cmap=cmap, vmin=-limit if cmap == "RdBu_r" else 0, vmax=limit, interpolation="nearest")
    axis.set_xticks([])
    axis.set_yticks([])
    if title is not None:
        axis.set_title(title)


def learning_curve(accuracies, costs, script, slides=None):
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5), constrained_layout=True)
    epochs = np.arange(1, len(accuracies) + 1)
    left.plot(epochs, accuracies, marker="." if len(epochs) < 30 else None)
    if slides is not None:
        left.axhline(slides, color="grey", linestyle="--", label=f"slides: {slides:.1%}")
        left.legend(loc="lower right")
    left.set(title="test accuracy", xlabel="epoch", ylabel="share of test images right")
    right.plot(epochs, costs, color="tab:orange", marker="." if len(epochs) < 30 else None)
    right.set(title="mean training cost", xlabel="epoch", ylabel="cross-entropy")
    for axis in (left, right):
        axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    figure.suptitle(f"{script}: how it learned")
    return figure


def linear_fit(x, y, slopes):
    """Theano doing its thing: the data, and the line y = w x after some of the epochs;
    beside it, w after every epoch. slopes[0] is w before training."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    left.scatter(x, y, s=10, color="grey", label="training data")
    shown = sorted({e for e in (0, 1, 2, 3, 5, 10, len(slopes) - 1) if e < len(slopes)})
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(shown)))
    for epoch, colour in zip(shown, colours):
        left.plot(x, slopes[epoch] * x, color=colour, label=f"epoch {epoch}: w = {slopes[epoch]:.3f}")
    left.set(title="the fitted line y = w x", xlabel="x", ylabel="y")
    left.legend(fontsize="small")
    right.plot(range(len(slopes)), slopes, marker="." if len(slopes) < 30 else None)
    right.axhline(2, color="grey", linestyle="--", label="w = 2, which made the data")
    right.set(title="w after each epoch", xlabel="epoch", ylabel="w")
    right.legend(loc="lower right")
    figure.suptitle("Theano doing its thing: linear regression converging")
    return figure


def digit_weights(w):
    """What it learns: one 28x28 weight picture per digit, 0 to 9."""
    figure, axes = plt.subplots(1, 10, figsize=(15, 2))
    for digit, axis in enumerate(axes):
        _image(axis, w[:, digit].reshape(28, 28), str(digit))
    figure.suptitle("What it learns: the weights of each digit (red: evidence for, blue: against)")
    return figure


def hidden_units(w, count=100):
    """The incoming weights of the first `count` hidden units, as 28x28 pictures."""
    side = int(np.ceil(np.sqrt(count)))
    figure, axes = plt.subplots(side, side, figsize=(10, 10))
    for unit, axis in enumerate(axes.flat):
        _image(axis, w[:, unit].reshape(28, 28))
    figure.suptitle(f"What the first {count} of {w.shape[1]} hidden units look for (their incoming weights)")
    return figure


def conv_filters(w):
    """The first layer's filters (n_kernels, 1, 3, 3)."""
    columns = 8
    figure, axes = plt.subplots(len(w) // columns, columns, figsize=(8, len(w) // columns + 0.6))
    for kernel, axis in zip(w[:, 0], axes.flat):
        _image(axis, kernel)
    figure.suptitle(f"The {len(w)} first-layer 3x3 filters")
    return figure


def conv_responses(blocks):
    """The first 8 response maps of each conv block to one digit (a batch of 1)."""
    figure, axes = plt.subplots(len(blocks), 8, figsize=(12, 1.7 * len(blocks)))
    for number, (row, maps) in enumerate(zip(axes, blocks), start=1):
        maps = maps[0]
        for axis, response in zip(row, maps):
            _image(axis, response, cmap="viridis")
        row[0].set_ylabel(f"block {number}\n{maps.shape[0]} maps\n{maps.shape[1]}x{maps.shape[2]}")
    figure.suptitle("Responses of the three conv blocks to one test digit (the first 8 maps of each)")
    return figure


# What a "modern" net is doing (demos/modern_net_inside.py)

def modern_net_inside(label, clean, noisy, clean_py, noisy_py, shown=3):
    """One digit through the modern net: what each layer takes in (the input, and the
    625 units of each hidden layer as a 25x25 square), clean and in the first `shown`
    noisy passes; beside it the predicted probabilities, clean against all noisy passes."""
    rows = ["input: 784 pixels\n(20 % dropped when noisy)", "hidden layer 1: 625 units\n(50 % dropped)",
            "hidden layer 2: 625 units\n(50 % dropped)"]
    figure = plt.figure(figsize=(13, 7.5), constrained_layout=True)
    grid = figure.add_gridspec(3, shown + 3)
    for row, (name, layer_clean, layer_noisy) in enumerate(zip(rows, clean, noisy)):
        side = int(np.sqrt(layer_clean.shape[1]))
        pictures = [layer_clean[0]] + list(layer_noisy[:shown])
        for column, picture in enumerate(pictures):
            axis = figure.add_subplot(grid[row, column])
            title = None if row else ("clean" if column == 0 else f"noisy pass {column}")
            _image(axis, picture.reshape(side, side), title, cmap="gray_r" if row == 0 else "viridis")
            if column == 0:
                axis.set_ylabel(name)
    axis = figure.add_subplot(grid[:, shown + 1:])
    digits = np.arange(10)
    axis.bar(digits, clean_py, color="lightgrey", edgecolor="black", label="clean pass")
    jitter = np.random.RandomState(0).uniform(-0.25, 0.25, noisy_py.shape)
    axis.scatter((digits + jitter).ravel(), noisy_py.ravel(), s=6, color="tab:red", alpha=0.4,
                 label=f"{len(noisy_py)} noisy passes")
    axis.set_xticks(digits)
    guess = int(np.argmax(clean_py))
    agree = np.mean(np.argmax(noisy_py, axis=1) == guess)
    axis.set(title=f"predicted probabilities\nclean: {guess}; the noisy passes say {guess} {agree:.0%} of the time",
             xlabel="digit", ylabel="probability", ylim=(0, 1.02))
    axis.legend(loc="upper left" if np.argmax(clean_py) > 4 else "upper right")
    figure.suptitle(f'What a "modern" net is doing: a test image labelled {label}, clean and with the noise '
                    f'it trains with (brighter: more active)')
    return figure


def read_trajectories(path):
    """{script: (epochs, accuracies)} from a CSV written by benchmarks/talk_benchmark.py."""
    runs = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            epochs, accuracies = runs.setdefault(row["script"], ([], []))
            epochs.append(int(row["epoch"]))
            accuracies.append(float(row["test_accuracy"]))
    return runs


def comparison(runs):
    """Quantifying the difference: test error per epoch of each model, log scale."""
    figure, axis = plt.subplots(figsize=(8, 5))
    for script, (epochs, accuracies) in sorted(runs.items()):
        line, = axis.plot(epochs, 1 - np.array(accuracies), label=NAMES.get(script, script))
        if script in SLIDES:
            axis.axhline(1 - SLIDES[script], color=line.get_color(), linestyle=":", linewidth=1)
    axis.set_yscale("log")
    axis.set(title="Quantifying the difference (dotted: the slides' final error)", xlabel="epoch",
             ylabel="test error (log scale)")
    axis.legend()
    return figure


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["compare"])
    parser.add_argument("trajectories", help="CSV with columns script, epoch, test_accuracy")
    parser.add_argument("output", help="PNG file to write")
    args = parser.parse_args()
    _save(comparison(read_trajectories(args.trajectories)), args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
