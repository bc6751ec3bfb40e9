"""The 2D moons demos run end to end in a subprocess, as a user would, checked on what they
print and draw."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import REPO, once_for_all_workers
from test_scripts import assert_clean_exit

DEMOS = {"moons_sgd_vs_rmsprop.py": ("sgd", "rmsprop"), "moons_sigmoid_vs_rectifier.py": ("sigmoid", "rectifier")}
FIGURES = {"moons_sgd_vs_rmsprop.py": ["moons_sgd_vs_rmsprop.gif", "moons_sgd_vs_rmsprop.png"],
           "moons_sigmoid_vs_rectifier.py": ["moons_sigmoid_vs_rectifier.gif", "moons_sigmoid_vs_rectifier.png",
                                             "moons_sigmoid_vs_rectifier_units.png"]}
STEPS = 150  # a few seconds a run
STEP_LINE = re.compile(r"^(\w+) +step +(\d+)  loss ([\d.]+)  accuracy ([\d.]+)$", re.M)
SUMMARY = re.compile(r"^after (\d+) steps from the same start: (\w+) loss ([\d.]+) accuracy ([\d.]+); "
                     r"(\w+) loss ([\d.]+) accuracy ([\d.]+)$", re.M)


def run_demo(demo, *flags):
    return subprocess.run([sys.executable, os.path.join("demos", demo), *flags], cwd=REPO, capture_output=True,
                          text=True, timeout=600)


def final_losses(stdout):
    """{variant: (loss, accuracy)} from the closing line."""
    steps, *values = SUMMARY.search(stdout).groups()
    assert int(steps) == STEPS
    return {values[i]: (float(values[i + 1]), float(values[i + 2])) for i in (0, 3)}


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """Each demo run once with --figures: {demo: (result, figures folder)}."""
    def draw():
        runs = {}
        for demo in DEMOS:
            folder = tmp_path_factory.mktemp(demo[:-3])
            result = run_demo(demo, "--steps", str(STEPS), "--figures", str(folder))
            runs[demo] = [result.args, result.returncode, result.stdout, result.stderr, str(folder)]
        return runs
    return {demo: (subprocess.CompletedProcess(*said[:4]), pathlib.Path(said[4]))
            for demo, said in once_for_all_workers(tmp_path_factory, "moons_drawn", draw).items()}


@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_demo_trains_both_variants_from_the_same_start_and_draws(demo, drawn):
    result, folder = drawn[demo]
    assert_clean_exit(result)
    lines = STEP_LINE.findall(result.stdout)
    for variant in DEMOS[demo]:
        steps = [int(step) for name, step, _, _ in lines if name == variant]
        assert steps == list(range(0, STEPS + 1, STEPS // 10)), result.stdout  # a line every tenth of the run
    starts = {name: (loss, accuracy) for name, step, loss, accuracy in lines if step == "0"}
    if demo == "moons_sgd_vs_rmsprop.py":
        assert starts["sgd"] == starts["rmsprop"]  # one net, the same initial weights: the same loss at step 0
    losses = final_losses(result.stdout)
    for variant in DEMOS[demo]:
        assert losses[variant][0] < float(starts[variant][0])  # each learned something

    assert sorted(os.listdir(folder)) == FIGURES[demo]
    for name in FIGURES[demo]:
        path = folder / name
        assert f"wrote {path}" in result.stdout
        signature = b"GIF89a" if name.endswith(".gif") else b"\x89PNG\r\n\x1a\n"
        with open(path, "rb") as f:
            assert f.read(len(signature)) == signature, name
        assert 20_000 < os.path.getsize(path) < 1_000_000, name  # a picture, and small enough to commit


# Measured with --steps 150 over seeds 1-10 (defaults otherwise), the loss on all the points
# after the last step, as a share of the other variant's: RMSprop's of SGD's 0.62 to 0.83
# (0.63 on seed 1); the rectifier net's of the sigmoid net's 0.55 to 0.84 (0.62 on seed 1).
# The tests run seed 1 and ask for less than 0.9.
def test_rmsprop_ends_below_sgd(drawn):
    losses = final_losses(drawn["moons_sgd_vs_rmsprop.py"][0].stdout)
    assert losses["rmsprop"][0] < 0.9 * losses["sgd"][0], losses


def test_rectifier_learns_faster_than_sigmoid(drawn):
    losses = final_losses(drawn["moons_sigmoid_vs_rectifier.py"][0].stdout)
    assert losses["rectifier"][0] < 0.9 * losses["sigmoid"][0], losses


@pytest.mark.slow
@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_same_seed_same_output(demo, drawn, tmp_path):
    first, folder = drawn[demo]
    again = run_demo(demo, "--steps", str(STEPS), "--figures", str(tmp_path))  # the same seed: 1, the default
    assert_clean_exit(again)
    assert again.stdout.replace(str(tmp_path), "FOLDER") == first.stdout.replace(str(folder), "FOLDER")
    for name in FIGURES[demo]:  # byte for byte: what it prints, and every figure
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name
    other = run_demo(demo, "--steps", "10", "--seed", "4")
    assert_clean_exit(other)
    starts = [re.findall(r"^\w+ +step +0 .*$", result.stdout, re.M) for result in (first, other)]
    assert len(starts[0]) == 2 and starts[0] != starts[1]  # the seed fixes the start


@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_help(demo, program_help):
    status, said = program_help[f"demos/{demo}"]
    assert status == 0
    assert said.startswith("usage: " + demo)
    for flag in ["--steps", "--seed", "--figures", "--points", "--noise", "--hidden", "--batch-size"]:
        assert flag in said


# Both demos take their flags from harness.parse_args: each refusal is checked once, on one of them.
@pytest.mark.parametrize("demo, flags, message", [
    ("moons_sgd_vs_rmsprop.py", ["--bogus"], "unrecognized arguments: --bogus"),
    ("moons_sigmoid_vs_rectifier.py", ["--steps", "0"], "--steps: 0 is too small"),
    ("moons_sgd_vs_rmsprop.py", ["--noise", "-0.1"], "--noise: -0.1 must be greater than 0"),
])
def test_bad_flags_are_refused(demo, flags, message):
    result = run_demo(demo, *flags)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_graph_and_compilation_stay_in_the_demo(demo):
    with open(os.path.join(REPO, "demos", demo)) as f:
        source = f.read()
    assert "T.grad(" in source and "updates" in source and "theano.function(" in source
