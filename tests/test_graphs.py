"""demos/graphs.py: the graph each script built, read from the script's own run, each op
described by its docstring; results/graphs/ as its record names it."""
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO
from test_scripts import assert_clean_exit

sys.path[:0] = [os.path.join(REPO, "demos"), os.path.join(REPO, "benchmarks")]
import graphs  # noqa: E402
import measured  # noqa: E402
import theano  # noqa: E402  (after graphs: the project's Theano defaults)
from theano import tensor as T  # noqa: E402
from theano.tensor.blas import Dot22, Gemm  # noqa: E402
from theano.tensor.nnet import Softmax  # noqa: E402


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


@pytest.fixture(scope="module")
def every_graph(synthetic_mnist):
    """{(script, function): Graph} of scripts 0-5, and Theano's T.grad and theano.function as they were after."""
    grad, function = T.grad, theano.function
    found = {(script, name): graph for script in graphs._scripts.SCRIPTS
             for name, graph in graphs.graphs_of(script, synthetic_mnist).items()}
    return found, (T.grad, theano.function) == (grad, function)


def test_every_op_of_every_graph_is_described_by_a_docstring(every_graph):
    found, theano_untouched = every_graph
    assert theano_untouched  # read from the script's own namespace: T.grad and theano.function are Theano's
    assert {script for script, _ in found} == set(graphs._scripts.SCRIPTS)
    assert ("5_convolutional_net.py", "train") in found and ("5_convolutional_net.py", "predict") in found
    compiled = {type(node.op): node.op for graph in found.values() for node in graph.after}
    written = {type(node.op): node.op for graph in found.values() for node in graph.before}
    undescribed = []
    for cls, op in {**written, **compiled}.items():
        sentence, source = graphs.description(op)
        if source is None:  # a Theano op without a docstring, in a graph as written: the line says so
            assert sentence == f"(no docstring) an op of class {graphs.qualified(cls)}"
            if cls in compiled or not cls.__module__.startswith("theano."):
                undescribed.append(sentence)
        elif not sentence.strip() or not issubclass(cls, source):
            undescribed.append(f"{graphs.qualified(cls)}: {sentence!r}")
        elif not cls.__module__.startswith("theano.") and source is not cls:  # the project's: a docstring of its own
            undescribed.append(f"{graphs.qualified(cls)} says only what {graphs.qualified(source)} does")
    assert not undescribed, "give these ops a docstring: " + "; ".join(undescribed)
    # the project's fast ops are what the convnet runs
    assert {"FastCorrMM", "FastCorrMMGradWeights", "FastCorrMMGradInputs", "MaxPool", "MaskedMaxPoolGradient",
            "ParallelMRGUniform"} <= {cls.__name__ for cls in compiled}


def test_a_description_is_its_docstrings_first_sentence_and_follows_it(every_graph, monkeypatch):
    train = every_graph[0][("2_logistic_regression.py", "train")]
    dot22 = next(node.op for node in train.after if type(node.op) is Dot22)
    monkeypatch.setattr(Dot22, "__doc__", "Multiplies two matrices by BLAS. Second sentence.")
    assert graphs.description(dot22) == ("Multiplies two matrices by BLAS.", Dot22)
    assert "    Dot22: Multiplies two matrices by BLAS.\n" in train.summary() + "\n"
    assert "Multiplies two matrices by BLAS. (theano.tensor.blas.Dot22)" in train.text()
    # a useless docstring: the nearest class with one of its own says what the op does, and says so
    monkeypatch.setattr(Dot22, "__doc__", "WRITEME")
    sentence, source = graphs.description(dot22)
    assert source is not Dot22 and issubclass(Dot22, source) and sentence
    assert f"({graphs.qualified(source)})" in train.text()
    # none before Theano's generic Op: a line that says so, naming the op's class
    softmax = next(node.op for node in train.before if type(node.op) is Softmax)
    monkeypatch.setattr(Softmax, "__doc__", None)
    assert graphs.description(softmax) == ("(no docstring) an op of class theano.tensor.nnet.nnet.Softmax", None)
    assert "(no docstring) an op of class theano.tensor.nnet.nnet.Softmax" in train.text()


def test_the_first_sentence_leaves_out_markup_formulas_and_writeme():
    assert graphs.first_sentence("""L{Op} to return the `shape` of a
        matrix. More.""") == "Op to return the shape of a matrix."
    assert graphs.first_sentence("Softmax activation function :math:`e^x`. More.") == "Softmax activation function"
    assert graphs.first_sentence("See :class:`Gemm` (in place).\n\nMore") == "See Gemm (in place)."
    assert graphs.first_sentence("Gradient wrt. inputs for `Conv`. (More.)") == "Gradient wrt. inputs for Conv."
    assert graphs.first_sentence("WRITEME") == graphs.first_sentence(None) == ""


def test_the_gradient_is_told_from_the_model_and_the_update_rule(every_graph):
    found = every_graph[0]
    train = found[("3_net.py", "train")]
    assert all(graphs.made_by_grad(node) for node in train.gradient)
    assert not any(graphs.made_by_grad(node) for node in train.written + train.update_rule)
    assert train.gradient and train.update_rule
    # the script's names on its variables, found in the graph theano.function was given
    assert "py_x" in {out.name for node in train.written for out in node.outputs}
    assert all(not graph.gradient for (_, name), graph in found.items() if name == "predict")


def test_results_graphs_are_the_files_their_record_names():
    view = measured.graphs_view(measured.RESULTS)
    named = {os.path.relpath(path, "results/graphs") for path in view["files"]}
    assert named == set(os.listdir(os.path.join(REPO, "results", "graphs")))
    assert all(name.endswith((".txt", ".png")) and not name.startswith("..") for name in named)
    assert {"5_convolutional_net_train.txt", "2_logistic_regression_train.png"} <= named


def test_the_fused_loops_the_page_quotes_are_in_the_graphs():
    with open(os.path.join(REPO, "docs", "graphs.md")) as f:
        quoted = set(re.findall(r"`(Composite\{.*?\})`", f.read()))
    texts = "".join(open(os.path.join(REPO, "results", "graphs", name)).read()
                    for name in os.listdir(os.path.join(REPO, "results", "graphs")) if name.endswith(".txt"))
    assert quoted and not {loop for loop in quoted if loop not in texts}


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
    result = run_graphs("0", "2", "--figures", str(tmp_path), "--pictures-up-to", "3", "--data-dir", synthetic_mnist)
    assert_clean_exit(result)
    assert "install Graphviz" not in result.stdout
    # pictures of the graphs of at most 3 nodes as written (multiply's 1, predict's 3); text of all
    assert sorted(os.listdir(tmp_path)) == ["0_multiply_multiply.png", "0_multiply_multiply.txt",
                                            "2_logistic_regression_predict.png", "2_logistic_regression_predict.txt",
                                            "2_logistic_regression_train.txt"]
    for name in ("0_multiply_multiply", "2_logistic_regression_predict"):
        with open(tmp_path / f"{name}.png", "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert f"no {tmp_path / '2_logistic_regression_train.png'}: 26 nodes as written, more than --pictures-up-to 3" \
        in result.stdout
    # logistic regression's training: the update w - lr * gradient becomes one BLAS Gemm, all in C
    assert "train: 26 nodes as written (11 model and cost, 12 added by T.grad, 3 updates)" in result.stdout
    assert f"    Gemm: {graphs.first_sentence(Gemm.__doc__)}" in result.stdout and "all in C" in result.stdout
