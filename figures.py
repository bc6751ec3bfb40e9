"""The numbered scripts' pictures, drawn from a run: what each model learned, and how it learned.

The scripts call write() for --figures DIR and, in a notebook, to show the pictures under
the cell (the training scripts with draw()'s figures). The demos draw theirs with
demos/_pictures.py, and benchmarks/comparison.py the comparison of the four models.
"""
import io
import os
import tempfile
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")  # no display needed: write() shows a notebook the pictures itself
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import animation  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from common.errors import PathError  # noqa: E402
from common import talk  # noqa: E402
from common.jupyter_kernel import in_notebook  # noqa: E402
from common.datasets import CLASS_WORD, CLASSES, SUBJECT  # noqa: E402


class Trained(NamedTuple):
    """What draw() shows of one training run, handed over by the harness."""
    script: str  # the program's name, which the files' names start with
    name: str  # its model's name, one of common/talk.py's MODELS: which pictures of its weights
    dataset: str
    seed: int
    loaded: str  # the --load-model file it started from, or None
    slides: float  # the slides' test accuracy, or None on other data
    accuracies: list  # per epoch: the test accuracy, the mean training cost, the validation accuracy
    costs: list
    validation_accuracies: list
    weights: np.ndarray  # the first layer's weights
    images: np.ndarray  # the test images, in the shape the model takes
    labels: np.ndarray  # their classes
    probabilities: np.ndarray  # the model's ten probabilities for each test image
    responses: list  # a convnet's blocks' responses to a test image, or None


def draw(run):
    """The figures of one training run (a Trained), as {file name: figure} for write(). Each
    picture says which model it shows: its epochs, seed and test accuracy."""
    stem = os.path.splitext(run.script)[0]
    answers = np.argmax(run.probabilities, axis=1)
    about = trained_model(run, np.mean(answers == run.labels))
    named = {stem + "_learning_curve.png": learning_curve(run.accuracies, run.costs, run.script, run.slides,
                                                          run.validation_accuracies, about)}
    shown = talk.MODELS[run.name]
    if shown == "classes":
        named[stem + "_weights.png"] = class_weights(run.weights, run.dataset, about)
    elif shown == "hidden units":
        named[stem + "_hidden_units.png"] = hidden_units(run.weights, about=about)
    else:
        named[stem + "_filters.png"] = conv_filters(run.weights, about)
        if run.responses is not None:
            named[stem + "_responses.png"] = conv_responses(run.responses, run.dataset, about)
    # what the model gets wrong on the test set, from its own probabilities
    named[stem + "_mistakes.png"] = mistakes(run.images, run.labels, run.probabilities, run.name, run.dataset,
                                             about=about)
    named[stem + "_confusion.png"] = confusion(run.labels, answers, run.name, run.dataset, about)
    named[stem + "_confusion.csv"] = confusion_csv(run.labels, answers, run.dataset)  # the numbers it shows
    return named


def trained_model(run, accuracy):
    """One line naming the model a run's pictures show: its training and its test accuracy."""
    epochs = len(run.accuracies)
    trained = f"{epochs} epoch{'s' * (epochs != 1)}, seed {run.seed}"
    if run.loaded:
        loaded = f"weights from {os.path.basename(run.loaded)}"
        trained = f"{loaded} + {trained}" if epochs else loaded
    return f"{run.script}, {trained}: test accuracy {accuracy:.2%}"


def _titled(title, about):
    return title if about is None else f"{title}\n{about}"


def write(folder, named_figures):
    """Put each picture {file name: figure} where the learner is: in a notebook, under the
    cell that drew it; with a folder (--figures DIR), also as a file there, saying where:
    a Figure as PNG, an Animation as GIF, text (the numbers a picture shows) as it is. A folder that cannot be written (it became a
    file, the disk is full) is a one-paragraph error."""
    try:
        if folder:
            os.makedirs(folder, exist_ok=True)
        for name, figure in named_figures.items():
            content = figure.encode() if isinstance(figure, str) else _encoded(figure)
            if in_notebook() and not isinstance(figure, str):
                from IPython.display import Image, display
                display(Image(data=content, format=os.path.splitext(name)[1][1:]))
            if folder:
                path = os.path.join(folder, name)
                with open(path, "wb") as f:
                    f.write(content)
                print(f"wrote {path}")
    except OSError as error:
        raise PathError(f"Could not write the figures into {folder} ({error.strerror or error}). "
                        f"Free some disk space or choose a folder that can be written.") from None


class _GIF(animation.AbstractMovieWriter):
    """A GIF of each frame as the animation has just drawn it, at the GIF's dpi
    (matplotlib's PillowWriter draws every frame a second time to take it)."""

    def setup(self, fig, outfile, dpi=None):
        super().setup(fig, outfile, dpi)
        fig.set_dpi(self.dpi)  # the animation draws each frame at the GIF's size
        self.frames = []

    def grab_frame(self, **savefig_kwargs):
        self.frames.append(Image.fromarray(np.array(self.fig.canvas.buffer_rgba())))

    def finish(self):
        self.frames[0].save(self.outfile, save_all=True, append_images=self.frames[1:],
                            duration=int(1000 / self.fps), loop=0)


def _encoded(figure):
    """The bytes of a Figure's PNG or an Animation's GIF; the figure is closed."""
    if isinstance(figure, animation.Animation):
        with tempfile.TemporaryDirectory() as scratch:  # Pillow writes GIFs to files only
            path = os.path.join(scratch, "animation.gif")
            # small: few frames at a low resolution keep a GIF well under 1 MB
            figure.save(path, writer=_GIF(fps=4), dpi=72)
            plt.close(figure._fig)  # the Animation's Figure
            with open(path, "rb") as f:
                return f.read()
    picture = io.BytesIO()
    figure.savefig(picture, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return picture.getvalue()


def image(axis, picture, title=None, cmap="RdBu_r"):
    """A picture with a diverging colour map centred on zero, without axes."""
    limit = np.abs(picture).max() or 1
    axis.imshow(picture, cmap=cmap, vmin=-limit if cmap == "RdBu_r" else 0, vmax=limit, interpolation="nearest")
    axis.set_xticks([])
    axis.set_yticks([])
    if title is not None:
        axis.set_title(title)


def learning_curve(accuracies, costs, script, slides=None, validation=(), about=None):
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
    for axis in (left, right):  # whole epochs only: each of a few, or round numbers
        if len(epochs) <= 10:
            axis.set_xticks(epochs)
        else:
            axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    figure.suptitle(_titled(f"{script}: how it learned", about))
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


def class_weights(w, dataset="mnist", about=None):
    """What it learns: one 28x28 weight picture per class (the digits 0 to 9 for MNIST)."""
    figure, axes = plt.subplots(1, 10, figsize=(15, 2.4), constrained_layout=True)  # room for two title lines
    for label, axis in enumerate(axes):
        image(axis, w[:, label].reshape(28, 28), CLASSES[dataset][label])
    figure.suptitle(_titled(f"What it learns: the weights of each {CLASS_WORD[dataset]} (red: evidence for, blue: "
                            "against)", about))
    return figure


def hidden_units(w, count=100, about=None):
    """The incoming weights of the first `count` hidden units, as 28x28 pictures."""
    side = int(np.ceil(np.sqrt(count)))
    figure, axes = plt.subplots(side, side, figsize=(10, 10))
    for unit, axis in enumerate(axes.flat):
        image(axis, w[:, unit].reshape(28, 28))
    figure.suptitle(_titled(f"What the first {count} of {w.shape[1]} hidden units look for (their incoming weights)",
                            about))
    return figure


def conv_filters(w, about=None):
    """The first layer's filters (n_kernels, 1, 3, 3)."""
    columns = 8
    figure, axes = plt.subplots(len(w) // columns, columns, figsize=(8, len(w) // columns + 0.6))
    for kernel, axis in zip(w[:, 0], axes.flat):
        image(axis, kernel)
    figure.suptitle(_titled(f"The {len(w)} first-layer 3x3 filters", about))
    return figure


def conv_responses(blocks, dataset="mnist", about=None):
    """The first 8 response maps of each conv block to one test image (a batch of 1)."""
    figure, axes = plt.subplots(len(blocks), 8, figsize=(12, 1.7 * len(blocks)))
    for number, (row, maps) in enumerate(zip(axes, blocks), start=1):
        maps = maps[0]
        for axis, response in zip(row, maps):
            image(axis, response, cmap="viridis")
        row[0].set_ylabel(f"block {number}\n{maps.shape[0]} maps\n{maps.shape[1]}x{maps.shape[2]}")
    figure.suptitle(_titled(f"Responses of the three conv blocks to one test {SUBJECT[dataset]} (the first 8 maps of "
                            "each)", about))
    return figure


def mistakes(images, labels, probabilities, name, dataset="mnist", count=24, about=None):
    """The `count` test images the model gets wrong with the most confidence, most
    confident first: its answer and probability above each, the true label below."""
    classes, subject = CLASSES[dataset], SUBJECT[dataset]
    answers = np.argmax(probabilities, axis=1)
    wrong = np.nonzero(answers != labels)[0]
    shown = wrong[np.argsort(-probabilities[wrong, answers[wrong]], kind="stable")][:count]
    columns = 8
    rows = max(1, int(np.ceil(len(shown) / columns)))
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 2.1 * rows), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    if not len(shown):
        axes[0, 0].text(0, 0.5, f"no test {subject} is wrong", fontsize=14)
    for axis, index in zip(axes.flat, shown):
        axis.axis("on")
        image(axis, images[index].reshape(28, 28), cmap="gray_r")
        axis.set_title(f"says {classes[answers[index]]} ({probabilities[index, answers[index]]:.0%})", fontsize=10,
                       color="tab:red")
        axis.set_xlabel(f"label {classes[labels[index]]}  #{index + 1}", fontsize=9)
    figure.suptitle(_titled(f"{name}: the {len(shown)} test {subject}s it gets wrong most "
                            f"confidently, of {len(wrong)} wrong in {len(labels)}\n(above: its answer and "
                            f"probability; below: the true label and the test image's number)", about), fontsize=11)
    figure.tight_layout()
    return figure


def confusion_counts(labels, answers):
    """How often each true class (row) got each answer (column)."""
    counts = np.zeros((10, 10), int)
    np.add.at(counts, (labels, answers), 1)
    return counts


def confusion_csv(labels, answers, dataset="mnist"):
    """The confusion matrix as CSV text: a header of the answers, then one row per true class."""
    classes = CLASSES[dataset]
    rows = [["true \\ answer", *classes]] + [[name, *map(str, row)]
                                               for name, row in zip(classes, confusion_counts(labels, answers))]
    return "".join(",".join(row) + "\n" for row in rows)


def confusion(labels, answers, name, dataset="mnist", about=None):
    """The confusion matrix of the test set: how often each true class (row) got each
    answer (column); the diagonal is right, the rest the mistakes."""
    classes, subject = CLASSES[dataset], SUBJECT[dataset]
    counts = confusion_counts(labels, answers)
    figure, axis = plt.subplots(figsize=(6.5, 6))
    off_diagonal = counts * (1 - np.eye(10, dtype=int))
    axis.imshow(off_diagonal, cmap="Reds", vmin=0, vmax=max(off_diagonal.max(), 1))
    for row in range(10):
        for column in range(10):
            if counts[row, column]:
                dark = off_diagonal[row, column] > 0.6 * off_diagonal.max()
                axis.text(column, row, counts[row, column], ha="center", va="center", fontsize=8,
                          color="tab:green" if row == column else "white" if dark else "black")
    axis.set_xticks(range(10), classes, rotation=0 if dataset == "mnist" else 90)
    axis.set_yticks(range(10), classes)
    axis.set(xlabel="the model's answer", ylabel=f"the true {CLASS_WORD[dataset]}")
    wrong = int(off_diagonal.sum())
    axis.set_title(_titled(f"{name}: {wrong} of {counts.sum()} test {subject}s wrong "
                           f"({wrong / counts.sum():.2%})\nconfusion matrix (red: the mistakes; green: right)", about),
                   fontsize=11)
    figure.tight_layout()
    return figure
