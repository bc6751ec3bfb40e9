"""benchmarks/record.py: what a record says of its run, and a program's output kept as a record."""
import os
import re
import subprocess
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import record  # noqa: E402


def test_a_record_names_the_command_date_machine_load_and_versions(tmp_path):
    run = record.finish(record.start(["3_net.py", "--data-dir", str(tmp_path), f"--figures={REPO}/results/figures"]))
    assert run["command"] == "python 3_net.py --data-dir PATH --figures=results/figures"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", run["date"]) and " cores, " in run["machine"]
    assert re.fullmatch(r"family \d+, model \d+", run["cpu"]) and run["blas"] in ("Haswell", "SkylakeX", "Zen",
                                                                                    "SandyBridge", "Cooperlake")
    assert run["load_before"] >= 0 and run["load_after"] >= 0
    assert set(run["versions"]) == {"python", "theano", "numpy"}
    assert record.start(peers={"torch": "2.13.0"})["versions"]["torch"] == "2.13.0"


def test_a_programs_output_is_kept_once_per_command_without_this_machines_folders(tmp_path):
    program, log, data = tmp_path / "tell.py", tmp_path / "runs.log", str(tmp_path / "mnist")
    program.write_text(f"import os, sys; print('data in', sys.argv[2], 'code in', {REPO!r} + '/load.py', "
                       "'cache in', os.path.expanduser('~/.theano'))\n"
                       "sys.exit(3 if '--fail' in sys.argv else 0)\n")

    def keep(*flags):
        return subprocess.run([sys.executable, "benchmarks/record.py", str(log), str(program), "--data-dir", data,
                               *flags], cwd=REPO, capture_output=True, text=True)

    assert [keep().returncode, keep("--x").returncode, keep().returncode] == [0, 0, 0]
    kept = log.read_text()
    assert keep("--fail").returncode == 1 and log.read_text() == kept  # a run that fails is not kept
    runs = record.runs(kept)
    assert [command for command, _, _ in runs] == ["python PATH --data-dir PATH --x", "python PATH --data-dir PATH"]
    assert runs[1][2] == "data in PATH code in load.py cache in ~/.theano\n"
    assert all(run["machine"] and run["load_after"] is not None for _, run, _ in runs)
