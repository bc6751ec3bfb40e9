"""Seconds per epoch of scripts 2-5, each beside the same model in PyTorch, measured in one run.

    pip install torch==2.13.0      # the reference; not a requirement of the project
    python benchmarks/speed_benchmark.py --data-dir PATH [--rounds 3] [SCRIPT ...]
    python benchmarks/speed_benchmark.py --startup --data-dir PATH [--rounds 3] [SCRIPT ...]

Each round runs every script for a few epochs on full MNIST (batch 128), then its
PyTorch twin (benchmarks/torch_reference.py), as separate processes, alternating so
that both see the same machine load. It prints the median seconds per epoch of each
(compile time excluded, test evaluation included) and their ratio, and writes them to
results/speed.json (keeping the scripts it did not measure). This machine is shared
and noisy: read the ratios, not the seconds.

--startup measures what a learner waits for on a short run (--epochs 1 --ntrain 1280
--ntest 500): whole-process seconds, and seconds to the first epoch line, of each script
run first alone in an empty Theano compiledir; first after the scripts before it, in a
compiledir of their own (as a learner meets it); later, once all have run there; and of
its PyTorch twin. Medians over the rounds, into results/startup.json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))
from cpu import machine  # noqa: E402
from talk_benchmark import EPOCH_LINE  # noqa: E402
SCRIPTS = {"2_logistic_regression.py": 3, "3_net.py": 3, "4_modern_net.py": 3, "5_convolutional_net.py": 1}
SHORT_RUN = ["--epochs", "1", "--ntrain", "1280", "--ntest", "500"]


def epoch_seconds(command):
    result = subprocess.run([sys.executable, *command], cwd=REPO, capture_output=True, text=True)
    seconds = [float(m["seconds"]) for m in map(EPOCH_LINE.match, result.stdout.splitlines()) if m]
    if result.returncode != 0 or not seconds:
        sys.exit(f"{' '.join(command)} failed (exit status {result.returncode}):\n{result.stdout}{result.stderr}")
    return seconds


def whole_process(command, env=None):
    """(seconds to the first epoch line, seconds for the whole process) of one run."""
    start = time.perf_counter()
    first_epoch = None
    process = subprocess.Popen([sys.executable, *command], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env)
    output = []
    for line in process.stdout:
        output.append(line)
        if first_epoch is None and EPOCH_LINE.match(line.rstrip("\n")):
            first_epoch = time.perf_counter() - start
    if process.wait() != 0 or first_epoch is None:
        sys.exit(f"{' '.join(command)} failed (exit status {process.returncode}):\n{''.join(output)}")
    return first_epoch, time.perf_counter() - start


def startup(scripts, rounds, data):
    """Whole-process seconds of a short run, and to its first epoch line: each script's first
    run alone in an empty compiledir, its first run after the scripts before it (as a
    learner meets it, running them in order), a later run once all have run, and PyTorch's."""
    runs = ("first", "in_order", "later", "torch")
    times = {script: {run: [] for run in runs} for script in scripts}

    def theano(script, compiledir):
        flags = f"{os.environ.get('THEANO_FLAGS', '')},base_compiledir={compiledir}".lstrip(",")
        return whole_process([script, *SHORT_RUN, *data], {**os.environ, "THEANO_FLAGS": flags})

    for round_ in range(1, rounds + 1):
        with tempfile.TemporaryDirectory() as learner:
            for script in scripts:
                with tempfile.TemporaryDirectory() as empty:
                    times[script]["first"].append(theano(script, empty))
                times[script]["in_order"].append(theano(script, learner))
            for script in scripts:
                times[script]["later"].append(theano(script, learner))
                times[script]["torch"].append(whole_process(["benchmarks/torch_reference.py", script, *SHORT_RUN,
                                                             *data]))
        print(f"round {round_} done", file=sys.stderr, flush=True)
    report = {"machine": machine(), "flags": " ".join(SHORT_RUN), "rounds": rounds,
              "date": time.strftime("%Y-%m-%d %H:%M"), "scripts": {}}
    print(f"{'script':<24} {'first, alone':>12} {'first, in order':>15} {'later':>6} {'PyTorch':>8} {'later/PyTorch':>13}"
          f"   (whole process, s; to the first epoch line in brackets)")
    for script, measured in times.items():
        medians = {run: [round(statistics.median(t[i] for t in measured[run]), 2) for i in (0, 1)] for run in runs}
        ratio = round(medians["later"][1] / medians["torch"][1], 2)
        report["scripts"][script] = {**{f"{run}_seconds": medians[run][1] for run in runs},
                                     **{f"{run}_to_first_epoch": medians[run][0] for run in runs},
                                     "later_over_torch": ratio}
        print(f"{script:<24} {medians['first'][1]:>12.1f} {medians['in_order'][1]:>15.1f} {medians['later'][1]:>6.1f} "
              f"{medians['torch'][1]:>8.1f} {ratio:>13.2f}   ({', '.join(f'{medians[r][0]:.1f}' for r in runs)})")
    with open(os.path.join(REPO, "results", "startup.json"), "w") as f:
        json.dump(report, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scripts", nargs="*", metavar="SCRIPT", help="the scripts to time (default: all four)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of runs, whose median seconds per epoch are recorded (default: %(default)s)")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: as load.py finds them)")
    parser.add_argument("--startup", action="store_true", help="time a short run's whole process instead")
    args = parser.parse_args()
    for script in args.scripts:
        if script not in SCRIPTS:
            parser.error(f"{script} is not one of {', '.join(SCRIPTS)}")
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("The reference needs PyTorch, which the project does not install: pip install torch==2.13.0")
    data = ["--data-dir", args.data_dir] if args.data_dir else []
    chosen = args.scripts or list(SCRIPTS)
    if args.startup:
        return startup(chosen, args.rounds, data)
    times = {script: {"theano": [], "torch": []} for script in chosen}
    for round_ in range(1, args.rounds + 1):
        for script, epochs in SCRIPTS.items():
            if script in chosen:
                flags = ["--epochs", str(epochs), *data]
                times[script]["theano"] += epoch_seconds([script, *flags])
                times[script]["torch"] += epoch_seconds(["benchmarks/torch_reference.py", script, *flags])
                print(f"round {round_}: {script} done", file=sys.stderr, flush=True)
    print(f"{'script':<24} {'Theano s/epoch':>14} {'PyTorch s/epoch':>15} {'ratio':>6}")
    path = os.path.join(REPO, "results", "speed.json")
    report = {"scripts": {}}
    if os.path.exists(path):  # keep the scripts this run did not measure
        with open(path) as f:
            report = json.load(f)
    for script, measured in times.items():
        theano, reference = statistics.median(measured["theano"]), statistics.median(measured["torch"])
        report["scripts"][script] = {"theano_seconds_per_epoch": theano, "torch_seconds_per_epoch": reference,
                                     "ratio": round(theano / reference, 2), "epochs_timed": len(measured["theano"]),
                                     "rounds": args.rounds, "date": time.strftime("%Y-%m-%d %H:%M"),
                                     "machine": machine()}
        print(f"{script:<24} {theano:>14.2f} {reference:>15.2f} {theano / reference:>6.2f}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
