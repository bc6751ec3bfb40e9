"""The demos' pictures: k-nearest neighbours, the 2D moons' boundaries and hidden units,
and what a "modern" net is doing. Written like the scripts' pictures, with figures.write()."""
import figures  # first: it sets matplotlib's backend
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation


# k-nearest neighbours (demos/knn.py)

def knn_neighbours(images, labels, guesses, near_images, near_labels, near_distances, k, title):
    """Each test digit (first column) beside its nearest training images, nearest first,
    with their labels and distances; the k that voted are framed, green if their label
    is right, red if not."""
    rows, columns = near_labels.shape
    figure, axes = plt.subplots(rows, columns + 1, figsize=(1.3 * (columns + 1), 1.55 * rows), squeeze=False)
    for row, image, label, guess, pictures, their_labels, distances in zip(
            axes, images, labels, guesses, near_images, near_labels, near_distances):
        figures.image(row[0], image.reshape(28, 28), cmap="gray_r")
        row[0].set_title(f"{label}: guessed {guess}", fontsize=9, color="black" if guess == label else "tab:red")
        for rank, (axis, picture, near_label, distance) in enumerate(zip(row[1:], pictures, their_labels, distances)):
            figures.image(axis, picture.reshape(28, 28), cmap="gray_r")
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
    traces: moons.Trace objects, of the same number of steps."""
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
            axis.xaxis.set_visible(False)
            axis.yaxis.set_visible(False)
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

    # laid out once, on the first frame: the frames change no size, so each is drawn as laid out
    draw(0)
    figure.draw_without_rendering()
    figure.set_layout_engine("none")
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
            figures.image(axis, picture.reshape(side, side), title, cmap="gray_r" if row == 0 else "viridis")
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
