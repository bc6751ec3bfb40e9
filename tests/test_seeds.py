"""benchmarks/talk_benchmark.py --seeds: one run per seed, recorded as it finishes, resumed on a rerun."""
import csv
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO


def benchmark(*flags):
    result = subprocess.run([sys.executable, "benchmarks/talk_benchmark.py", *flags], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def recorded(path):
    """{(seed, lr): [test accuracy of each epoch]} from a seeds file."""
    runs = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            runs.setdefault((int(row["seed"]), row["lr"]), []).append(row["test_accuracy"])
    return runs


@pytest.mark.slow
def test_seeds_append_and_resume(synthetic_mnist, tmp_path):
    path = str(tmp_path / "seeds.csv")
    common = ["2_logistic_regression.py", "--epochs", "2", "--data-dir", synthetic_mnist, "--seeds-file", path]
    benchmark(*common, "--seeds", "1", "2")
    first = recorded(path)
    assert sorted(first) == [(1, ""), (2, "")] and all(len(a) == 2 for a in first.values())
    assert first[(1, "")] != first[(2, "")]  # another seed, other weights: another trajectory
    with open(str(tmp_path / "seeds.json")) as f:  # each run's record beside its epochs
        records = json.load(f)["runs"]
    assert [(r["seed"], r["epochs"]) for r in records] == [(1, 2), (2, 2)]
    assert records[0]["command"] == "python 2_logistic_regression.py --epochs 2 --seed 1 --data-dir PATH"
    assert all(r["machine"] and r["load_after"] is not None and r["versions"]["theano"] for r in records)

    # a rerun skips what is recorded and runs only the new seed
    out = benchmark(*common, "--seeds", "1", "2", "3")
    assert "skipping 2_logistic_regression.py seed 1" in out and "skipping 2_logistic_regression.py seed 2" in out
    second = recorded(path)
    assert sorted(second) == [(1, ""), (2, ""), (3, "")]
    assert second[(1, "")] == first[(1, "")] and second[(2, "")] == first[(2, "")]
    with open(str(tmp_path / "seeds.log")) as f:
        assert f.read().count("$ python 2_logistic_regression.py") == 3  # seeds 1, 2, then 3: no run twice

    # another learning rate is an experiment of its own, beside the script's own runs
    benchmark(*common, "--seeds", "1", "--lr", "0.5")
    third = recorded(path)
    assert sorted(third) == [(1, ""), (1, "0.5"), (2, ""), (3, "")] and third[(1, "")] == first[(1, "")]

    table = benchmark("--table", "--seeds-file", path)
    row = next(line for line in table.splitlines()
               if line.startswith("| `2_logistic_regression.py`") and " ± " in line)  # the table over seeds
    finals = sorted(float(run[-1]) for seed, run in third.items() if seed[1] == "")
    assert f"| {finals[0]:.2%}–{finals[-1]:.2%} | " in row and "| 3: 1, 2, 3 (2) |" in row  # min–max, the seeds
    assert "`python 2_logistic_regression.py --epochs 2 --seed 1 --lr 0.5`" in table


@pytest.mark.slow
def test_seeds_rerun_with_other_epochs_replaces_the_run(synthetic_mnist, tmp_path):
    path = str(tmp_path / "seeds.csv")
    common = ["2_logistic_regression.py", "--data-dir", synthetic_mnist, "--seeds-file", path, "--seeds", "4"]
    benchmark(*common, "--epochs", "1")
    benchmark(*common, "--epochs", "2")
    runs = recorded(path)
    assert list(runs) == [(4, "")] and len(runs[(4, "")]) == 2


def test_comparison_draws_a_band_over_seeds(tmp_path):
    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    import comparison
    path = tmp_path / "seeds.csv"
    path.write_text("script,seed,lr,epoch,test_accuracy,train_cost,seconds\n"
                    "3_net.py,1,,1,0.90,1,1\n3_net.py,1,,2,0.92,1,1\n"
                    "3_net.py,2,,1,0.88,1,1\n3_net.py,2,,2,0.93,1,1\n"
                    "3_net.py,1,0.5,1,0.97,1,1\n3_net.py,1,0.5,2,0.98,1,1\n"  # an experiment: not a seed
                    "4_modern_net.py,1,,1,0.97,1,1\n")
    runs = comparison.read_trajectories(str(path))
    assert sorted(runs) == ["3_net.py", "4_modern_net.py"] and sorted(runs["3_net.py"]) == [1, 2]
    axis = comparison.comparison(runs).axes[0]
    band, = axis.collections  # only the net with two seeds has a band
    low, high = band.get_paths()[0].vertices[:, 1].min(), band.get_paths()[0].vertices[:, 1].max()
    assert abs(low - 0.07) < 1e-9 and abs(high - 0.12) < 1e-9  # best error 1 - 0.93, worst 1 - 0.88
    mean_line = axis.get_lines()[0]
    assert max(abs(a - b) for a, b in zip(mean_line.get_ydata(), [0.11, 0.075])) < 1e-9  # mean error per epoch


def test_table_verdict_against_the_slides(tmp_path):
    path = tmp_path / "seeds.csv"
    lines = ["script,seed,lr,epoch,test_accuracy,train_cost,seconds"]
    for seed, accuracy in [(1, 0.9240), (2, 0.9250), (3, 0.9260)]:  # around the slides' 92.5 %
        lines.append(f"2_logistic_regression.py,{seed},,1,{accuracy},1,1")
    for seed, accuracy in [(1, 0.9500), (2, 0.9510), (3, 0.9520)]:  # far below the slides' 98.4 %
        lines.append(f"3_net.py,{seed},,1,{accuracy},1,1")
    path.write_text("\n".join(lines) + "\n")
    table = benchmark("--table", "--seeds-file", str(path)).splitlines()
    logistic = next(line for line in table if line.startswith("| `2_logistic_regression.py`") and " ± " in line)
    net = next(line for line in table if line.startswith("| `3_net.py`") and " ± " in line)
    assert "| 92.50% ± 0.10% | 92.40%–92.60% |" in logistic and logistic.endswith("| within the spread |")
    # 3.30 points above a mean of 95.10 %, with sd 0.10 %: 33 sd
    assert "outside the spread: the slides 3.30 points above the mean (33 sd)" in net
