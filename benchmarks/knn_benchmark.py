"""demos/knn.py on full MNIST (10000 test against 60000 training images), beside
scikit-learn's brute-force KNeighborsClassifier doing the same search on the same data.

    python benchmarks/knn_benchmark.py --data-dir PATH [--k 1 3] [--rounds 3]

Each round runs the Theano program, then scikit-learn (this file with --peer), each in a
fresh process, alternating so that both see the same machine load. Seconds are those of
the search alone (Theano: the compiled graph over all chunks; scikit-learn: fit and
predict), without loading and compiling; peak memory is each process's own. It prints
and writes to results/knn.json (with the run's record: benchmarks/record.py) the
medians, the ratio Theano / scikit-learn and both accuracies, which must agree for
k=1. For k above 1 they may differ by a few images: scikit-learn gives a tie between
labels to the smallest label, knn.py to the nearer neighbour. Takes a few minutes a
round: run it in the background.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from importlib import metadata

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
import record  # noqa: E402
from common import bounds  # noqa: E402
from common import talk  # noqa: E402
SUMMARY = re.compile(r"^knn\.py: test accuracy ([\d.]+) .* in ([\d.]+) s", re.M)


def peer(k, data_dir):
    """scikit-learn's answer, printed as knn.py prints its own."""
    import load
    from sklearn.neighbors import KNeighborsClassifier
    trX, teX, trY, teY = load.mnist(None, None, onehot=False, data_dir=data_dir)
    start = time.time()
    predictions = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(trX, trY).predict(teX)
    seconds = time.time() - start
    accuracy = (predictions == teY).mean()
    print(f"knn.py: test accuracy {accuracy:.4f} ({(predictions != teY).sum()} of {len(teY)} wrong) in {seconds:.1f} s")


def measure(command):
    """(accuracy, search seconds, peak memory MiB) of one run of `command` in a fresh process."""
    process = subprocess.Popen([sys.executable, *command], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
    found = SUMMARY.search(output)
    if status != 0 or not found:
        sys.exit(f"{' '.join(command)} failed (exit status {os.waitstatus_to_exitcode(status)}):\n{output}")
    return float(found.group(1)), float(found.group(2)), usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=bounds.whole(1), nargs="+", default=[1, 3],
                        help="the k of each kNN to measure, in demos/knn.py and in scikit-learn (default: 1 3)")
    parser.add_argument("--rounds", type=bounds.whole(1), default=3,
                        help="runs of each, whose median time and memory are recorded (default: %(default)s)")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: as load.py finds them)")
    parser.add_argument("--peer", action="store_true", help="run scikit-learn once (the benchmark does this)")
    args = parser.parse_args()
    data = ["--data-dir", args.data_dir] if args.data_dir else []
    if args.peer:
        return peer(args.k[0], args.data_dir)
    report = {"run": record.start(peers={"scikit-learn": metadata.version("scikit-learn")}),
              "slides_accuracy": talk.KNN_ACCURACY, "test_images": 10000, "training_images": 60000,
              "rounds": args.rounds, "runs": []}
    for k in args.k:
        runs = {"theano": [], "sklearn": []}
        for round_ in range(1, args.rounds + 1):
            runs["theano"].append(measure(["demos/knn.py", "--k", str(k), *data]))
            runs["sklearn"].append(measure([__file__, "--peer", "--k", str(k), *data]))
            print(f"k={k} round {round_}: Theano {runs['theano'][-1]}, scikit-learn {runs['sklearn'][-1]}",
                  file=sys.stderr, flush=True)
        entry = {"k": k}
        for name, measured in runs.items():
            assert len({m[0] for m in measured}) == 1, measured  # the same answer every round
            entry[name] = {"accuracy": measured[0][0], "seconds": statistics.median(m[1] for m in measured),
                           "peak_memory_mib": round(statistics.median(m[2] for m in measured))}
        entry["ratio_seconds_theano_to_sklearn"] = round(entry["theano"]["seconds"] / entry["sklearn"]["seconds"], 2)
        report["runs"].append(entry)
    print(f"{'k':>2} {'Theano acc':>10} {'sklearn acc':>11} {'Theano s':>9} {'sklearn s':>9} {'ratio':>6} "
          f"{'Theano MiB':>10} {'sklearn MiB':>11}")
    for e in report["runs"]:
        t, s = e["theano"], e["sklearn"]
        print(f"{e['k']:>2} {t['accuracy']:>10.4f} {s['accuracy']:>11.4f} {t['seconds']:>9.1f} {s['seconds']:>9.1f} "
              f"{e['ratio_seconds_theano_to_sklearn']:>6.2f} {t['peak_memory_mib']:>10} {s['peak_memory_mib']:>11}")
    report["run"] = record.finish(report["run"])
    with open(os.path.join(REPO, "results", "knn.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
