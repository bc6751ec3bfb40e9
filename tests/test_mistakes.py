"""What each model gets wrong (--figures): its probabilities, from the py_x the script hands
its run, its most confident mistakes, and the confusion matrix of the test set; and how the
pictures label classes and epochs."""
import os
import subprocess
import sys

import numpy as np

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "demos"))
import _scripts  # noqa: E402
import figures  # noqa: E402


def test_the_probabilities_are_those_whose_argmax_the_scripts_predict_gives(synthetic_mnist):
    namespace = _scripts.run("2_logistic_regression.py", "--epochs", "1", "--data-dir", synthetic_mnist)
    images = namespace["teX"]
    probabilities = namespace["run"].probabilities(images)
    assert probabilities.shape == (len(images), 10)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert np.array_equal(np.argmax(probabilities, axis=1), namespace["predict"](images))


def test_a_picture_is_put_in_the_shape_the_model_takes(synthetic_mnist):
    namespace = _scripts.run("5_convolutional_net.py", "--data-dir", synthetic_mnist)
    images = namespace["teX"]
    assert images.shape[1:] == (1, 28, 28)  # the convnet's own shape, as the script made it
    probabilities = namespace["run"].probabilities(images[:5])
    assert probabilities.shape == (5, 10)
    picture = namespace["run"].probabilities(images[0].reshape(28, 28))  # as demos/draw.py gives it
    assert np.allclose(picture, probabilities[:1], atol=1e-6)


def test_the_mistakes_shown_are_the_most_confident_first():
    labels = np.array([0, 1, 2, 3, 4])
    probabilities = np.full((5, 10), 0.01)
    for index, (answer, p) in enumerate([(0, 0.9), (7, 0.6), (2, 0.5), (8, 0.95), (9, 0.3)]):
        probabilities[index, answer] = p  # images 1, 3 and 4 are wrong: 3 most confidently, then 1, then 4
    figure = figures.mistakes(np.zeros((5, 784)), labels, probabilities, "logistic regression")
    titles = [axis.get_title() for axis in figure.axes if axis.get_title()]
    assert titles == ["says 8 (95%)", "says 7 (60%)", "says 9 (30%)"]
    assert [axis.get_xlabel() for axis in figure.axes if axis.get_xlabel()] == ["label 3  #4", "label 1  #2",
                                                                                "label 4  #5"]
    assert "3 test digits it gets wrong most confidently, of 3 wrong in 5" in figure._suptitle.get_text()


def test_every_picture_of_a_run_names_its_epochs_seed_and_test_accuracy(synthetic_mnist, tmp_path):
    namespace = _scripts.run("3_net.py", "--epochs", "2", "--seed", "3", "--data-dir", synthetic_mnist)
    run = namespace["run"]
    drawn = run.pictures()
    said = f"3_net.py, 2 epochs, seed 3: test accuracy {run.accuracies[-1]:.2%}"
    for name, figure in drawn.items():
        if name.endswith(".png"):
            title = figure._suptitle.get_text() if figure._suptitle else figure.axes[0].get_title()
            assert title.endswith("\n" + said), (name, title)


def test_the_confusion_matrix_counts_each_true_digit_against_each_answer():
    labels = np.array([0, 0, 1, 1, 1, 2])
    answers = np.array([0, 1, 1, 1, 2, 2])
    figure = figures.confusion(labels, answers, "sigmoid net (2000)")
    axis = figure.axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text()) for t in axis.texts}
    assert cells == {(0, 0): 1, (0, 1): 1, (1, 1): 2, (1, 2): 1, (2, 2): 1}
    assert axis.get_title().startswith("sigmoid net (2000): 2 of 6 test digits wrong (33.33%)")


def test_fashion_figures_name_the_classes_not_digits():
    labels = np.array([7, 9, 0])
    probabilities = np.full((3, 10), 0.01)
    for index, (answer, p) in enumerate([(5, 0.9), (9, 0.8), (6, 0.7)]):
        probabilities[index, answer] = p  # images 1 and 3 are wrong: a sneaker taken for a sandal, a T-shirt for a shirt
    figure = figures.mistakes(np.zeros((3, 784)), labels, probabilities, "convolutional net", "fashion")
    assert [axis.get_title() for axis in figure.axes if axis.get_title()] == ["says sandal (90%)", "says shirt (70%)"]
    assert [axis.get_xlabel() for axis in figure.axes if axis.get_xlabel()] == ["label sneaker  #1",
                                                                                "label T-shirt/top  #3"]
    assert "the 2 test images it gets wrong most confidently" in figure._suptitle.get_text()
    axis = figures.confusion(labels, np.argmax(probabilities, axis=1), "convolutional net", "fashion").axes[0]
    assert [label.get_text() for label in axis.get_yticklabels()][-1] == "ankle boot"
    assert axis.get_ylabel() == "the true class"
    assert "2 of 3 test images wrong" in axis.get_title()
    weights = figures.class_weights(np.zeros((784, 10)), "fashion")
    assert [axis.get_title() for axis in weights.axes][:2] == ["T-shirt/top", "trouser"]
    assert "each class" in weights._suptitle.get_text()


def test_a_learning_curve_marks_whole_epochs_even_for_one():
    for epochs, ticks in ((1, ["1"]), (3, ["1", "2", "3"])):
        figure = figures.learning_curve([0.9] * epochs, [0.5] * epochs, "2_logistic_regression.py", 0.925)
        figure.canvas.draw()
        for axis in figure.axes:
            assert [label.get_text() for label in axis.get_xticklabels()] == ticks


MY_NET = """import sys
sys.argv = ['7_my_net.py'] + sys.argv[1:]
with open('3_net.py') as script:
    source = script.read()
assert 'model="sigmoid net (2000)"' in source
exec(compile(source.replace('model="sigmoid net (2000)"', 'model="my net"'), '7_my_net.py', 'exec'),
     {'__name__': '__main__'})
"""


def test_a_model_the_pictures_do_not_know_is_one_paragraph_naming_those_they_do(synthetic_mnist):
    result = subprocess.run([sys.executable, "-c", MY_NET, "--data-dir", synthetic_mnist], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    [paragraph] = result.stderr.strip().splitlines()
    assert paragraph.startswith("error: harness.Run(..., model='my net'): ")
    assert "'modern net (2012+)'" in paragraph and "common/talk.py" in paragraph
