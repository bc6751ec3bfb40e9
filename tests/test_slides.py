"""The scripts' comments follow the slides' annotations, in the slides' order, and their training
loop is the talk's."""
import ast
import os
import re

import pytest

from common import talk
from conftest import REPO

# From the talk's outline, slide by slide.
ANNOTATIONS = {
    "0_multiply.py": ["imports", "theano symbolic variable initialization", "our model",
                      "compiling to a python function", "usage"],
    "1_linear_regression.py": ["imports", "training data generation", "symbolic variable initialization",
                               "our model", "model parameter initialization", "metric to be optimized by model",
                               "learning signal for parameter(s)", "how to change parameter based on learning signal",
                               "compiling to a python function",
                               "iterate through data 100 times and train model on each example of input, output pairs"],
    "2_logistic_regression.py": ["convert to correct dtype", "initialize model parameters",
                                 "our model in matrix format", "loading data matrices", "now matrix types",
                                 "probability outputs and maxima predictions", "classification metric to optimize",
                                 "compile prediction function", "train on mini-batches of 128 examples"],
    "3_net.py": ["generalize to compute gradient descent on all model parameters",
                 "2 layers of computation: input -> hidden (sigmoid), hidden -> output (softmax)",
                 "initialize both weight matrices", "updated version of updates"],
    "4_modern_net.py": ["rectifier", "numerically stable softmax", "a running average of the magnitude of the gradient",
                        "scale the gradient based on running average", "randomly drop values and scale rest",
                        "noise injected into model", "rectifiers now used", "2 hidden layers"],
    "5_convolutional_net.py": ['a "block" of computation: conv -> activate -> pool -> noise',
                               "convert from 4tensor to normal matrix", "reshape into conv 4tensor (b, c, 0, 1) format",
                               "now 4tensor for conv instead of matrix",
                               "conv weights (n_kernels, n_channels, kernel_w, kernel_h)",
                               "highest conv layer has 128 filters and a 3x3 grid of responses",
                               "noise during training", "no noise for prediction"],
}


@pytest.mark.parametrize("script", sorted(ANNOTATIONS))
def test_comments_follow_the_slides_in_order(script):
    with open(os.path.join(REPO, script)) as f:
        comments = [m.group(1).strip() for m in re.finditer(r"^\s*# (.*)$", f.read(), re.M)]
    position = 0
    for annotation in ANNOTATIONS[script]:
        found = [i for i, comment in enumerate(comments) if comment.startswith(annotation)]
        assert any(i >= position for i in found), f"{script}: no comment '# {annotation}' after line {position}"
        position = min(i for i in found if i >= position) + 1


@pytest.mark.parametrize("script", sorted(ANNOTATIONS))
def test_graph_and_compilation_stay_in_the_script(script):
    with open(os.path.join(REPO, script)) as f:
        source = f.read()
    assert "theano.function(" in source
    if script != "0_multiply.py":
        assert "T.grad(" in source and "updates" in source


@pytest.mark.parametrize("script", talk.SCRIPTS)
def test_the_slides_accuracy_a_script_declares_is_the_one_it_states(script):
    """Its Run call (read by common/talk.py for the benchmarks and figures) and its docstring and
    notebook text say the same number."""
    with open(os.path.join(REPO, script)) as f:
        source = f.read()
    assert source.count(f"The slides report {talk.slides_accuracy(script) * 100:.1f} % test accuracy") == 2


# The talk's loop, as its scripts end: the epochs, the mini-batches, a step each, the test accuracy printed.
TALK_LOOP = """for i in range(100):
    for start, end in zip(range(0, len(trX), 128), range(128, len(trX), 128)):
        cost = train(trX[start:end], trY[start:end])
    print(np.mean(np.argmax(teY, axis=1) == predict(teX)))"""


@pytest.mark.parametrize("script", talk.SCRIPTS)
def test_the_training_loop_is_the_talks_written_out(script):
    """The script's loop is the talk's, line for line, with the run's words for what the run does: its
    batches (a progress bar), the step's cost, the epoch's report in place of print."""
    with open(os.path.join(REPO, script)) as f:
        tree = ast.parse(f.read())
    block = next(node for node in tree.body if isinstance(node, ast.With))
    assert ast.unparse(block.items[0].context_expr.func) == "run.training"
    [epochs] = block.body
    expected = (TALK_LOOP.replace("for i in range(100)", "for epoch in range(args.epochs)")
                .replace("zip(range(0, len(trX), 128), range(128, len(trX), 128))", "run.batches(len(trX))")
                .replace("cost = train(trX[start:end], trY[start:end])",
                         "cost = train(trX[start:end], trY[start:end])\n        run.step(cost)")
                .replace("print(", "run.report("))
    assert ast.unparse(epochs) == expected
    assert ast.unparse(ast.parse(TALK_LOOP)) == TALK_LOOP  # the talk's lines, as the parser writes them
