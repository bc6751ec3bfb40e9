"""The 2D moons demos' plumbing: the data, the plane their maps cover, the order of the
minibatches, and what a run records and prints as it trains."""
import numpy as np
from sklearn.datasets import make_moons

FRAMES = 20  # boundary snapshots per run, for the animation


def moons(args):
    """Points of two interleaving half circles ("2D moons dataset courtesy of scikit-learn")
    as float32 (points, 2), their labels one-hot (points, 2), and the classes (points,)."""
    X, labels = make_moons(n_samples=args.points, noise=args.noise, random_state=args.seed)
    return X.astype("float32"), np.eye(2, dtype="float32")[labels], labels


def batches(points, steps, batch_size, seed):
    """Index arrays of `steps` minibatches: shuffled passes over the points, one after another,
    each pass drawn when a batch needs it, so that memory does not grow with --steps. A random
    generator of their own, so that the first steps, and the weights, do not depend on --steps;
    each call gives the same batches."""
    shuffle = np.random.RandomState(seed)
    order = np.empty(0, dtype=int)
    for _ in range(steps):
        if len(order) < batch_size:
            passes = -(-(batch_size - len(order)) // points)
            order = np.concatenate([order, *(shuffle.permutation(points) for _ in range(passes))])
        yield order[:batch_size]
        order = order[batch_size:]


def plane(X, size=80):
    """A size x size grid of points covering the data with a margin, as float32 (size*size, 2),
    and its extent (left, right, bottom, top) for drawing."""
    (left, bottom), (right, top) = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xs, ys = np.meshgrid(np.linspace(left, right, size), np.linspace(bottom, top, size))
    return np.column_stack([xs.ravel(), ys.ravel()]).astype("float32"), (left, right, bottom, top)


def frame_steps(steps):
    """The steps at which to snapshot the boundary: 0 (the start), then spaced evenly on a
    log scale up to the last step, as learning moves fastest at the start."""
    return sorted({0} | set(np.geomspace(1, steps, FRAMES - 1).round().astype(int).tolist()))


class Trace:
    """One variant's run: the loss and accuracy on all the points after every step, the
    probability of class 1 over the plane at the frame steps, and a line every tenth of the run."""

    def __init__(self, name, steps, evaluate, probability, grid):
        self.name, self.steps, self.evaluate, self.probability, self.grid = name, steps, evaluate, probability, grid
        self.frames = frame_steps(steps)
        self.losses, self.accuracies, self.maps = [], [], []
        self.record(0)

    def record(self, step):
        loss, accuracy = self.evaluate()
        self.losses.append(float(loss))
        self.accuracies.append(float(accuracy))
        if step in self.frames:
            side = int(round(np.sqrt(len(self.grid))))
            self.maps.append(self.probability(self.grid).reshape(side, side))
        if step % max(self.steps // 10, 1) == 0 or step == self.steps:
            print(f"{self.name:9s} step {step:5d}  loss {loss:.4f}  accuracy {accuracy:.3f}", flush=True)


def summary(traces):
    """The closing line: each variant's loss and accuracy after the last step."""
    results = "; ".join(f"{t.name} loss {t.losses[-1]:.4f} accuracy {t.accuracies[-1]:.3f}" for t in traces)
    return f"after {traces[0].steps} steps from the same start: {results}"
