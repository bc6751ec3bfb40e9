"""Run scripts 2-5 at the talk's settings and record what they reach, for the README.

    python benchmarks/talk_benchmark.py --data-dir ../shared/mnist             # 100 epochs each
    python benchmarks/talk_benchmark.py 5_convolutional_net.py --epochs 30
    python benchmarks/talk_benchmark.py --table     # the README's results table, from results/

Each script runs as a user would run it (full MNIST, batch 128, its own learning
rate, a fixed seed). Its output goes to results/<script>.log, its figures to
results/figures/; its epochs replace its rows in results/trajectories.csv, and
results/summary.json gets its final and best test accuracy, the epoch where the
slides' number was first reached, the median seconds per epoch and the peak memory.
Long: run it in the background.
"""
import argparse
import csv
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from figures import SLIDES  # noqa: E402  the slides' accuracy of each script
RESULTS = os.path.join(REPO, "results")
SCRIPTS = ["2_logistic_regression.py", "3_net.py", "4_modern_net.py", "5_convolutional_net.py"]
EPOCH_LINE = re.compile(r"^epoch +(\d+) +test accuracy ([\d.]+) +train cost ([\d.]+) +([\d.]+) s$")
FIELDS = ["script", "epoch", "test_accuracy", "train_cost", "seconds"]


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {cpu}"


def run(script, flags, log_path):
    """Run one script, echoing and logging its output; return (epoch rows, peak RSS in MiB, exit status)."""
    rows = []
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, script, *flags], cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:
            log.write(line)
            log.flush()
            print(line, end="", flush=True)
            match = EPOCH_LINE.match(line.rstrip("\n"))
            if match:
                epoch, accuracy, cost, seconds = match.groups()
                rows.append({"script": script, "epoch": int(epoch), "test_accuracy": float(accuracy),
                             "train_cost": float(cost), "seconds": float(seconds)})
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
        process.returncode = os.waitstatus_to_exitcode(status)
    return rows, usage.ru_maxrss / 1024, process.returncode


def summarize(script, rows, peak_mib, flags):
    accuracies = [r["test_accuracy"] for r in rows]
    best = max(range(len(rows)), key=lambda i: accuracies[i])
    reached = next((r["epoch"] for r in rows if r["test_accuracy"] >= SLIDES[script]), None)
    return {"epochs": len(rows), "final_accuracy": accuracies[-1], "best_accuracy": accuracies[best],
            "best_epoch": rows[best]["epoch"], "slides_accuracy": SLIDES[script],
            "first_epoch_at_slides": reached,
            "median_seconds_per_epoch": statistics.median(r["seconds"] for r in rows),
            "peak_memory_mib": round(peak_mib), "flags": " ".join(flags), "machine": machine(),
            "date": time.strftime("%Y-%m-%d")}


def replace_rows(path, script, rows):
    kept = []
    if os.path.exists(path):
        with open(path, newline="") as f:
            kept = [r for r in csv.DictReader(f) if r["script"] != script]
    with open(path + ".tmp", "w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(sorted(kept + rows, key=lambda r: (r["script"], int(r["epoch"]))))
    os.replace(path + ".tmp", path)


def table():
    """The README's results table, from results/summary.json and results/speed.json."""
    with open(os.path.join(RESULTS, "summary.json")) as f:
        summary = json.load(f)
    speed_path = os.path.join(RESULTS, "speed.json")
    speed = json.load(open(speed_path))["scripts"] if os.path.exists(speed_path) else {}
    print("| script | slides | measured: final (best, at epoch) | epochs, seed | slides' number first reached "
          "| s/epoch in this run | s/epoch: Theano / PyTorch (ratio) | peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for script in SCRIPTS:
        if script not in summary:
            continue
        r = summary[script]
        seed = r["flags"].split("--seed ")[1].split()[0]
        reached = f"epoch {r['first_epoch_at_slides']}" if r["first_epoch_at_slides"] else "not in this run"
        s = speed.get(script)
        versus = f"{s['theano_seconds_per_epoch']:.2f} / {s['torch_seconds_per_epoch']:.2f} ({s['ratio']:.2f}×)" if s else "—"
        print(f"| `{script}` | {r['slides_accuracy']:.1%} | {r['final_accuracy']:.2%} ({r['best_accuracy']:.2%}, "
              f"{r['best_epoch']}) | {r['epochs']}, {seed} | {reached} | {r['median_seconds_per_epoch']:.2f} "
              f"| {versus} | {r['peak_memory_mib']} MiB |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scripts", nargs="*", metavar="SCRIPT", help="default: all four")
    parser.add_argument("--epochs", type=int, default=100, help="default: %(default)s, as in the talk")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: as load.py finds them)")
    parser.add_argument("--table", action="store_true", help="only print the README's results table")
    args = parser.parse_args()
    for script in args.scripts:
        if script not in SCRIPTS:
            parser.error(f"{script} is not one of {', '.join(SCRIPTS)}")
    if args.table:
        return table()
    os.makedirs(RESULTS, exist_ok=True)
    summary_path = os.path.join(RESULTS, "summary.json")
    for script in args.scripts or SCRIPTS:
        flags = ["--epochs", str(args.epochs), "--seed", str(args.seed), "--figures", "results/figures"]  # the scripts run in REPO
        flags += ["--data-dir", args.data_dir] if args.data_dir else []
        rows, peak_mib, status = run(script, flags, os.path.join(RESULTS, script[:-3] + ".log"))
        if not rows:
            sys.exit(f"{script} finished no epoch (exit status {status}); see results/{script[:-3]}.log")
        replace_rows(os.path.join(RESULTS, "trajectories.csv"), script, rows)
        summary = {}
        if os.path.exists(summary_path):  # read now: another run may have written it meanwhile
            with open(summary_path) as f:
                summary = json.load(f)
        summary[script] = summarize(script, rows, peak_mib, flags)
        with open(summary_path + ".tmp", "w") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
        os.replace(summary_path + ".tmp", summary_path)
        print(f"recorded {script}: {json.dumps(summary[script])}", flush=True)


if __name__ == "__main__":
    main()
