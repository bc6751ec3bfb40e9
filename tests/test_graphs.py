"""demos/graphs.py: the graph each script built, read from the script's own run."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO
from test_scripts import assert_clean_exit

sys.path.insert(0, os.path.join(REPO, "demos"))
import graphs  # noqa: E402


def test_linear_regression_graph_as_written_with_its_gradient_and_as_run():
    train = graphs.graphs_of("1_linear_regression.py")["train"]
    # y = X * w, then mean((y - Y)^2): the model and cost, 4 nodes; T.grad's d cost / d w, then w - g * lr
    assert [graphs.kind(node.op) for node in train.written] == [
        "Elemwise{Mul}", "Elemwise{Sub}", "Elemwise{Sqr}", "Sum"]
    assert train.gradient[-1].outputs[0].name == "gradient"  # the script's own variable, found by its name
    assert [graphs.kind(node.op) for node in train.update_rule] == ["Elemwise{Mul}", "Elemwise{Sub}"]
    # measured: 13 nodes become 3, two of them fused loops, all in C
    assert len(train.before) == 13 and len(train.after) < len(train.before)
    assert len(train.fused()) >= 1 and all(train.in_c.values())
    summary = train.summary()
    assert summary.startswith("train: 13 nodes as written (4 model and cost, 7 added by T.grad, 2 updates)")
    assert "fused:" in summary
    text = train.text()
    for heading in ("the graph as written", "with the gradients T.grad added", "after its optimisations"):
        assert heading in text
    assert "Composite" in text.split("after its optimisations")[1]


def test_multiply_has_no_gradient():
    multiply = graphs.graphs_of("0_multiply.py")["multiply"]
    assert (len(multiply.before), multiply.gradient, multiply.update_rule) == (1, [], [])
    assert "T.grad" not in multiply.summary()
    dot = multiply.dot("title")
    assert dot.startswith("digraph {") and dot.count("subgraph cluster_") == 2


def run_graphs(*flags, env=None):
    return subprocess.run([sys.executable, "demos/graphs.py", *flags], cwd=REPO, capture_output=True, text=True,
                          env=env, timeout=600)


def path_without_dot(folder):
    """A PATH like this one but without Graphviz's dot: links to every other program."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if os.path.isdir(directory):
            for name in os.listdir(directory):
                if name != "dot" and not (folder / name).exists():
                    (folder / name).symlink_to(os.path.join(directory, name))
    return str(folder)


@pytest.mark.slow
def test_without_dot_the_graphs_are_text_and_one_line_says_how_to_get_pictures(tmp_path):
    env = dict(os.environ, PATH=path_without_dot(tmp_path / "bin"))
    result = run_graphs("0", "1", "--figures", str(tmp_path / "out"), env=env)
    assert_clean_exit(result)
    assert sorted(os.listdir(tmp_path / "out")) == ["0_multiply_multiply.txt", "1_linear_regression_train.txt"]
    lines = [line for line in result.stdout.splitlines() if "install Graphviz" in line]
    assert len(lines) == 1 and "dot is not on the PATH" in lines[0]
    with open(tmp_path / "out" / "1_linear_regression_train.txt") as f:
        assert "Elemwise{Composite" in f.read()


@pytest.mark.slow
def test_with_dot_the_graphs_are_pictures_too(tmp_path, synthetic_mnist):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (apt install graphviz)")
    result = run_graphs("2", "--figures", str(tmp_path), "--data-dir", synthetic_mnist)
    assert_clean_exit(result)
    assert "install Graphviz" not in result.stdout
    assert sorted(os.listdir(tmp_path)) == [f"2_logistic_regression_{name}.{ext}" for name in ("predict", "train")
                                            for ext in ("png", "txt")]
    for name in ("predict", "train"):
        with open(tmp_path / f"2_logistic_regression_{name}.png", "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    # logistic regression's training: the update w - lr * gradient becomes one BLAS Gemm, all in C
    assert "train: 26 nodes as written (11 model and cost, 12 added by T.grad, 3 updates)" in result.stdout
    assert "Gemm (BLAS" in result.stdout and "all in C" in result.stdout
