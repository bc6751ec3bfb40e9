"""What the talk says that several programs use: its training scripts and their models'
names, the test accuracy its slides report for each, and the one they quote for kNN.

Each script declares the slides' number in its harness.Run(..., slides_accuracy=...) call:
that call is the number's one home. The benchmarks and the comparison figure read it here,
from the script's text, without running the script or importing Theano.
"""
import ast
import os

FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the scripts, above common/
SCRIPTS = ["2_logistic_regression.py", "3_net.py", "4_modern_net.py", "5_convolutional_net.py"]
NAMES = {"2_logistic_regression.py": "logistic regression", "3_net.py": "sigmoid net (2000)",
         "4_modern_net.py": "modern net (2012+)", "5_convolutional_net.py": "convolutional net"}
KNN_ACCURACY = 0.95  # "KNearestNeighbors ~95% accuracy", the baseline before any learning (demos/knn.py)


def slides_accuracy(script):
    """The slides' test accuracy that `script`, one of SCRIPTS, declares in its Run call."""
    with open(os.path.join(FOLDER, script)) as f:
        nodes = ast.walk(ast.parse(f.read()))
    return next(node.value.value for node in nodes if isinstance(node, ast.keyword) and node.arg == "slides_accuracy")
