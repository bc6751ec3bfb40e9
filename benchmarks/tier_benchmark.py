"""The first tier of tests on a fresh clone, timed: what a learner waits for at their first
`uv run pytest`, with Theano's compile cache empty.

    uv run benchmarks/tier_benchmark.py [--rounds 3] [--compiler-slowdowns 1,2.2] [TEST ...]

Each round clones this commit (what git holds: commit a change to time it) into a
temporary folder, lets uv install its environment there from uv's cache (not timed), then
times `uv run --locked pytest` (or pytest of the TESTs given) with an empty home folder,
so that Theano compiles every module anew: the seconds, the CPU seconds (pytest's and all
it started), the tests that passed, and the compiler's calls and seconds (a g++ on PATH
that logs them).

A compiler slowdown F stands for a machine whose compiler is F times as slow as this
one's: each compile that writes a file runs first once more into a scratch file for each
whole unit of F - 1, and once more with the chance of its fraction; the compiler-seconds
include those runs. Each round times every slowdown given, in turns. The medians go, with
the run's record (benchmarks/record.py), to results/tier.json (results/tier_CPU.json on
another CPU than the record's).
"""
import argparse
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
import record  # noqa: E402
from common import bounds  # noqa: E402
from speed_benchmark import record_path  # noqa: E402

WRAPPER = """#!/bin/bash
start=$EPOCHREALTIME
args=(); out=""; previous=""
for a in "$@"; do
  if [ "$previous" = "-o" ]; then out="$a"; args+=("$a.slower"); else args+=("$a"); fi
  previous="$a"
done
if [ -n "$out" ]; then
  extra={whole}; [ $((RANDOM % 1000)) -lt {thousandths} ] && extra=$((extra + 1))
  for i in $(seq $extra); do {compiler} "${{args[@]}}" >/dev/null 2>&1; done
  rm -f "$out.slower"
fi
{compiler} "$@"; status=$?
echo "$start $EPOCHREALTIME" >> {log}
exit $status
"""


def slower_compiler(folder, slowdown):
    """A g++ in `folder` as slow as `slowdown` times this machine's, logging each call's
    start and end to folder/calls.log."""
    whole, fraction = divmod(slowdown - 1, 1)
    log = os.path.join(folder, "calls.log")
    with open(os.path.join(folder, "g++"), "w") as f:
        f.write(WRAPPER.format(whole=int(whole), thousandths=round(fraction * 1000), compiler=shutil.which("g++"),
                               log=log))
    os.chmod(os.path.join(folder, "g++"), 0o755)
    return log


def first_tier(slowdown, tests):
    """{seconds, cpu_seconds, passed, compiler_calls, compiler_seconds} of one timed run."""
    uv_cache = subprocess.run(["uv", "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as folder:
        clone, home, tools = (os.path.join(folder, name) for name in ("clone", "home", "tools"))
        subprocess.run(["git", "clone", "--quiet", REPO, clone], check=True)
        os.makedirs(home)
        os.makedirs(tools)
        log = slower_compiler(tools, slowdown)
        env = {**os.environ, "HOME": home, "UV_CACHE_DIR": uv_cache, "UV_PYTHON_DOWNLOADS": "never",
               "PATH": f"{tools}:{os.environ['PATH']}"}
        env.pop("VIRTUAL_ENV", None)  # this benchmark's own environment, which uv would otherwise name
        subprocess.run(["uv", "sync", "--locked", "--quiet"], cwd=clone, env=env, check=True)
        open(log, "w").close()  # uv's install compiles nothing; from here on, the tests'
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(["uv", "run", "--locked", "pytest", *tests],
                                cwd=clone, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        if result.returncode != 0:
            sys.exit(f"the first tier failed in a fresh clone ({summary or 'no summary'}):\n{result.stdout[-3000:]}"
                     f"{result.stderr[-2000:]}")
        with open(log) as f:
            calls = [tuple(map(float, line.split())) for line in f]
    return {"seconds": seconds, "cpu_seconds": now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime,
            "passed": int(re.search(r"(\d+) passed", summary)[1]), "compiler_calls": len(calls),
            "compiler_seconds": sum(end - begin for begin, end in calls)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=bounds.whole(1, 20), default=3, help="timed runs of each slowdown (default 3)")
    parser.add_argument("--compiler-slowdowns", type=bounds.between(1, 10), default=[1.0], metavar="F[,F...]",
                        help="how many times as slow as this machine's the compiler is, 1 to 10, each timed "
                             "(default 1)")
    parser.add_argument("tests", nargs="*", help="the tests to run (default: the first tier, as `pytest` runs it)")
    args = parser.parse_args()
    run = record.start()
    timed = {f: [] for f in args.compiler_slowdowns}
    for round_ in range(1, args.rounds + 1):
        order = args.compiler_slowdowns if round_ % 2 else args.compiler_slowdowns[::-1]
        for slowdown in order:
            timed[slowdown].append(first_tier(slowdown, args.tests))
            print(f"round {round_}, compiler x{slowdown:g}: {timed[slowdown][-1]['seconds']:.1f} s",
                  file=sys.stderr, flush=True)
    report = {"run": record.finish(run), "rounds": args.rounds, "tests": " ".join(args.tests) or "the first tier",
              "slowdowns": {}}
    print(f"{'compiler':>9} {'seconds':>8} {'CPU s':>7} {'passed':>7} {'compiler calls':>15} {'compiler s':>11}")
    for slowdown, runs in timed.items():
        row = {key: round(statistics.median(r[key] for r in runs), 1) for key in runs[0]}
        row["seconds_range"] = [round(min(r["seconds"] for r in runs), 1), round(max(r["seconds"] for r in runs), 1)]
        report["slowdowns"][f"{slowdown:g}"] = row
        print(f"{'x' + format(slowdown, 'g'):>9} {row['seconds']:>8.1f} {row['cpu_seconds']:>7.1f} "
              f"{row['passed']:>7g} {row['compiler_calls']:>15g} {row['compiler_seconds']:>11.1f}")
    path = record_path("tier", report["run"])
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
    print(f"wrote {os.path.relpath(path, REPO)}")


if __name__ == "__main__":
    main()
