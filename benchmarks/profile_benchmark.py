"""Where a training step's time goes, per script, on this machine: each script's `train`
timed op by op by Theano's own profiler, beside its PyTorch twin's step split by
torch.profiler and its JAX twin's whole jitted step; writes results/profile.json.

    uv run --group twins benchmarks/profile_benchmark.py --data-dir PATH [--ntrain 12800] [SCRIPT ...]

Each script and twin trains in a process of its own, as a learner runs it (fast ops on):
--epochs 2 (a twin under torch.profiler 1) on the first --ntrain training images, tested
on 128; a step's seconds are its last epoch's over its batches (the test included). The
Theano script's time in `train` is split into matrix products (Gemm, Dot22, ...),
convolutions (CorrMM and its gradients: their unfolding and matrix products, one op to the
profiler), elementwise loops, random numbers, pooling, other ops, and the call itself
outside any op (Theano's per-call overhead: Function.__call__'s time less its thunks'); the
PyTorch twin's epoch into the same kinds by the ops' own time, and the time outside any op
(Python, autograd's bookkeeping). Each step's share of the machine's float32 matrix
product (benchmarks/roofline.py) is its FLOPs (roofline.training_flops) over its seconds
over sgemm's. A twin whose framework is not installed is left out, and said so.
"""
import argparse
import contextlib
import io
import json
import os
import runpy
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
import record  # noqa: E402
from common import bounds, talk  # noqa: E402
from common.epoch_line import PATTERN as EPOCH_LINE  # noqa: E402
from roofline import sgemm_gflops, training_flops  # noqa: E402

RESULTS = os.path.join(REPO, "results", "profile.json")
BATCH, NTEST = 128, 128
PEERS = ("theano", "torch", "jax")
# the kinds of op a step's time is split into, by the op's Theano class or PyTorch name
THEANO_KINDS = {"matrix products": ("Gemm", "Gemv", "Ger", "Dot22", "Dot22Scalar", "CGemv", "CGer", "Dot"),
                "convolutions": ("CorrMM", "CorrMM_gradWeights", "CorrMM_gradInputs"),
                "random numbers": ("mrg_uniform",),
                "pooling": ("Pool", "MaxPoolGrad", "MaskedMaxPoolGradient"),
                "elementwise loops": ("Elemwise", "FusedElemwise")}
TORCH_KINDS = {"matrix products": ("aten::mm", "aten::addmm", "aten::bmm"),
               "convolutions": ("aten::mkldnn_convolution", "aten::convolution_backward", "aten::_slow_conv2d_forward",
                                "aten::_slow_conv2d_backward"),
               "random numbers": ("aten::bernoulli", "aten::bernoulli_", "aten::uniform_"),
               "pooling": ("aten::max_pool2d_with_indices", "aten::max_pool2d_with_indices_backward")}


def program(peer, script):
    return script if peer == "theano" else f"twins/{script[:-3]}_{peer}.py"


def trained(peer, script, flags):
    """Run `script` (or its twin) in this process with `flags`; (its names, its last epoch's
    seconds per step)."""
    path = os.path.join(REPO, program(peer, script))
    sys.argv = [path, *flags]
    sys.path.insert(0, os.path.dirname(path))  # as `python PROGRAM` has it
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        names = runpy.run_path(path, run_name="__main__")
    seconds = [float(m["seconds"]) for m in EPOCH_LINE.finditer(out.getvalue())]
    return names, seconds[-1] / steps(flags)


def steps(flags):
    """Training steps in an epoch of the run `flags` ask for."""
    return len(talk.batches(int(flags[flags.index("--ntrain") + 1]), BATCH))


def shares(times, total, kinds, outside):
    """{kind: share of total} of {op name: seconds}, the rest as 'other ops', total less
    every op's time as `outside`; and the five ops that took longest."""
    split = dict.fromkeys([*kinds, "other ops"], 0.0)
    for name, seconds in times.items():
        split[next((kind for kind, names in kinds.items() if name in names), "other ops")] += seconds
    split[outside] = total - sum(times.values())
    top = sorted(times.items(), key=lambda item: -item[1])[:5]
    return {kind: round(seconds / total, 4) for kind, seconds in split.items()}, \
        [[name, round(seconds / total, 4)] for name, seconds in top]


def theano_kind(op):
    """The Theano class among THEANO_KINDS' that op is an instance of (fast ops are their Theano op's)."""
    return next((cls.__name__ for cls in type(op).__mro__ if any(cls.__name__ in names for names in THEANO_KINDS.values())),
                type(op).__name__)


def measure_theano(script, flags):
    import harness  # noqa: F401  before theano: this project's Theano defaults
    import theano
    theano.config.profile = True  # every function compiled from here on keeps a ProfileStats
    names, step = trained("theano", script, ["--epochs", "2", *flags])
    theano.config.profile = False  # nothing printed at exit
    profile = names["train"].profile
    by_op, by_kind = {}, {}
    for node, seconds in profile.apply_time.items():
        by_op[str(node.op)] = by_op.get(str(node.op), 0) + seconds
        by_kind[theano_kind(node.op)] = by_kind.get(theano_kind(node.op), 0) + seconds
    split, _ = shares(by_kind, profile.fct_call_time, THEANO_KINDS, "call outside any op")
    _, top = shares(by_op, profile.fct_call_time, {}, "call outside any op")
    return {"step_seconds": step, "train_call_seconds": profile.fct_call_time / profile.fct_callcount,
            "shares": split, "top_ops": top}


def measure_torch(script, flags):
    import torch
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        _, step = trained("torch", script, ["--epochs", "1", *flags])
    by_op = {event.key: event.self_cpu_time_total / 1e6 for event in profiler.key_averages()}
    total = step * steps(flags)
    split, top = shares(by_op, total, {**TORCH_KINDS, "elementwise and other ops": ()}, "outside any op")
    split["elementwise and other ops"] += split.pop("other ops")
    return {"step_seconds": step, "torch": torch.__version__, "shares": split, "top_ops": top}


def measure_jax(script, flags):
    import jax
    _, step = trained("jax", script, ["--epochs", "2", *flags])
    return {"step_seconds": step, "jax": jax.__version__}


MEASURE = {"theano": measure_theano, "torch": measure_torch, "jax": measure_jax}


def measured(peer, script, given):
    """One peer's profile of one script, measured in a process of its own (this program's
    flags `given` passed on); None where the peer's framework is not installed."""
    if peer != "theano" and subprocess.run([sys.executable, "-c", f"import {peer}"], capture_output=True).returncode:
        print(f"{program(peer, script)}: left out, {peer} is not installed here (uv sync --group twins)")
        return None
    result = subprocess.run([sys.executable, __file__, "--measure", peer, script, *given], cwd=REPO,
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{program(peer, script)} failed (exit status {result.returncode}):\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def table(report):
    lines = [f"sgemm: {report['sgemm_gflops']:.0f} GFLOP/s"]
    for script, peers in report["scripts"].items():
        for peer, p in peers.items():
            if p:
                lines.append(f"{script:24} {peer:6} {p['step_seconds'] * 1e3:7.2f} ms/step  "
                             f"{p['sgemm_share']:6.1%} of sgemm  " +
                             "  ".join(f"{kind} {share:.1%}" for kind, share in p.get("shares", {}).items()))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scripts", nargs="*", metavar="SCRIPT", help="the scripts to profile (default: scripts 2-5)")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: as load.py finds them)")
    parser.add_argument("--ntrain", type=bounds.whole(BATCH), default=12800,
                        help="train on the first N images (default: %(default)s)")
    parser.add_argument("--results", default=RESULTS, help="the record to write (default: results/profile.json)")
    parser.add_argument("--measure", choices=PEERS, help="profile only this peer on the one SCRIPT, in this "
                        "process, and print it as JSON (what this program runs for each)")
    args = parser.parse_args()
    given = ["--ntrain", str(args.ntrain)] + (["--data-dir", args.data_dir] if args.data_dir else [])
    if args.measure:
        print(json.dumps(MEASURE[args.measure](args.scripts[0], [*given, "--ntest", str(NTEST)])))
        return
    run = record.start()
    gflops = sgemm_gflops()
    report = {"sgemm_gflops": round(gflops, 1), "ntrain": args.ntrain, "batch": BATCH, "scripts": {}}
    for script in args.scripts or talk.SCRIPTS:
        report["scripts"][script] = peers = {peer: measured(peer, script, given) for peer in PEERS}
        for p in filter(None, peers.values()):
            p["sgemm_share"] = round(training_flops(script, BATCH) / p["step_seconds"] / (gflops * 1e9), 4)
    versions = {peer: p[peer] for peers in report["scripts"].values() for peer, p in peers.items() if p and peer in p}
    report["run"] = {**record.finish(run), "versions": record.versions(versions)}
    print(table(report))
    with open(args.results, "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
