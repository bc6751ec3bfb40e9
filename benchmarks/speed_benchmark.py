"""Seconds per epoch of scripts 2-5, each beside the same model in PyTorch and in JAX,
measured in one run, and how close each comes to the machine's limit; writes docs/speed.md.

    uv run --group twins benchmarks/speed_benchmark.py --data-dir PATH
        [--rounds 3] [--ntrain N] [--fast-ops-off] [--openblas-kernels CORE] [SCRIPT ...]
    uv run --group twins benchmarks/speed_benchmark.py --startup --data-dir PATH [--rounds 3] [SCRIPT ...]
    uv run benchmarks/speed_benchmark.py --docs     # only write the docs' numbers from results/

PyTorch and JAX are the peers, not requirements of the scripts: they come with the
optional group twins, or give the Python that has both with --twins-python (or
$TWINS_PYTHON; default: this Python).

Each round runs every script for a few epochs on MNIST (batch 128; all 60000 training
images, or the first --ntrain), then its PyTorch twin and its JAX twin
(twins/*_torch.py, twins/*_jax.py, docs/twins.md), as separate processes, alternating
so that all see the same machine load; with --fast-ops-off, the script once more with
harness/fast_ops.py switched off. The JAX twin runs one epoch more, not timed: XLA
compiles its step at the first call, inside the first epoch, where Theano compiles
before its loop. Each round also times this machine's float32 matrix product
(benchmarks/roofline.py, in a process of its own, with the scripts' environment) and
notes the load average before each run. It prints the median seconds per epoch of each
(compile time excluded, test evaluation included), the script's time over each peer's
and over the faster peer's (each the median of the rounds' ratios), and the GFLOP/s
each achieves against the matrix product's, and writes them to results/speed.json
(with --ntrain N: results/speed_ntrain_N.json) with the run's record
(benchmarks/record.py), keeping the scripts it did not measure, and the docs' numbers
from them (docs/make.py). A record keeps one CPU's runs: on a CPU other than its
record's, the benchmark writes results/speed_CPU.json (startup_CPU.json) instead, and
the tables show each CPU measured, side by side. On a shared machine the seconds vary with the load: read
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
its PyTorch and JAX twins. Each Theano run is made twice in a row, as the scripts run (Theano
compiling a function's missing modules at once, harness/parallel_compile.py) and with
THEANO_TUTORIALS_COMPILE_JOBS=1 (one module after another), the two in turns; each
counts its calls of the compiler (the g++ on PATH, through a wrapper that logs them; not
counting the two version queries Theano makes whenever it is imported) and the cores it
kept busy (its CPU seconds, the compilers' included, over its seconds). Medians over the
rounds, into results/startup.json and docs/speed.md.
"""
import argparse
import glob
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
import measured  # noqa: E402
from measured import shared_machine  # noqa: E402
import record  # noqa: E402
from common import bounds, talk  # noqa: E402
from common.epoch_line import PATTERN as EPOCH_LINE  # noqa: E402
from roofline import epoch_flops, training_flops  # noqa: E402
# the epochs each training script is timed for: the convnet, some 25 times slower per image, one
SCRIPTS = {script: 1 if talk.MODELS[talk.model(script)] == "filters" else 3 for script in talk.SCRIPTS}
SHORT_RUN = ["--epochs", "1", "--ntrain", "1280", "--ntest", "500"]
MNIST_SIZES = (60000, 10000)  # training and test images
BATCH = 128
RESULTS = os.path.join(REPO, "results")
PEERS = {"torch": "PyTorch", "jax": "JAX"}  # each script's twins, twins/*_{peer}.py
SERIAL = {"THEANO_TUTORIALS_COMPILE_JOBS": "1"}  # Theano compiling one module after another
VERSION_QUERIES = ("-v", "-dumpversion")  # what Theano asks its compiler whenever it is imported
DOCS = os.path.join(REPO, "docs", "speed.md")


def twin(script, peer):
    """The script's twin in `peer` (torch, jax): the same model, starting weights, batches,
    RMSprop and evaluation."""
    return f"twins/{script[:-3]}_{peer}.py"


def fast_ops_off(env):
    return {**env, "THEANO_FLAGS": ",".join(flag for flag in (env.get("THEANO_FLAGS", ""),
                                                              "optimizer_excluding=fast_ops") if flag)}


def sgemm_and_kernels(env):
    """(sgemm GFLOP/s, the OpenBLAS kernels of Theano's C code), measured in a process
    with the scripts' environment: OPENBLAS_CORETYPE is read when OpenBLAS loads."""
    code = "from roofline import sgemm_gflops; from cpu import openblas_kernels; print(sgemm_gflops(), openblas_kernels())"
    result = subprocess.run([sys.executable, "-c", code], cwd=os.path.join(REPO, "benchmarks"),
                            env={**env, "PYTHONPATH": REPO},  # roofline reads the scripts' layers with common/
                            capture_output=True, text=True, check=True)
    gflops, kernels = result.stdout.split()
    return float(gflops), kernels


def load():
    """The machine's load average over the last minute."""
    return os.getloadavg()[0]


def epoch_seconds(python, command, env, warm_up=0):
    """The seconds of each epoch line of a run, but its first `warm_up`."""
    result = subprocess.run([python, *command], cwd=REPO, capture_output=True, text=True, env=env)
    seconds = [float(m["seconds"]) for m in map(EPOCH_LINE.match, result.stdout.splitlines()) if m][warm_up:]
    if result.returncode != 0 or not seconds:
        sys.exit(f"{' '.join(command)} failed (exit status {result.returncode}):\n{result.stdout}{result.stderr}")
    return seconds


def whole_process(python, command, env=None):
    """(seconds to the first epoch line, seconds for the whole process, CPU seconds of the
    process and all it ran) of one run."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    seconds = time.perf_counter() - start
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    return first_epoch, seconds, now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime


def counting_compiler(folder):
    """A g++ in `folder` that logs each call's arguments to folder/calls.log, then compiles."""
    wrapper = os.path.join(folder, "g++")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\necho "$*" >> "{folder}/calls.log"\nexec {shutil.which("g++")} "$@"\n')
    os.chmod(wrapper, 0o755)
    return os.path.join(folder, "calls.log")


def startup(scripts, rounds, data, twins_python, peer_versions):
    """Whole-process seconds of a short run, and to its first epoch line: each script's first
    run alone in an empty compiledir, its first run after the scripts before it (as a
    learner meets it, running them in order), a later run once all have run, each as the
    scripts run and compiling one module at a time (its compiler calls and the cores it
    used too), and its twins'."""
    run_record = record.start(peers=peer_versions)
    runs = ("first", "in_order", "later")
    modes = {"": {}, "serial_": SERIAL}  # a run's name starts with its mode's
    times = {script: {mode + run: [] for mode in modes for run in runs} | {peer: [] for peer in PEERS}
             for script in scripts}
    loads = []
    with tempfile.TemporaryDirectory() as tools:
        log = counting_compiler(tools)

        def theano(script, compiledir, mode):
            loads.append(load())
            open(log, "w").close()
            flags = f"{os.environ.get('THEANO_FLAGS', '')},base_compiledir={compiledir}".lstrip(",")
            env = {**os.environ, **modes[mode], "THEANO_FLAGS": flags, "PATH": f"{tools}:{os.environ['PATH']}"}
            first_epoch, seconds, cpu = whole_process(sys.executable, [script, *SHORT_RUN, *data], env)
            with open(log) as f:
                calls = [line for line in f.read().splitlines() if line not in VERSION_QUERIES]
            return first_epoch, seconds, len(calls), cpu / seconds

        for round_ in range(1, rounds + 1):
            order = list(modes) if round_ % 2 else list(reversed(modes))  # each mode first in every other round
            learners = {mode: tempfile.mkdtemp() for mode in modes}
            for script in scripts:
                for mode in order:
                    with tempfile.TemporaryDirectory() as empty:
                        times[script][mode + "first"].append(theano(script, empty, mode))
                for mode in order:
                    times[script][mode + "in_order"].append(theano(script, learners[mode], mode))
            for script in scripts:
                for mode in order:
                    times[script][mode + "later"].append(theano(script, learners[mode], mode))
                for peer in PEERS:
                    times[script][peer].append(whole_process(twins_python, [twin(script, peer), *SHORT_RUN, *data]))
            for learner in learners.values():
                shutil.rmtree(learner)
            print(f"round {round_} done", file=sys.stderr, flush=True)
    report = {"run": record.finish(run_record), "flags": " ".join(SHORT_RUN), "rounds": rounds,
              "load": [round(min(loads), 1), round(max(loads), 1)], "compile_jobs": compile_jobs(), "scripts": {}}
    print(f"{'script':<24} {'first, alone':>12} {'first, in order':>15} {'later':>6} {'PyTorch':>8} {'JAX':>6} "
          f"{'later/PyTorch':>13}"
          f"   (whole process, s, one module at a time in brackets; compiler calls first, in order, later)")
    for script, timed in times.items():
        medians = {run: [statistics.median(t[i] for t in runs_) for i in range(len(runs_[0]))]
                   for run, runs_ in timed.items()}
        row = {"first_over_serial": round(medians["first"][1] / medians["serial_first"][1], 2)}
        for peer in PEERS:
            row |= {f"later_over_{peer}": round(medians["later"][1] / medians[peer][1], 2),
                    f"{peer}_seconds": round(medians[peer][1], 2),
                    f"{peer}_to_first_epoch": round(medians[peer][0], 2)}
        for run in (mode + run for mode in modes for run in runs):
            first_epoch, seconds, calls, cores = medians[run]
            row |= {f"{run}_seconds": round(seconds, 2), f"{run}_to_first_epoch": round(first_epoch, 2),
                       f"{run}_compiler_calls": round(calls, 1), f"{run}_cores_used": round(cores, 2)}
        report["scripts"][script] = row
        print(f"{script:<24} " + " ".join(f"{medians[run][1]:>5.1f} ({medians['serial_' + run][1]:>5.1f})"
                                          for run in runs) +
              f" {medians['torch'][1]:>8.1f} {medians['jax'][1]:>6.1f} {row['later_over_torch']:>13.2f}   "
              f"({', '.join(str(medians[run][2]) for run in runs)})")
    with open(record_path("startup", report["run"]), "w") as f:
        json.dump(report, f, indent=2)


def record_path(name, run):
    """results/NAME.json, unless it holds another CPU's runs: then results/NAME_CPU.json, so
    that each CPU measured keeps its record and the tables show them side by side."""
    path = os.path.join(RESULTS, name + ".json")
    if os.path.exists(path):
        with open(path) as f:
            report = json.load(f)
        runs = [report["run"]] if "run" in report else [r["run"] for r in report["scripts"].values()]
        if measured.cpu_of(run) not in map(measured.cpu_of, runs):
            return os.path.join(RESULTS, f"{name}_{re.sub('[^a-z0-9]+', '_', measured.cpu_of(run).lower())}.json")
    return path


def compile_jobs():
    """How many modules the scripts compile at once here (harness/parallel_compile.py)."""
    code = "from harness.parallel_compile import jobs; print(jobs())"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return int(result.stdout)


def per_epoch(scripts, args, data, peer_versions):
    """Seconds per epoch, GFLOP/s and the machine's sgemm GFLOP/s, into results/speed.json
    (results/speed_ntrain_N.json for epochs of N images)."""
    run_record = record.start(peers=peer_versions)
    ntrain, ntest = args.ntrain or MNIST_SIZES[0], args.ntest or MNIST_SIZES[1]
    sizes = [*(["--ntrain", str(args.ntrain)] if args.ntrain else []), *(["--ntest", str(args.ntest)] if args.ntest else [])]
    runs = ("theano", *PEERS, *(["fast_ops_off"] if args.fast_ops_off else []))
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
            flags = [*sizes, *data]
            for run in runs:
                loads.append(load())
                if run in PEERS:
                    warm_up = 1 if run == "jax" else 0  # XLA compiles the step inside the first epoch
                    epochs = ["--epochs", str(SCRIPTS[script] + warm_up)]
                    times[script][run].append(epoch_seconds(args.twins_python, [twin(script, run), *epochs, *flags],
                                                             env, warm_up))
                else:
                    times[script][run].append(epoch_seconds(sys.executable, [script, "--epochs", str(SCRIPTS[script]),
                                                                             *flags],
                                                             fast_ops_off(env) if run == "fast_ops_off" else env))
            print(f"round {round_}: {script} done", file=sys.stderr, flush=True)
    peak = statistics.median(peaks)
    run_record = record.finish(run_record)
    name = "speed" + (f"_ntrain_{args.ntrain}" if args.ntrain else "") + \
        (f"_openblas_{kernels}" if args.openblas_kernels else "")
    path = record_path(name, run_record)
    report = {"scripts": {}}
    if os.path.exists(path):  # keep the scripts this run did not measure
        with open(path) as f:
            report = json.load(f)
    print(f"{'script':<24} {'s/epoch: Theano':>15} {'PyTorch':>8} {'JAX':>6} {'Theano/faster peer':>18} "
          f"{'GFLOP/s: Theano':>15} {'PyTorch':>8} {'JAX':>6} {'sgemm':>6}")
    for script, timed in times.items():
        seconds = {run: statistics.median(s for round_ in timed[run] for s in round_) for run in runs}
        # each round's ratio, then their median: a machine whose speed drifts from round to
        # round moves all sides of a round alike
        mean = {run: [statistics.mean(round_) for round_ in timed[run]] for run in runs}
        ratios = {peer: [mine / theirs for mine, theirs in zip(mean["theano"], mean[peer])] for peer in PEERS}
        ratios["faster_peer"] = [mine / min(peers) for mine, *peers in zip(mean["theano"], *(mean[p] for p in PEERS))]
        flops = epoch_flops(script, BATCH, ntrain, ntest)
        gflops = {run: round(flops / seconds[run] / 1e9, 1) for run in runs}
        report["scripts"][script] = {
            **{f"{run}_seconds_per_epoch": seconds[run] for run in runs},
            **{f"over_{side}": round(statistics.median(r), 2) for side, r in ratios.items()},
            **{f"round_ratios_over_{side}": [round(x, 3) for x in r] for side, r in ratios.items()},
            "epochs_timed": sum(map(len, timed["theano"])), "rounds": args.rounds, "ntrain": ntrain, "ntest": ntest,
            "flops_per_step": training_flops(script, BATCH), **{f"{run}_gflops": gflops[run] for run in runs},
            "sgemm_gflops": round(peak, 1), "sgemm_gflops_range": [round(min(peaks), 1), round(max(peaks), 1)],
            "load": [round(min(loads), 1), round(statistics.median(loads), 1), round(max(loads), 1)],
            "openblas": kernels, "run": run_record}
        print(f"{script:<24} {seconds['theano']:>15.2f} {seconds['torch']:>8.2f} {seconds['jax']:>6.2f} "
              f"{statistics.median(ratios['faster_peer']):>18.2f} {gflops['theano']:>15.1f} {gflops['torch']:>8.1f} "
              f"{gflops['jax']:>6.1f} {peak:>6.1f}")
    os.makedirs(RESULTS, exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)


def startup_table(reports):
    """The start-up table of the records `reports` (one per CPU), each with a paragraph on its run."""
    rows = ["| script | CPU | first run, alone in an empty compiledir | the same, one module at a time "
            "| first run, after the scripts before it | the same, one module at a time | later runs "
            "| compiler calls: first alone, after, later | cores used, first run alone (one at a time) "
            "| PyTorch twin | JAX twin | later / PyTorch | later / JAX |", "|" + " --- |" * 13]
    notes = []
    for report in reports:
        run = report["run"]
        for script, r in report["scripts"].items():
            calls = ", ".join(format(r[f"{kind}_compiler_calls"], "g") for kind in ("first", "in_order", "later"))
            rows.append(f"| `{script}` | {measured.cpu_of(run)} | {r['first_seconds']:.1f} "
                        f"| {r['serial_first_seconds']:.1f} | {r['in_order_seconds']:.1f} "
                        f"| {r['serial_in_order_seconds']:.1f} | {r['later_seconds']:.1f} | {calls} "
                        f"| {r['first_cores_used']:.1f} ({r['serial_first_cores_used']:.1f}) "
                        f"| {r['torch_seconds']:.1f} | {r['jax_seconds']:.1f} | {r['later_over_torch']:.2f}× "
                        f"| {r['later_over_jax']:.2f}× |")
        notes.append(
            f"Whole process, seconds, `{report['flags']}`; the median of each over {report['rounds']} round(s); "
            f"{run['date']}, {run['machine']} ({run['cpu']}); {shared_machine(report['load'])} Modules compiled "
            f"{report['compile_jobs']} at once (THEANO_TUTORIALS_COMPILE_JOBS), or one at a time; compiler calls do "
            f"not count the two version queries Theano makes whenever it is imported.")
    return "\n\n".join(["\n".join(rows), *notes])


def startup_records():
    """The start-up records: results/startup.json, then those of other CPUs (startup_CPU.json)."""
    reports = []
    for path in [os.path.join(RESULTS, "startup.json"), *sorted(glob.glob(os.path.join(RESULTS, "startup_*.json")))]:
        if os.path.exists(path):
            with open(path) as f:
                reports.append(json.load(f))
    return reports


def write_docs():
    """Fill the start-up table of docs/speed.md, between its markers, from results/startup.json
    (and startup_CPU.json, another CPU's); then every page's measured numbers from results/
    (docs/make.py)."""
    with open(DOCS) as f:
        page = f.read()
    begin, end = "<!-- startup table: written by benchmarks/speed_benchmark.py -->", "<!-- end of table -->"
    reports = startup_records()
    if reports and begin in page:
        table = startup_table(reports)
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
    parser.add_argument("--twins-python", default=os.environ.get("TWINS_PYTHON", sys.executable),
                        help="the Python that has PyTorch and JAX (default: $TWINS_PYTHON, else this one)")
    parser.add_argument("--fast-ops-off", action="store_true",
                        help="time each script once more with harness/fast_ops.py switched off")
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
        versions = subprocess.run([args.twins_python, "-c", "import jax, torch; print(torch.__version__, jax.__version__)"],
                                  capture_output=True, text=True)
        if versions.returncode != 0:
            sys.exit(f"The peers are PyTorch and JAX, which {args.twins_python} cannot import both of. They come with the "
                     "optional group twins: run `uv run --group twins benchmarks/speed_benchmark.py ...`, or give "
                     "--twins-python a Python that has them (pip install -r twins/requirements.txt).")
        peer_versions = dict(zip(PEERS, versions.stdout.split()))
        data = ["--data-dir", args.data_dir] if args.data_dir else []
        chosen = args.scripts or list(SCRIPTS)
        if args.startup:
            startup(chosen, args.rounds, data, args.twins_python, peer_versions)
        else:
            per_epoch(chosen, args, data, peer_versions)
    write_docs()
    print(f"wrote {os.path.relpath(DOCS, REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
