"""Run scripts 2-5 at the talk's settings and record what they reach, for docs/results.md.

    python benchmarks/talk_benchmark.py --data-dir PATH             # 100 epochs each
    python benchmarks/talk_benchmark.py 5_convolutional_net.py --epochs 30
    python benchmarks/talk_benchmark.py --table     # the tables of docs/results.md, from results/
    python benchmarks/talk_benchmark.py 3_net.py --seeds 2 3 4 5 --data-dir PATH
    python benchmarks/talk_benchmark.py 3_net.py --seeds 1 --lr 0.5 --data-dir PATH
    python benchmarks/talk_benchmark.py 4_modern_net.py --seeds 1 --validation 10000 --data-dir PATH

Each script runs as a user would run it (full MNIST, batch 128, its own learning
rate, a fixed seed). Its output goes to results/<script>.log, its figures to
results/figures/ (all of a script's pictures show the model of this one run), its model
to models/ (--models), where demos/draw.py finds it; its epochs replace its rows in results/trajectories.csv, and
results/summary.json gets its final and best test accuracy, the epoch where the
slides' number was first reached, the median seconds per epoch, the peak memory and
the run's record (command, date, machine, load, versions: benchmarks/record.py).
Long: run it in the background.

With --seeds, each (script, seed) runs in a process of its own, without figures, and
its epochs go to results/seeds.csv (with its seed, and its --lr if given) as soon as it
finishes, its record to results/seeds.json, its output to the end of results/seeds.log;
a (script, seed, lr) already recorded with as many epochs is skipped, so a rerun goes
on with the runs not yet recorded (a run that was stopped starts again).
With --validation N as well, the scripts train on all but the last N training images
and report the accuracy on those too; the runs go to results/validation_N.csv.
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from common import bounds  # noqa: E402
from common.epoch_line import PATTERN as EPOCH_LINE  # noqa: E402
from common.talk import SCRIPTS, slides_accuracy  # noqa: E402
import measured  # noqa: E402
import record  # noqa: E402
RESULTS = os.path.join(REPO, "results")
SLIDES = {script: slides_accuracy(script) for script in SCRIPTS}
FIELDS = ["script", "epoch", "test_accuracy", "train_cost", "seconds"]
SEED_FIELDS = ["script", "seed", "lr", "epoch", "test_accuracy", "train_cost", "seconds"]  # lr "": the script's own
VALIDATION_FIELDS = SEED_FIELDS + ["validation_accuracy"]


def run(script, flags, log_path, mode="w"):
    """Run one script, echoing and logging its output; return (epoch rows, peak RSS in MiB, exit status,
    the run's record, with the files its --figures wrote)."""
    rows, written = [], []
    started = record.start([script, *flags])
    with open(log_path, mode) as log:
        log.write(f"$ {started['command']}\n")
        process = subprocess.Popen([sys.executable, script, *flags], cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:
            line = record.scrubbed(line, [script, *flags])
            log.write(line)
            log.flush()
            print(line, end="", flush=True)
            if line.startswith("wrote "):
                written.append(line[len("wrote "):].strip())
            match = EPOCH_LINE.match(line.rstrip("\n"))
            if match:
                rows.append({"script": script, "epoch": int(match["epoch"]), "test_accuracy": float(match["accuracy"]),
                             "train_cost": float(match["cost"]), "seconds": float(match["seconds"])})
                if match["validation"]:
                    rows[-1]["validation_accuracy"] = float(match["validation"])
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
        process.returncode = os.waitstatus_to_exitcode(status)
        finished = record.finish(started)
        if written:
            finished["wrote"] = written
        log.write(f"{record.RUN_LINE}{json.dumps(finished)}\n")
    return rows, usage.ru_maxrss / 1024, process.returncode, finished


def summarize(script, rows, peak_mib, run_record):
    accuracies = [r["test_accuracy"] for r in rows]
    best = max(range(len(rows)), key=lambda i: accuracies[i])
    reached = next((r["epoch"] for r in rows if r["test_accuracy"] >= SLIDES[script]), None)
    return {"epochs": len(rows), "final_accuracy": accuracies[-1], "best_accuracy": accuracies[best],
            "best_epoch": rows[best]["epoch"], "slides_accuracy": SLIDES[script],
            "first_epoch_at_slides": reached,
            "median_seconds_per_epoch": statistics.median(r["seconds"] for r in rows),
            "peak_memory_mib": round(peak_mib), "run": run_record}


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


def record_seed(path, key, rows, run_record):
    """Put one finished run's epochs in `path`, and its record in the .json beside it, in place
    of any earlier run of the same key."""
    runs = measured.read_runs(path)
    runs[key] = [{"seed": key[1], "lr": key[2], **row} for row in rows]
    order = sorted(runs, key=lambda k: (k[0], k[2], k[1]))
    with open(path + ".tmp", "w", newline="") as f:
        writer = csv.DictWriter(f, VALIDATION_FIELDS if "validation_accuracy" in rows[0] else SEED_FIELDS)
        writer.writeheader()
        for each in order:
            writer.writerows(runs[each])
    os.replace(path + ".tmp", path)
    records_path = os.path.splitext(path)[0] + ".json"
    records = {}
    if os.path.exists(records_path):
        with open(records_path) as f:
            records = {(r["script"], r["seed"], r["lr"]): r for r in json.load(f)["runs"]}
    records[key] = {"script": key[0], "seed": key[1], "lr": key[2], "epochs": len(rows), **run_record}
    with open(records_path + ".tmp", "w") as f:
        json.dump({"runs": [records[each] for each in order if each in records]}, f, indent=1)
        f.write("\n")
    os.replace(records_path + ".tmp", records_path)


def run_seeds(scripts, seeds, epochs, lr, validation, data_dir, path):
    log_path = os.path.splitext(path)[0] + ".log"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    for script in scripts:
        for seed in seeds:
            key = (script, seed, "" if lr is None else str(lr))
            if len(measured.read_runs(path).get(key, [])) == epochs:
                print(f"skipping {script} seed {seed}{' lr ' + key[2] if lr else ''}: already recorded", flush=True)
                continue
            flags = ["--epochs", str(epochs), "--seed", str(seed)] + (["--lr", str(lr)] if lr else [])
            flags += ["--validation", str(validation)] if validation else []
            flags += ["--data-dir", data_dir] if data_dir else []
            rows, _, status, run_record = run(script, flags, log_path, mode="a")
            if status != 0 or len(rows) != epochs:  # a stopped run is not recorded: the next rerun redoes it
                print(f"{script} seed {seed} stopped after {len(rows)} epochs (exit status {status}); "
                      "not recorded", flush=True)
                continue
            record_seed(path, key, rows, run_record)
            print(f"recorded {script} seed {seed}: {rows[-1]['test_accuracy']:.2%} at epoch {epochs}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scripts", nargs="*", metavar="SCRIPT", help="the scripts to run (default: all four)")
    parser.add_argument("--epochs", type=bounds.whole(1), default=100,
                        help="passes over the training data in each run (default: %(default)s, as in the talk)")
    parser.add_argument("--seed", type=bounds.seed(dropout=True), default=1,
                        help="the seed of each script's run (default: %(default)s); --seeds runs several instead")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: as load.py finds them)")
    parser.add_argument("--models", default="models",
                        help="where the runs save their models, for demos/draw.py (default: %(default)s, draw.py's)")
    parser.add_argument("--seeds", type=bounds.seed(dropout=True), nargs="+", metavar="SEED",
                        help="run each script once per seed, into results/seeds.csv (see above)")
    parser.add_argument("--lr", type=bounds.positive, help="with --seeds: this learning rate, not the script's own")
    parser.add_argument("--validation", type=bounds.whole(0), default=0, metavar="N",
                        help="with --seeds: hold out the last N training images and record the validation "
                             "accuracy of each epoch too, into results/validation_N.csv")
    parser.add_argument("--seeds-file", metavar="PATH",
                        help="where --seeds records its runs, their output beside it in .log "
                             "(default: results/seeds.csv, or results/validation_N.csv)")
    parser.add_argument("--table", action="store_true",
                        help="only print the results tables of docs/results.md (seed 1, over the seeds, with --validation)")
    args = parser.parse_args()
    if (args.lr is not None or args.validation) and not args.seeds:
        parser.error("--lr and --validation need --seeds: the main runs are at the talk's settings")
    for script in args.scripts:
        if script not in SCRIPTS:
            parser.error(f"{script} is not one of {', '.join(SCRIPTS)}")
    if args.table:
        seeds_file = args.seeds_file or os.path.join(RESULTS, "seeds.csv")
        folder = os.path.dirname(os.path.abspath(seeds_file))
        if os.path.exists(os.path.join(folder, "summary.json")):
            print(measured.talk_table(measured.read_json(folder, "summary.json")), end="\n\n")
        runs = measured.read_runs(seeds_file)
        print(measured.seeds_table(runs), measured.experiments_table(runs), sep="\n\n")
        for name in sorted(os.listdir(folder)):  # and the --validation runs beside it
            if re.fullmatch(r"validation_\d+\.csv", name):
                print("\n" + measured.validation_table(measured.read_runs(os.path.join(folder, name)),
                                                       re.search(r"\d+", name)[0]))
        return
    os.makedirs(RESULTS, exist_ok=True)
    if args.seeds:
        path = args.seeds_file or os.path.join(RESULTS, f"validation_{args.validation}.csv" if args.validation
                                               else "seeds.csv")
        return run_seeds(args.scripts or SCRIPTS, args.seeds, args.epochs, args.lr, args.validation, args.data_dir,
                         path)
    summary_path = os.path.join(RESULTS, "summary.json")
    for script in args.scripts or SCRIPTS:
        flags = ["--epochs", str(args.epochs), "--seed", str(args.seed), "--figures", "results/figures",  # run in REPO
                 "--save-model", os.path.join(args.models, script[:-3] + ".npz")]
        flags += ["--data-dir", args.data_dir] if args.data_dir else []
        rows, peak_mib, status, run_record = run(script, flags, os.path.join(RESULTS, script[:-3] + ".log"))
        if not rows:
            sys.exit(f"{script} finished no epoch (exit status {status}); see results/{script[:-3]}.log")
        replace_rows(os.path.join(RESULTS, "trajectories.csv"), script, rows)
        summary = {}
        if os.path.exists(summary_path):  # read now: another run may have written it meanwhile
            with open(summary_path) as f:
                summary = json.load(f)
        summary[script] = summarize(script, rows, peak_mib, run_record)
        with open(summary_path + ".tmp", "w") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
        os.replace(summary_path + ".tmp", summary_path)
        print(f"recorded {script}: {json.dumps(summary[script])}", flush=True)


if __name__ == "__main__":
    main()
