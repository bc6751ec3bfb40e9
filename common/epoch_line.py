"""The line a training script prints at the end of each epoch: written by harness/training.py,
read by the benchmarks and the tests."""
import re

# The validation accuracy is there only with --validation N.
PATTERN = re.compile(r"^epoch +(?P<epoch>\d+) +test accuracy (?P<accuracy>[\d.]+) +"
                     r"(?:validation accuracy (?P<validation>[\d.]+) +)?"
                     r"train cost (?P<cost>[\d.]+) +(?P<seconds>[\d.]+) s$", re.M)


def epoch_line(epoch, accuracy, validation, cost, seconds):
    """The line for one epoch; `validation` is None without --validation."""
    shown = "" if validation is None else f"validation accuracy {validation:.4f}  "
    return f"epoch {epoch:3d}  test accuracy {accuracy:.4f}  {shown}train cost {cost:.4f}  {seconds:7.2f} s"
