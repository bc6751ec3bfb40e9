"""The slides' pictures, drawn from a run: what each model learned, and how it learned.

The scripts call write() for --figures DIR and, in a notebook, to show the pictures under
the cell (the training scripts with draw()'s figures).
From the command line,
    python figures.py compare results/seeds.csv results/comparison.png
draws "Quantifying the difference": the test error of the four models per epoch, over the
recorded seeds (or of one run each, from results/trajectories.csv).
"""
import argparse
import csv
import io
import os
import tempfile

import matplotlib

matplotlib.use("Agg")  # no display needed: write() shows a notebook the pictures itself
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import animation  # noqa: E402
import numpy as np  # noqa: E402

from errors import PathError  # noqa: E402
import talk  # noqa: E402

NAMES = {"2_logistic_regression.py": "logistic regression", "3_net.py": "sigmoid net (2000)",
         "4_modern_net.py": "modern net (2012+)", "5_convolutional_net.py": "convolutional net"}


def draw(run, params, responses=None):
    """The figures of one training run, as {file name: figure} for write()."""
    stem = os.path.splitext(run.script)[0]
    first = params[0].get_value()
    slides = run.slides_accuracy if run.args.dataset == "mnist" else None
    named = {stem + "_learning_curve.png": learning_curve(run.accuracies, run.costs, run.script, slides,
                                                          run.validation_accuracies)}
    if first.shape == (784, 10):
        named[stem + "_weights.png"] = digit_weights(first)
    elif first.ndim == 2:
        named[stem + "_hidden_units.png"] = hidden_units(first)
    else:
        named[stem + "_filters.png"] = conv_filters(first)
        if responses is not None:
            named[stem + "_responses.png"] = conv_responses(responses())
    named.update(test_set_figures(run, stem))
    return named


def test_set_figures(run, stem):
    """What the model gets wrong on the test set: its most confident mistakes and the
    confusion matrix, from its own probabilities (none if they cannot be found)."""
    from harness import predictions
    probabilities_of = predictions.probabilities_function(run.accuracy)
    if probabilities_of is None:
        return {}
    images, onehot = run.test
    probabilities, labels = probabilities_of(images), np.argmax(onehot, axis=1)
    return {stem + "_mistakes.png": mistakes(images, labels, probabilities, run.script),
            stem + "_confusion.png": confusion(labels, np.argmax(probabilities, axis=1), run.script)}


def write(folder, named_figures):
    """Put each picture {file name: figure} where the learner is: in a notebook, under the
    cell that drew it; with a folder (--figures DIR), also as a file there, saying where:
    a Figure as PNG, an Animation as GIF. A folder that cannot be written (it became a
    file, the disk is full) is a one-paragraph error."""
    from harness.flags import in_notebook  # the programs that draw have imported harness already
    try:
        if folder:
            os.makedirs(folder, exist_ok=True)
        for name, figure in named_figures.items():
            picture = _encoded(figure)
            if in_notebook():
                from IPython.display import Image, display
                display(Image(data=picture, format=os.path.splitext(name)[1][1:]))
            if folder:
                path = os.path.join(folder, name)
                with open(path, "wb") as f:
                    f.write(picture)
                print(f"wrote {path}")
    except OSError as error:
        raise PathError(f"Could not write the figures into {folder} ({error.strerror or error}). "
                        f"Free some disk space or choose a folder that can be written.") from None


def _encoded(figure):
    """The bytes of a Figure's PNG or an Animation's GIF; the figure is closed."""
    if isinstance(figure, animation.Animation):
        with tempfile.TemporaryDirectory() as scratch:  # Pillow writes GIFs to files only
            path = os.path.join(scratch, "animation.gif")
            # small: few frames at a low resolution keep a GIF well under 1 MB
            figure.save(path, writer=animation.PillowWriter(fps=4), dpi=72)
            plt.close(figure._fig)  # the Animation's Figure
            with open(path, "rb") as f:
                return f.read()
    picture = io.BytesIO()
    figure.savefig(picture, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return picture.getvalue()


def _image(axis, picture, title=None, cmap="RdBu_r"):
    """A picture with a diverging colour map centred on zero, without axes."""
    limit = np.abs(picture).max() or 1
    axis.imshow(picture, cmap=cmap, vmin=-limit if cmap == "RdBu_r" else 0, vmax=limit, interpolation="nearest")
    axis.set_xticks([])
    axis.set_yticks([])
    if title is not None:
        axis.set_title(title)


def learning_curve(accuracies, costs, script, slides=None, validation=()):
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5), constrained_layout=True)
    epochs = np.arange(1, len(accuracies) + 1)
    marker = "." if len(epochs) < 30 else None
    left.plot(epochs, accuracies, marker=marker, label="test")
    if len(validation):
        chosen = int(np.argmax(validation))
        left.plot(epochs[:len(validation)], validation, marker=marker, color="tab:green", label="validation")
        left.axvline(chosen + 1, color="tab:green", linestyle=":",
                     label=f"chosen by validation: epoch {chosen + 1}, test {accuracies[chosen]:.2%}")
    if slides is not None:
        left.axhline(slides, color="grey", linestyle="--", label=f"slides: {slides:.1%}")
    if slides is not None or len(validation):
        left.legend(loc="lower right", fontsize="small")
    which = "validation and test" if len(validation) else "test"
    left.set(title=f"{which} accuracy", xlabel="epoch", ylabel="share of images right")
    right.plot(epochs, costs, color="tab:orange", marker=marker)
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


def mistakes(images, labels, probabilities, script, count=24):
    """The `count` test digits the model gets wrong with the most confidence, most
    confident first: its answer and probability above each, the true label below."""
    answers = np.argmax(probabilities, axis=1)
    wrong = np.nonzero(answers != labels)[0]
    shown = wrong[np.argsort(-probabilities[wrong, answers[wrong]], kind="stable")][:count]
    columns = 8
    rows = max(1, int(np.ceil(len(shown) / columns)))
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 2.1 * rows), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    if not len(shown):
        axes[0, 0].text(0, 0.5, "no test digit is wrong", fontsize=14)
    for axis, index in zip(axes.flat, shown):
        axis.axis("on")
        _image(axis, images[index].reshape(28, 28), cmap="gray_r")
        axis.set_title(f"says {answers[index]} ({probabilities[index, answers[index]]:.0%})", fontsize=10,
                       color="tab:red")
        axis.set_xlabel(f"label {labels[index]}  #{index + 1}", fontsize=9)
    figure.suptitle(f"{NAMES.get(script, script)}: the {len(shown)} test digits it gets wrong most confidently, "
                    f"of {len(wrong)} wrong in {len(labels)}\n(above: its answer and probability; below: the "
                    f"true label and the test image's number)", fontsize=11)
    figure.tight_layout()
    return figure


def confusion(labels, answers, script):
    """The confusion matrix of the test set: how often each true digit (row) got each
    answer (column); the diagonal is right, the rest the mistakes."""
    counts = np.zeros((10, 10), int)
    np.add.at(counts, (labels, answers), 1)
    figure, axis = plt.subplots(figsize=(6.5, 6))
    off_diagonal = counts * (1 - np.eye(10, dtype=int))
    axis.imshow(off_diagonal, cmap="Reds", vmin=0, vmax=max(off_diagonal.max(), 1))
    for row in range(10):
        for column in range(10):
            if counts[row, column]:
                dark = off_diagonal[row, column] > 0.6 * off_diagonal.max()
                axis.text(column, row, counts[row, column], ha="center", va="center", fontsize=8,
                          color="tab:green" if row == column else "white" if dark else "black")
    axis.set_xticks(range(10))
    axis.set_yticks(range(10))
    axis.set(xlabel="the model's answer", ylabel="the true digit")
    wrong = int(off_diagonal.sum())
    axis.set_title(f"{NAMES.get(script, script)}: {wrong} of {counts.sum()} test digits wrong "
                   f"({wrong / counts.sum():.2%})\nconfusion matrix (red: the mistakes; green: right)", fontsize=11)
    return figure


# k-nearest neighbours (demos/knn.py)

def knn_neighbours(images, labels, guesses, near_images, near_labels, near_distances, k, title):
    """Each test digit (first column) beside its nearest training images, nearest first,
    with their labels and distances; the k that voted are framed, green if their label
    is right, red if not."""
    rows, columns = near_labels.shape
    figure, axes = plt.subplots(rows, columns + 1, figsize=(1.3 * (columns + 1), 1.55 * rows), squeeze=False)
    for row, image, label, guess, pictures, their_labels, distances in zip(
            axes, images, labels, guesses, near_images, near_labels, near_distances):
        _image(row[0], image.reshape(28, 28), cmap="gray_r")
        row[0].set_title(f"{label}: guessed {guess}", fontsize=9, color="black" if guess == label else "tab:red")
        for rank, (axis, picture, near_label, distance) in enumerate(zip(row[1:], pictures, their_labels, distances)):
            _image(axis, picture.reshape(28, 28), cmap="gray_r")
            axis.set_title(f"{near_label}  d={np.sqrt(max(distance, 0)):.1f}", fontsize=9)
            voted = rank < k
            for side in axis.spines.values():
                side.set_visible(voted)
                side.set(color="tab:green" if near_label == label else "tab:red", linewidth=3)
    figure.suptitle(f"k-nearest neighbours, k={k}: {title}\nleft: a test digit, its label and the guess; then its "
                    f"{columns} most similar training images\n(label, distance), nearest first; framed: the {k} that "
                    f"voted, green if right", fontsize=10)
    figure.subplots_adjust(wspace=0.1, hspace=0.45)
    return figure


# The 2D moons demos: decision boundaries, hidden units and losses of two variants

MOONS_COLOURS = ["navy", "darkred"]


def _moons_map(axis, probability, X, labels, extent):
    """The probability of the second moon over the plane, and the points coloured by their moon."""
    image = axis.imshow(probability, origin="lower", extent=extent, cmap="RdBu_r", vmin=0, vmax=1, alpha=0.5,
                        aspect="auto")
    axis.scatter(X[:, 0], X[:, 1], c=np.array(MOONS_COLOURS)[labels], s=6, edgecolors="white", linewidths=0.3)
    axis.set_xticks([])
    axis.set_yticks([])
    return image


def _moons_boundary(axis, probability, extent):
    """The decision boundary: where the probability of the second moon is 0.5."""
    return axis.contour(probability, levels=[0.5], origin="lower", extent=extent, colors="k", linewidths=1.5)


def _moons_losses(axis, traces):
    for trace, colour in zip(traces, ["tab:orange", "tab:green", "tab:purple"]):
        axis.plot(range(len(trace.losses)), trace.losses, color=colour,
                  label=f"{trace.name}: {trace.losses[-1]:.3f}, {trace.accuracies[-1]:.0%} right")
    axis.set_yscale("log")
    axis.set(title="loss on all the points", xlabel="step", ylabel="cross-entropy (log scale)")
    axis.legend(fontsize="small", loc="lower left")


def moons_training(traces, X, labels, extent, title):
    """Each variant's boundary at five of its snapshots (a row per variant), beside the losses.
    traces: harness.moons.Trace objects, of the same number of steps."""
    frames = traces[0].frames
    shown = np.linspace(0, len(frames) - 1, 5).round().astype(int)
    figure = plt.figure(figsize=(2.2 * len(shown) + 4.5, 2.2 * len(traces) + 0.6), constrained_layout=True)
    grid = figure.add_gridspec(len(traces), len(shown) + 2)
    for row, trace in enumerate(traces):
        for column, frame in enumerate(shown):
            axis = figure.add_subplot(grid[row, column])
            _moons_map(axis, trace.maps[frame], X, labels, extent)
            _moons_boundary(axis, trace.maps[frame], extent)
            axis.set_title(f"step {frames[frame]}", fontsize="medium")
            if column == 0:
                axis.set_ylabel(trace.name, fontsize="large")
    _moons_losses(figure.add_subplot(grid[:, len(shown):]), traces)
    figure.suptitle(f"{title}: the decision boundary (black) as each learns, from the same start")
    return figure


def moons_hidden_units(units, X, labels, extent):
    """What each hidden unit computes over the plane after training: {net name: activations
    (points of the plane, units)}, a block of maps per net, each map scaled to its own maximum."""
    figure = plt.figure(figsize=(14, 4), constrained_layout=True)
    for block, (name, activations) in zip(figure.subfigures(1, len(units)), units.items()):
        side, count = int(round(np.sqrt(len(activations)))), activations.shape[1]
        columns = int(np.ceil(np.sqrt(2 * count)))
        axes = block.subplots(int(np.ceil(count / columns)), columns)
        for unit, axis in enumerate(axes.flat):
            axis.set_xticks([])
            axis.set_yticks([])
            if unit >= count:
                axis.axis("off")
                continue
            activation = activations[:, unit].reshape(side, side)
            axis.imshow(activation, origin="lower", extent=extent, cmap="viridis", vmin=0,
                        vmax=activation.max() or 1, aspect="auto")
            axis.scatter(X[:, 0], X[:, 1], c=np.array(["deepskyblue", "orangered"])[labels], s=0.3)
        block.suptitle(f"{count} {name} units")
    figure.suptitle("What each hidden unit computes over the plane after training (dark: 0, yellow: its largest value)")
    return figure


def moons_animation(traces, X, labels, extent, title):
    """The boundaries of the variants moving side by side, step by step, and the losses so far."""
    figure, axes = plt.subplots(1, len(traces) + 1, figsize=(3.2 * (len(traces) + 1), 3.3), constrained_layout=True)
    images = [_moons_map(axis, trace.maps[0], X, labels, extent) for axis, trace in zip(axes, traces)]
    boundaries = [_moons_boundary(axis, trace.maps[0], extent) for axis, trace in zip(axes, traces)]
    _moons_losses(axes[-1], traces)
    lines = axes[-1].get_lines()
    frames = traces[0].frames
    figure.suptitle(title)

    def draw(frame):
        step = frames[frame]
        for i, (axis, trace) in enumerate(zip(axes, traces)):
            images[i].set_data(trace.maps[frame])
            boundaries[i].remove()
            boundaries[i] = _moons_boundary(axis, trace.maps[frame], extent)
            axis.set_title(f"{trace.name}, step {step}")
        for line, trace in zip(lines, traces):
            line.set_data(range(step + 1), trace.losses[:step + 1])

    return animation.FuncAnimation(figure, draw, frames=len(frames), repeat=False)


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
    """{script: {seed: (epochs, accuracies)}} at each script's own settings, from a CSV written by
    benchmarks/talk_benchmark.py: results/trajectories.csv (seed 1) or results/seeds.csv (every
    recorded seed; its --lr experiments are left out)."""
    runs = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row.get("lr"):
                continue
            seeds = runs.setdefault(row["script"], {})
            epochs, accuracies = seeds.setdefault(int(row.get("seed", 1)), ([], []))
            epochs.append(int(row["epoch"]))
            accuracies.append(float(row["test_accuracy"]))
    return runs


def comparison(runs):
    """Quantifying the difference: test error per epoch of each model, log scale; with several
    seeds, their mean and a band from the best to the worst seed."""
    figure, axis = plt.subplots(figsize=(8, 5))
    for script, seeds in sorted(runs.items()):
        length = min(len(epochs) for epochs, _ in seeds.values())  # the epochs every seed reached
        epochs = next(iter(seeds.values()))[0][:length]
        errors = 1 - np.array([accuracies[:length] for _, accuracies in seeds.values()])
        label = f"{NAMES.get(script, script)} ({len(seeds)} seed{'s' if len(seeds) > 1 else ''})"
        line, = axis.plot(epochs, errors.mean(axis=0), label=label)
        if len(seeds) > 1:
            axis.fill_between(epochs, errors.min(axis=0), errors.max(axis=0), color=line.get_color(), alpha=0.3,
                              linewidth=0)
        if script in talk.SCRIPTS:
            axis.axhline(1 - talk.slides_accuracy(script), color=line.get_color(), linestyle=":", linewidth=1)
    axis.set_yscale("log")
    axis.set(title="Quantifying the difference: mean over seeds, band from best to worst seed\n"
                   "(dotted: the slides' final error)", xlabel="epoch", ylabel="test error (log scale)")
    axis.legend()
    return figure


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["compare"])
    parser.add_argument("trajectories", help="CSV with columns script, epoch, test_accuracy")
    parser.add_argument("output", help="PNG file to write")
    args = parser.parse_args()
    write(os.path.dirname(args.output) or os.curdir,
          {os.path.basename(args.output): comparison(read_trajectories(args.trajectories))})


if __name__ == "__main__":
    main()
