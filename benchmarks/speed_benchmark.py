"""Seconds per epoch of scripts 2-5, each beside the same model in PyTorch, measured in one
run, and how close each comes to the machine's limit; writes docs/speed.md.

    python3 -m venv ../torchvenv && ../torchvenv/bin/pip install torch==2.13.0 numpy
    python benchmarks/speed_benchmark.py --torch-python ../torchvenv/bin/python --data-dir PATH
        [--rounds 3] [--ntrain N] [--fast-ops-off] [--openblas-kernels CORE] [SCRIPT ...]
    python benchmarks/speed_benchmark.py --startup --torch-python ... --data-dir PATH [--rounds 3] [SCRIPT ...]
    python benchmarks/speed_benchmark.py --docs     # only write the docs' numbers from results/

PyTorch is the reference, not a requirement of the project: give the Python that has it
with --torch-python (or $TORCH_PYTHON; default: this Python).

Each round runs every script for a few epochs on MNIST (batch 128; all 60000 training
images, or the first --ntrain), then its PyTorch twin (benchmarks/torch_reference.py),
as separate processes, alternating so that both see the same machine load; with
--fast-ops-off, the script a third time with harness/fast_ops.py switched off. Each
round also times this machine's float32 matrix product (benchmarks/roofline.py, in a
process of its own, with the scripts' environment) and notes the load average before
each run. It prints the median seconds per epoch of each (compile time excluded, test
evaluation included), their ratio (the median of each round's ratio), and the GFLOP/s
each achieves against the matrix product's, and writes them to results/speed.json
(with --ntrain N: results/speed_ntrain_N.json) with the run's record
(benchmarks/record.py), keeping the scripts it did not measure, and the docs' numbers
from them (docs/make.py). On a shared machine the seconds vary with the load: read
the ratios.

Each row records the OpenBLAS kernels the scripts ran (its pick for the CPU, unless
OPENBLAS_CORETYPE names a set). --openblas-kernels CORE runs the scripts and the matrix
product with OPENBLAS_CORETYPE=CORE instead (auto: unset, OpenBLAS's own pick), into
results/speed[_ntrain_N]_openblas_KERNELS.json: e.g. a machine whose environment pins
OpenBLAS to its AVX2 kernels (Haswell), measured with the AVX-512 ones its CPU has.

--startup measures what a learner waits for on a short run (--epochs 1 --ntrain 1280
--ntest 500): whole-process seconds, and seconds to the first epoch line, of each script
run first alone in an empty Theano compiledir; first after the scripts before it, in a
compiledir of their own (as a learner meets it); later, once all have run there; and of
its PyTorch twin. Medians over the rounds, into results/startup.json and docs/speed.md.
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
sys.path.insert(0, REPO)
from cpu import machine  # noqa: E402
import measured  # noqa: E402
from measured import shared_machine  # noqa: E402
import record  # noqa: E402
from common import bounds  # noqa: E402
from common.epoch_line import PATTERN as EPOCH_LINE  # noqa: E402
from roofline import epoch_flops, training_flops  # noqa: E402
SCRIPTS = {"2_logistic_regression.py": 3, "3_net.py": 3, "4_modern_net.py": 3, "5_convolutional_net.py": 1}
SHORT_RUN = ["--epochs", "1", "--ntrain", "1280", "--ntest", "500"]
MNIST_SIZES = (60000, 10000)  # training and test images
BATCH = 128
RESULTS = os.path.join(REPO, "results")
DOCS = os.path.join(REPO, "docs", "speed.md")


def fast_ops_off(env):
    return {**env, "THEANO_FLAGS": ",".join(flag for flag in (env.get("THEANO_FLAGS", ""),
                                                              "optimizer_excluding=fast_ops") if flag)}


def sgemm_and_kernels(env):
    """(sgemm GFLOP/s, the OpenBLAS kernels of Theano's C code), measured in a process
    with the scripts' environment: OPENBLAS_CORETYPE is read when OpenBLAS loads."""
    code = "from roofline import sgemm_gflops; from cpu import openblas_kernels; print(sgemm_gflops(), openblas_kernels())"
    result = subprocess.run([sys.executable, "-c", code], cwd=os.path.join(REPO, "benchmarks"), env=env,
                            capture_output=True, text=True, check=True)
    gflops, kernels = result.stdout.split()
    return float(gflops), kernels


def load():
    """The machine's load average over the last minute."""
    return os.getloadavg()[0]


def epoch_seconds(python, command, env):
    result = subprocess.run([python, *command], cwd=REPO, capture_output=True, text=True, env=env)
    seconds = [float(m["seconds"]) for m in map(EPOCH_LINE.match, result.stdout.splitlines()) if m]
    if result.returncode != 0 or not seconds:
        sys.exit(f"{' '.join(command)} failed (exit status {result.returncode}):\n{result.stdout}{result.stderr}")
    return seconds


def whole_process(python, command, env=None):
    """(seconds to the first epoch line, seconds for the whole process) of one run."""
    start = time.perf_counter()
    first_epoch = None
    process = subprocess.Popen([python, *command], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env)
    output = []
    for line in process.stdout:
        output.append(line)
        if first_epoch is None and EPOCH_LINE.match(line.rstrip("\n")):
            first_epoch = time.perf_counter() - start
    if process.wait() != 0 or first_epoch is None:
        sys.exit(f"{' '.join(command)} failed (exit status {process.returncode}):\n{''.join(output)}")
    return first_epoch, time.perf_counter() - start


def startup(scripts, rounds, data, torch_python):
    """Whole-process seconds of a short run, and to its first epoch line: each script's first
    run alone in an empty compiledir, its first run after the scripts before it (as a
    learner meets it, running them in order), a later run once all have run, and PyTorch's."""
    runs = ("first", "in_order", "later", "torch")
    times = {script: {run: [] for run in runs} for script in scripts}

    def theano(script, compiledir):
        loads.append(load())
        flags = f"{os.environ.get('THEANO_FLAGS', '')},base_compiledir={compiledir}".lstrip(",")
        return whole_process(sys.executable, [script, *SHORT_RUN, *data], {**os.environ, "THEANO_FLAGS": flags})

    loads = []
    for round_ in range(1, rounds + 1):
        with tempfile.TemporaryDirectory() as learner:
            for script in scripts:
                with tempfile.TemporaryDirectory() as empty:
                    times[script]["first"].append(theano(script, empty))
                times[script]["in_order"].append(theano(script, learner))
            for script in scripts:
                times[script]["later"].append(theano(script, learner))
                times[script]["torch"].append(whole_process(torch_python, ["benchmarks/torch_reference.py", script,
                                                                          *SHORT_RUN, *data]))
        print(f"round {round_} done", file=sys.stderr, flush=True)
    report = {"machine": machine(), "flags": " ".join(SHORT_RUN), "rounds": rounds,
              "date": time.strftime("%Y-%m-%d %H:%M"), "load": [round(min(loads), 1), round(max(loads), 1)], "scripts": {}}
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
    with open(os.path.join(RESULTS, "startup.json"), "w") as f:
        json.dump(report, f, indent=2)


def per_epoch(scripts, args, data, torch_version):
    """Seconds per epoch, GFLOP/s and the machine's sgemm GFLOP/s, into results/speed.json
    (results/speed_ntrain_N.json for epochs of N images)."""
    run_record = record.start(peers={"torch": torch_version})
    ntrain, ntest = args.ntrain or MNIST_SIZES[0], args.ntest or MNIST_SIZES[1]
    sizes = [*(["--ntrain", str(args.ntrain)] if args.ntrain else []), *(["--ntest", str(args.ntest)] if args.ntest else [])]
    runs = ("theano", "torch", "fast_ops_off") if args.fast_ops_off else ("theano", "torch")
    times = {script: {run: [] for run in runs} for script in scripts}
    env = dict(os.environ)
    if args.openblas_kernels:
        env.pop("OPENBLAS_CORETYPE", None)
        if args.openblas_kernels != "auto":
            env["OPENBLAS_CORETYPE"] = args.openblas_kernels
    loads, peaks = [], []
    for round_ in range(1, args.rounds + 1):
        loads.append(load())
        peak, kernels = sgemm_and_kernels(env)
        peaks.append(peak)
        for script in scripts:
            flags = ["--epochs", str(SCRIPTS[script]), *sizes, *data]
            for run in runs:
                loads.append(load())
                if run == "torch":
                    times[script][run].append(epoch_seconds(args.torch_python, ["benchmarks/torch_reference.py", script,
                                                                                 *flags], env))
                else:
                    times[script][run].append(epoch_seconds(sys.executable, [script, *flags],
                                                             fast_ops_off(env) if run == "fast_ops_off" else env))
            print(f"round {round_}: {script} done", file=sys.stderr, flush=True)
    peak = statistics.median(peaks)
    run_record = record.finish(run_record)
    name = "speed" + (f"_ntrain_{args.ntrain}" if args.ntrain else "") + \
        (f"_openblas_{kernels}" if args.openblas_kernels else "")
    path = os.path.join(RESULTS, name + ".json")
    report = {"scripts": {}}
    if os.path.exists(path):  # keep the scripts this run did not measure
        with open(path) as f:
            report = json.load(f)
    print(f"{'script':<24} {'Theano s/epoch':>14} {'PyTorch s/epoch':>15} {'ratio':>6} {'GFLOP/s Theano':>14} "
          f"{'PyTorch':>8} {'sgemm':>6}")
    for script, measured in times.items():
        seconds = {run: statistics.median(s for round_ in measured[run] for s in round_) for run in runs}
        # each round's ratio, then their median: a machine whose speed drifts from round to
        # round moves both sides of a round alike
        ratios = [statistics.mean(mine) / statistics.mean(twin) for mine, twin in zip(measured["theano"],
                                                                                     measured["torch"])]
        flops = epoch_flops(script, BATCH, ntrain, ntest)
        gflops = {run: round(flops / seconds[run] / 1e9, 1) for run in runs}
        report["scripts"][script] = {
            "theano_seconds_per_epoch": seconds["theano"], "torch_seconds_per_epoch": seconds["torch"],
            "ratio": round(statistics.median(ratios), 2), "round_ratios": [round(r, 3) for r in ratios],
            **({"fast_ops_off_seconds_per_epoch": seconds["fast_ops_off"]} if args.fast_ops_off else {}),
            "epochs_timed": sum(map(len, measured["theano"])), "rounds": args.rounds, "ntrain": ntrain, "ntest": ntest,
            "flops_per_step": training_flops(script, BATCH), "theano_gflops": gflops["theano"],
            "torch_gflops": gflops["torch"], "sgemm_gflops": round(peak, 1), "sgemm_gflops_range": [
                round(min(peaks), 1), round(max(peaks), 1)],
            "load": [round(min(loads), 1), round(statistics.median(loads), 1), round(max(loads), 1)],
            "openblas": kernels, "run": run_record}
        print(f"{script:<24} {seconds['theano']:>14.2f} {seconds['torch']:>15.2f} "
              f"{statistics.median(ratios):>6.2f} {gflops['theano']:>14.1f} {gflops['torch']:>8.1f} "
              f"{peak:>6.1f}")
    os.makedirs(RESULTS, exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)


def startup_table(reports):
    report, = reports
    rows = ["| script | first run, alone in an empty compiledir | first run, after the scripts before it "
            "| later runs | PyTorch twin | later / PyTorch |", "|" + " --- |" * 6]
    for script, r in report["scripts"].items():
        rows.append(f"| `{script}` | {r['first_seconds']:.1f} | {r['in_order_seconds']:.1f} "
                    f"| {r['later_seconds']:.1f} | {r['torch_seconds']:.1f} | {r['later_over_torch']:.2f}× |")
    load = f"; {shared_machine(report['load'])}" if "load" in report else "."
    return "\n".join(rows) + (f"\n\nWhole process, seconds, `{report['flags']}`; the median of each over "
                              f"{report['rounds']} round(s); {report['date']}, {report['machine']}{load}")


def write_docs():
    """Fill the start-up table of docs/speed.md, between its markers, from results/startup.json;
    then every page's measured numbers from results/ (docs/make.py)."""
    with open(DOCS) as f:
        page = f.read()
    path = os.path.join(RESULTS, "startup.json")
    begin, end = "<!-- startup table: written by benchmarks/speed_benchmark.py -->", "<!-- end of table -->"
    if os.path.exists(path) and begin in page:
        with open(path) as f:
            table = startup_table([json.load(f)])
        head, rest = page.split(begin, 1)
        with open(DOCS, "w") as f:
            f.write(f"{head}{begin}\n{table}\n{end}{rest.split(end, 1)[1]}")
    measured.write()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scripts", nargs="*", metavar="SCRIPT", help="the scripts to time (default: all four)")
    parser.add_argument("--rounds", type=bounds.whole(1), default=3,
                        help="rounds of runs, whose median seconds per epoch are recorded (default: %(default)s)")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: as load.py finds them)")
    parser.add_argument("--ntrain", type=bounds.whole(1),
                        help="time epochs of the first N training images (default: all)")
    parser.add_argument("--ntest", type=bounds.whole(1), help="test on the first N test images (default: all)")
    parser.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON", sys.executable),
                        help="the Python that has PyTorch (default: $TORCH_PYTHON, else this one)")
    parser.add_argument("--fast-ops-off", action="store_true",
                        help="time each script a third time with harness/fast_ops.py switched off")
    parser.add_argument("--openblas-kernels", metavar="CORE",
                        help="run with OPENBLAS_CORETYPE=CORE (auto: unset, OpenBLAS's own pick for this CPU), "
                             "into results/speed[_ntrain_N]_openblas_KERNELS.json")
    parser.add_argument("--startup", action="store_true", help="time a short run's whole process instead")
    parser.add_argument("--docs", action="store_true", help="only write the docs' numbers from results/")
    args = parser.parse_args()
    for script in args.scripts:
        if script not in SCRIPTS:
            parser.error(f"{script} is not one of {', '.join(SCRIPTS)}")
    if args.openblas_kernels and args.startup:
        parser.error("--openblas-kernels times epochs; --startup runs with the environment's OpenBLAS")
    if not args.docs:
        torch = subprocess.run([args.torch_python, "-c", "import torch; print(torch.__version__)"],
                               capture_output=True, text=True)
        if torch.returncode != 0:
            sys.exit(f"The reference needs PyTorch, which {args.torch_python} cannot import. The project does not "
                     "install it: give --torch-python a Python that has it (pip install torch==2.13.0).")
        data = ["--data-dir", args.data_dir] if args.data_dir else []
        chosen = args.scripts or list(SCRIPTS)
        if args.startup:
            startup(chosen, args.rounds, data, args.torch_python)
        else:
            per_epoch(chosen, args, data, torch.stdout.strip())
    write_docs()
    print(f"wrote {os.path.relpath(DOCS, REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
