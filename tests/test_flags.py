"""Every program offers only flags that do something in it, each with a help saying what."""
import glob
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, run_each

PROGRAMS = sorted(glob.glob("[0-9]_*.py", root_dir=REPO) + glob.glob("demos/[a-z]*.py", root_dir=REPO)
                  + glob.glob("benchmarks/*.py", root_dir=REPO) + ["load.py", "notebooks/make.py", "docs/make.py"])
# modules, not programs (the demos' start with _)
HELPERS = {"benchmarks/cpu.py", "benchmarks/roofline.py", "benchmarks/measured.py"}

# One process reads every program's flags: each runs until it parses its command line.
# A flag whose type reads numbers, or whose default is one, is of kind "whole" if its type
# refuses "1.5", else "number"; any other flag (a path, a choice, a switch) of kind "".
READ_FLAGS = """
import argparse, json, os, runpy, sys
sys.path.insert(0, os.getcwd())
import harness
found = {}
class Parsed(Exception):
    pass
def kind(action):
    numeric = action.type in (int, float) or getattr(action.type, "__module__", None) == "common.bounds"
    if numeric or type(action.default) in (int, float):
        try:
            (action.type or str)("1.5")
            return "number"
        except (ValueError, argparse.ArgumentTypeError):
            return "whole"
    return ""
def record(parser, args=None, namespace=None):
    found[program] = [(action.option_strings[0], action.dest, action.help or "", kind(action))
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
    for option, dest, help, _ in flags[program]:
        assert len(help) > 15, (program, option, help)
        assert re.search(rf"\b(args|a)\.{dest}\b", code), f"{program} offers {option} but never reads it"


def test_the_seed_says_what_it_chooses(flags):
    seed = {program: next(h for o, _, h, _ in found if o == "--seed") for program, found in flags.items()
            if not isinstance(found, str) and any(o == "--seed" for o, _, _, _ in found)}
    assert "weights" not in seed["demos/knn.py"] and "noise" not in seed["demos/knn.py"]
    assert "--figures draws" in seed["demos/knn.py"]
    assert "noise" not in seed["2_logistic_regression.py"] and "noise" not in seed["3_net.py"]
    assert "dropout noise" in seed["4_modern_net.py"] and "dropout noise" in seed["5_convolutional_net.py"]
    assert "weights" not in seed["1_linear_regression.py"]


def test_a_flag_that_would_do_nothing_is_not_offered(flags):
    # argparse refuses a flag not offered: 'unrecognized arguments'
    for program in ["demos/knn.py", "demos/modern_net_inside.py"]:  # they train on all the images they load
        assert "--validation" not in [option for option, *_ in flags[program]]
    assert "--validation" in [option for option, *_ in flags["2_logistic_regression.py"]]


# 0 is a count only where it means something: train no epoch, hold out no image, any free port; a seed
ZERO_TAKEN = {"--epochs", "--validation", "--port", "--seed", "--seeds"}
PAST_THE_LARGEST = {"--seed": 2**32, "--seeds": 2**32, "--port": 65536}  # other counts: an absurd 10**30


def bad_values(option, kind):
    values = ["abc", "", "nan", "inf", "-inf", "1e400", "-1"] + ([] if option in ZERO_TAKEN else ["0"])
    return values + (["1.5", str(PAST_THE_LARGEST.get(option, 10**30))] if kind == "whole" else [])


def test_every_number_flag_refuses_a_value_out_of_its_bounds_in_one_line(flags, tmp_path):
    # --flag=VALUE, as "--lr -inf" would read -inf as a flag
    bad = [(program, option, value) for program, found in sorted(flags.items()) if not isinstance(found, str)
           for option, _, _, kind in found if kind for value in bad_values(option, kind)]
    bad.append(("2_logistic_regression.py", "--epochs", "9" * 5000))  # more digits than int() reads
    assert {"--seed", "--seeds", "--port", "--lr", "--noise", "--samples", "--k"} <= {o for _, o, _ in bad}
    # at their bounds the flags are taken: these runs go on until they find no data
    none = ["--data-dir", str(tmp_path / "none")]
    good = [("2_logistic_regression.py", ["--seed", "0"]), ("2_logistic_regression.py", ["--seed", str(2**32 - 1)]),
            ("4_modern_net.py", ["--seed", "1"]), ("4_modern_net.py", ["--seed", "2147462578"]),
            ("2_logistic_regression.py", ["--lr", "1e300", "--ntrain", "100000", "--batch-size", "1"])]
    runs = run_each([(program, [f"{option}={value}"]) for program, option, value in bad]
                    + [(program, flags + none) for program, flags in good])
    for (program, option, value), run in zip(bad, runs):
        lines = run.stderr.strip().splitlines()
        said = f"{program} {option} {value[:20]!r}: {run.stderr[-600:]}"
        assert run.returncode == 2 and "Traceback" not in run.stderr, said
        assert lines[0].startswith("usage: ") and [line for line in lines if ": error: " in line] == lines[-1:], said
        error = f"{os.path.basename(program)}: error: argument {option}: "
        assert lines[-1].startswith((error + value[:20], error + repr(value[:20]))), said  # the value, as given
        assert value not in ("abc", "", "nan") or " is not a " in lines[-1], said
    for (program, flags), run in zip(good, runs[len(bad):]):
        assert run.returncode == 1 and "does not exist" in run.stderr, (program, flags, run.stderr)
