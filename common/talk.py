"""What the talk says that several programs use: its scripts, the models they build and the
test accuracy its slides report for each, the one they quote for kNN, and how its training
loop cuts the training images into mini-batches.

Each training script names its model and declares the slides' number in its
harness.Run(..., model=..., slides_accuracy=...) call: that call is their one home. The
benchmarks, the notebooks and the comparison figure read them here, from the script's text,
without running the script or importing Theano.
"""
import ast
import os

FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the scripts, above common/
PROGRAMS = ["0_multiply.py", "1_linear_regression.py", "2_logistic_regression.py", "3_net.py", "4_modern_net.py",
            "5_convolutional_net.py"]  # the talk's six programs, in its order
SCRIPTS = PROGRAMS[2:]  # the training scripts, on MNIST
# The models the training scripts build, as each names its own, and what the pictures show of
# its first layer's weights (figures.py): a picture per class, per hidden unit, or per filter.
MODELS = {"logistic regression": "classes", "sigmoid net (2000)": "hidden units",
          "modern net (2012+)": "hidden units", "convolutional net": "filters"}
KNN_ACCURACY = 0.95  # "KNearestNeighbors ~95% accuracy", the baseline before any learning (demos/knn.py)


def batches(count, size):
    """The (start, end) of each mini-batch of `size` among `count` training images, as the talk's
    zip(range(0, len(trX), 128), range(128, len(trX), 128)) gives them: only the batches that
    end before the last image (none when `count` is not more than `size`)."""
    return list(zip(range(0, count, size), range(size, count, size)))


def _declared(script, keyword):
    """The value that `script`, one of SCRIPTS, gives `keyword` in its harness.Run call."""
    with open(os.path.join(FOLDER, script)) as f:
        nodes = ast.walk(ast.parse(f.read()))
    return next(node.value.value for node in nodes if isinstance(node, ast.keyword) and node.arg == keyword)


def slides_accuracy(script):
    """The slides' test accuracy that `script` declares in its Run call."""
    return _declared(script, "slides_accuracy")


def model(script):
    """The name of the model `script` builds, one of MODELS, as its Run call gives it."""
    return _declared(script, "model")
