"""Every program offers only flags that do something in it, each with a help saying what."""
import glob
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

PROGRAMS = sorted(glob.glob("[0-9]_*.py", root_dir=REPO) + glob.glob("demos/[a-z]*.py", root_dir=REPO)
                  + glob.glob("benchmarks/*.py", root_dir=REPO) + ["load.py"])
HELPERS = {"benchmarks/cpu.py", "benchmarks/roofline.py"}  # modules, not programs (the demos' start with _)

# One process reads every program's flags: each runs until it parses its command line.
READ_FLAGS = """
import argparse, json, os, runpy, sys
sys.path.insert(0, os.getcwd())
import harness
found = {}
class Parsed(Exception):
    pass
def record(parser, args=None, namespace=None):
    found[program] = [(action.option_strings[0], action.dest, action.help or "")
                      for action in parser._actions if action.option_strings and action.dest != "help"]
    raise Parsed
argparse.ArgumentParser.parse_args = record
for program in sys.argv[1:]:
    sys.argv = [program]
    sys.path.insert(0, os.path.dirname(os.path.abspath(program)))  # as running it does
    try:
        runpy.run_path(program, run_name="__main__")
    except Parsed:
        pass
    except ImportError as error:  # PyTorch, for the reference only
        found[program] = str(error)
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def flags():
    programs = [p for p in PROGRAMS if p not in HELPERS]
    result = subprocess.run([sys.executable, "-c", READ_FLAGS, *programs], cwd=REPO, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_every_program_is_read(flags):
    assert sorted(flags) == [p for p in PROGRAMS if p not in HELPERS]


@pytest.mark.parametrize("program", [p for p in PROGRAMS if p not in HELPERS])
def test_every_flag_says_what_it_does_and_is_used(program, flags):
    if isinstance(flags[program], str):
        pytest.skip(f"{program} cannot be imported here: {flags[program]}")
    # where a program's flags are read: its own code, and the harness for the training scripts
    sources = [program] + (["harness/training.py"] if re.match(r"\d_", program) else []) \
        + (["demos/_moons.py"] if "moons" in program else [])
    code = "".join(open(os.path.join(REPO, source)).read() for source in sources)
    for option, dest, help in flags[program]:
        assert len(help) > 15, (program, option, help)
        assert re.search(rf"\b(args|a)\.{dest}\b", code), f"{program} offers {option} but never reads it"


def test_the_seed_says_what_it_chooses(flags):
    seed = {program: next(h for o, _, h in found if o == "--seed") for program, found in flags.items()
            if not isinstance(found, str) and any(o == "--seed" for o, _, _ in found)}
    assert "weights" not in seed["demos/knn.py"] and "noise" not in seed["demos/knn.py"]
    assert "--figures draws" in seed["demos/knn.py"]
    assert "noise" not in seed["2_logistic_regression.py"] and "noise" not in seed["3_net.py"]
    assert "dropout noise" in seed["4_modern_net.py"] and "dropout noise" in seed["5_convolutional_net.py"]
    assert "weights" not in seed["1_linear_regression.py"]


def test_a_flag_that_would_do_nothing_is_not_offered(flags):
    # argparse refuses a flag not offered: 'unrecognized arguments'
    for program in ["demos/knn.py", "demos/modern_net_inside.py"]:  # they train on all the images they load
        assert "--validation" not in [option for option, _, _ in flags[program]]
    assert "--validation" in [option for option, _, _ in flags["2_logistic_regression.py"]]
