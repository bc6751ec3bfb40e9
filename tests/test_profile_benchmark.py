"""benchmarks/profile_benchmark.py splits a training step's time by kind of op, into a record."""
import json
import subprocess
import sys

from conftest import REPO
from test_scripts import assert_clean_exit

SCRIPT = "4_modern_net.py"


def test_profile_splits_the_modern_nets_step_into_shares_that_sum_to_one(synthetic_mnist, tmp_path):
    record = tmp_path / "profile.json"
    result = subprocess.run([sys.executable, "benchmarks/profile_benchmark.py", "--data-dir", synthetic_mnist,
                             "--ntrain", "256", "--results", str(record), SCRIPT],
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    assert_clean_exit(result)
    report = json.loads(record.read_text())
    assert report["sgemm_gflops"] > 0 and report["run"]["command"].startswith("python benchmarks/profile_benchmark.py")
    assert list(report["scripts"]) == [SCRIPT]
    theano = report["scripts"][SCRIPT]["theano"]
    assert set(theano["shares"]) == {"matrix products", "convolutions", "random numbers", "pooling",
                                     "elementwise loops", "other ops", "call outside any op"}
    assert abs(sum(theano["shares"].values()) - 1) < 1e-3
    # the modern net: its products, its dropout's random numbers, no convolution nor pooling
    assert theano["shares"]["matrix products"] > 0 and theano["shares"]["random numbers"] > 0
    assert theano["shares"]["convolutions"] == theano["shares"]["pooling"] == 0
    assert len(theano["top_ops"]) == 5 and theano["step_seconds"] > 0 and 0 < theano["sgemm_share"]
    for peer in ("torch", "jax"):  # installed with the group twins, else left out and said so
        profile = report["scripts"][SCRIPT][peer]
        if profile is None:
            assert f"{peer} is not installed" in result.stdout
        else:
            assert profile["step_seconds"] > 0
            assert "shares" not in profile or abs(sum(profile["shares"].values()) - 1) < 1e-3
