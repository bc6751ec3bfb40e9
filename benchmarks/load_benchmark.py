"""Time and peak memory of a full MNIST load, beside a reference, in fresh processes.

Each case runs 5 times, each in a new Python process that imports numpy, then does the
work and reports its own wall time, CPU time (what another program's load on the machine
does not change) and peak RSS (ru_maxrss). Medians are shown and
recorded in results/load.json, with the run's record (benchmarks/record.py).

  baseline   import numpy and nothing else (the floor every case starts from)
  reference  gzip-decompress the four .gz files into bytes and keep them
  load       load.mnist(): all 70000 images as float32 plus one-hot labels

Usage: python benchmarks/load_benchmark.py [--data-dir DIR] [--runs 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import load  # noqa: E402
import record  # noqa: E402
from common import bounds  # noqa: E402

CHILD = """
import json, os, resource, sys, time, gzip
import numpy as np
sys.path.insert(0, {root!r})
import load
folder, case = {folder!r}, {case!r}
start, cpu_start = time.perf_counter(), time.process_time()
if case == "reference":
    kept = [gzip.decompress(open(load.find_file(folder, name), "rb").read())
            for name in load.NAMES]
elif case == "load":
    kept = load.mnist(data_dir=folder)
seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
print(json.dumps({{"seconds": seconds, "cpu_seconds": cpu_seconds,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(case, folder, runs):
    """Median seconds, CPU seconds and peak RSS (MiB) of `runs` fresh processes doing `case`."""
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", CHILD.format(root=ROOT, folder=folder,
                                                                 case=case)],
                             capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out))
    return (statistics.median(r["seconds"] for r in results), statistics.median(r["cpu_seconds"] for r in results),
            statistics.median(r["rss_mb"] for r in results))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: as load.py)")
    parser.add_argument("--runs", type=bounds.whole(1), default=5,
                        help="fresh processes per case, whose median time and memory are printed (default: %(default)s)")
    args = parser.parse_args()
    try:
        folder = load.find_data("mnist", args.data_dir)
    except load.DataError as err:
        sys.exit(str(err))
    print(f"data: {folder}; median of {args.runs} fresh processes per case")
    run = record.start()
    rows = {case: measure(case, folder, args.runs) for case in ("baseline", "reference", "load")}
    print(f"{'case':<10} {'time (s)':>9} {'CPU time (s)':>13} {'peak RSS (MiB)':>15} {'RSS above baseline':>19}")
    base = rows["baseline"][2]
    for case, (seconds, cpu_seconds, rss) in rows.items():
        print(f"{case:<10} {seconds:>9.3f} {cpu_seconds:>13.3f} {rss:>15.1f} {rss - base:>19.1f}")
    (t_ref, _, m_ref), (t_load, _, m_load) = rows["reference"], rows["load"]
    print(f"load / reference: time x{t_load / t_ref:.2f}, "
          f"memory above baseline x{(m_load - base) / (m_ref - base):.2f} "
          f"(float32 images alone are {70000 * 784 * 4 / 2**20:.0f} MiB)")
    report = {"run": record.finish(run), "runs": args.runs,
              **{case: {"seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds, 3), "peak_rss_mib": round(rss, 1)}
                 for case, (seconds, cpu_seconds, rss) in rows.items()},
              "load_over_reference_seconds": round(t_load / t_ref, 2)}
    with open(os.path.join(ROOT, "results", "load.json"), "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
