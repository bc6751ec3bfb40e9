"""demos/modern_net_inside.py and benchmarks/takeaways_benchmark.py run end to end on the
synthetic digits, as a user would run them."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO
from common.epoch_line import PATTERN as EPOCH_LINE

DEMO = "demos/modern_net_inside.py"
BENCHMARK = "benchmarks/takeaways_benchmark.py"
ACCURACY = re.compile(r"^test accuracy ([\d.]+) clean, ([\d.]+) with noise; a noisy pass agrees with the clean "
                      r"prediction on ([\d.]+)% of the test images$", re.M)
DIGIT = re.compile(r"^test image (\d+) is labelled (\d)\. Clean, the net says (\d) with probability ([\d.]+); "
                   r"(\d+) noisy passes say \3 (\d+)% of the time", re.M)


def run(program, *flags):
    return subprocess.run([sys.executable, program, *flags], cwd=REPO, capture_output=True, text=True, timeout=600)


def assert_clean_exit(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_demo_trains_the_net_itself_and_draws_inside_it(synthetic_mnist, tmp_path):
    result = run(DEMO, "--data-dir", synthetic_mnist, "--digit", "7", "--samples", "50", "--figures", str(tmp_path))
    assert_clean_exit(result)
    assert "no --load-model, so 4_modern_net.py trains the modern net first: 3 epochs" in result.stdout
    # the script's own lines: it is the script that trains
    assert "4_modern_net.py: 3 epochs, batch 128, lr 0.001, seed 1; 2000 training and 500 test images" in result.stdout
    assert len(EPOCH_LINE.findall(result.stdout)) == 3
    clean, noisy, agree = map(float, ACCURACY.search(result.stdout).groups())
    assert clean >= 0.3  # measured 0.49 after the default 3 epochs on the synthetic digits; chance is 0.10
    assert 0 <= agree <= 100
    number, label, guess, probability, samples, same = DIGIT.search(result.stdout).groups()
    assert number == "7" and samples == "50" and 0.1 <= float(probability) <= 1
    assert os.listdir(tmp_path) == ["modern_net_inside.png"]
    assert f"wrote {tmp_path / 'modern_net_inside.png'}" in result.stdout
    width, height = png_size(tmp_path / "modern_net_inside.png")
    assert 1000 <= width <= 1600 and 500 <= height <= 900, (width, height)


@pytest.mark.slow
def test_demo_looks_inside_the_weights_of_4_modern_net(synthetic_mnist, tmp_path):
    model = tmp_path / "modern.npz"
    data = ["--data-dir", synthetic_mnist]
    trained = run("4_modern_net.py", *data, "--epochs", "4", "--save-model", str(model))
    assert_clean_exit(trained)
    accuracy = re.findall(r"^epoch +4 +test accuracy ([\d.]+)", trained.stdout, re.M)[0]
    result = run(DEMO, *data, "--load-model", str(model), "--epochs", "0")
    assert_clean_exit(result)
    assert f"the modern net's weights from {model}; 0 more epochs of training" in result.stdout
    assert ACCURACY.search(result.stdout).group(1) == accuracy  # the same net, the same clean predictions
    assert not re.search(r"^epoch", result.stdout, re.M)


@pytest.mark.slow
def test_demo_same_seed_same_output(synthetic_mnist, tmp_path):
    flags = ["--data-dir", synthetic_mnist, "--epochs", "1", "--ntrain", "512", "--ntest", "200"]
    outputs = {}
    for name, seed in [("first", "7"), ("again", "7"), ("other", "8")]:
        result = run(DEMO, *flags, "--seed", seed, "--figures", str(tmp_path / name))
        assert_clean_exit(result)
        with open(tmp_path / name / "modern_net_inside.png", "rb") as f:
            said = re.sub(r"\b[\d.]+ s\b", "N s", result.stdout)  # the script's lines time its epochs
            outputs[name] = (said.replace(str(tmp_path / name), "DIR"), f.read())
    assert outputs["first"] == outputs["again"]
    assert outputs["first"][0] != outputs["other"][0]  # the seed is what fixes them


def test_demo_help_and_a_digit_that_is_not_there(synthetic_mnist, program_help):
    status, said = program_help[DEMO]
    assert status == 0
    assert said.startswith("usage: modern_net_inside.py")
    assert "--load-model" in said and "--digit" in said
    result = run(DEMO, "--data-dir", synthetic_mnist, "--ntest", "100", "--digit", "101", "--epochs", "0")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "--digit 101" in result.stderr and "from 1 to 100" in result.stderr


@pytest.mark.slow
def test_benchmark_records_every_variant_resumes_and_tables_each_claim(synthetic_mnist, tmp_path):
    output = str(tmp_path / "takeaways.json")
    flags = ["--data-dir", synthetic_mnist, "--ntrain", "256", "--ntest", "100", "--epochs", "2", "--conv-epochs",
             "1", "--output", output]
    first = run(BENCHMARK, *flags)
    assert_clean_exit(first)
    with open(output) as f:
        variants = json.load(f)["variants"]
    assert len(variants) == 9
    for name, record in variants.items():
        epochs = 1 if "convnet" in name or "short" in name else 2
        assert record["settings"] == {"ntrain": 256, "ntest": 100, "epochs": epochs, "batch_size": 128, "seed": 1}
        assert 0 <= record["first_epoch_accuracy"] <= 1 and 0 <= record["accuracy"] <= 1
    claims = ["noise is important for regularization", "rectifiers for faster, better learning",
              "don't use (plain) SGD", "models need room to compute",
              "if your data has structure, your model should respect it"]
    rows = [line for line in first.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row.split(" | ")[0][2:] for row in rows] == claims
    assert all(re.search(r"\| (held|partly|did not hold)[^|]*\|$", row) for row in rows), rows
    assert "Measured on the first 256 MNIST training images, tested on 100; 2 epochs (1 for the convnet" in first.stdout

    again = run(BENCHMARK, *flags)  # a finished run: nothing left to train
    assert_clean_exit(again)
    assert again.stdout.count("recorded already, skipped") == 9
    table = run(BENCHMARK, "--table", "--output", output)
    assert_clean_exit(table)
    assert table.stdout.strip() == first.stdout[first.stdout.index("Measured on"):].strip()
