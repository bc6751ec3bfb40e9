"""Quantifying the difference: the test error of the four models per epoch, over the
recorded seeds (or of one run each, from results/trajectories.csv).

    python benchmarks/comparison.py results/seeds.csv results/comparison.png
"""
import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import figures  # noqa: E402  first: it sets matplotlib's backend
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from common import talk  # noqa: E402


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
        name = talk.model(script) if script in talk.SCRIPTS else script
        label = f"{name} ({len(seeds)} seed{'s' if len(seeds) > 1 else ''})"
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
    parser.add_argument("trajectories", help="CSV with columns script, epoch, test_accuracy")
    parser.add_argument("output", help="PNG file to write")
    args = parser.parse_args()
    figures.write(os.path.dirname(args.output) or os.curdir,
                  {os.path.basename(args.output): comparison(read_trajectories(args.trajectories))})


if __name__ == "__main__":
    main()
