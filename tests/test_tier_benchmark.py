"""benchmarks/tier_benchmark.py times the first tier in a fresh clone, with a compiler as
this machine's and a slower one: its slower compiler, and (second tier) a run on one test
file, in a clone of the project, so that the record goes to the clone's results/."""
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import tier_benchmark  # noqa: E402


def test_a_compiler_three_times_as_slow_compiles_each_file_twice_more_into_scratch(tmp_path, monkeypatch):
    real = tmp_path / "real"  # a "g++" that notes its arguments and writes its -o file
    real.mkdir()
    (real / "g++").write_text('#!/bin/bash\necho "$*" >> "$(dirname "$0")/said"\n'
                              'while [ $# -gt 0 ]; do [ "$1" = -o ] && echo made > "$2"; shift; done\n')
    (real / "g++").chmod(0o755)
    monkeypatch.setenv("PATH", f"{real}:{os.environ['PATH']}")
    slower = tmp_path / "slower"
    slower.mkdir()
    log = tier_benchmark.slower_compiler(str(slower), 3.0)
    subprocess.run([str(slower / "g++"), "-O3", "mod.cpp", "-o", str(tmp_path / "m.so")], check=True)
    subprocess.run([str(slower / "g++"), "-dumpversion"], check=True)
    said = (real / "said").read_text().splitlines()
    assert said == [f"-O3 mod.cpp -o {tmp_path / 'm.so'}.slower"] * 2 + [f"-O3 mod.cpp -o {tmp_path / 'm.so'}",
                                                                         "-dumpversion"]
    assert sorted(os.listdir(tmp_path)) == ["m.so", "real", "slower"]  # the scratch file is gone
    assert len(open(log).read().splitlines()) == 2  # each call, timed


@pytest.mark.slow
def test_the_tier_benchmark_times_a_fresh_clone_with_each_compiler(tmp_path):
    subprocess.run(["git", "clone", "--quiet", REPO, str(tmp_path / "project")], check=True)
    result = subprocess.run([sys.executable, "benchmarks/tier_benchmark.py", "--rounds", "1", "--compiler-slowdowns",
                             "1,2.5", "tests/test_fast_sigmoid.py"], cwd=tmp_path / "project",
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    with open(tmp_path / "project" / "results" / "tier.json") as f:
        report = json.load(f)
    assert report["tests"] == "tests/test_fast_sigmoid.py"
    assert report["run"]["command"].startswith("python benchmarks/tier_benchmark.py --rounds 1")
    same, slower = report["slowdowns"]["1"], report["slowdowns"]["2.5"]
    # that file's first tier (3_net's sigmoid in place, its off switch by two names), each
    # time in an empty compile cache, compiling
    assert same["passed"] == slower["passed"] == 3
    assert same["compiler_calls"] > 0 and slower["compiler_calls"] > 0
    assert all(row["seconds"] > 0 and row["cpu_seconds"] > 0 for row in (same, slower))
