"""The errors a learner can fix. Each message is one paragraph naming the cause and the
fix; the programs show it without a traceback (SHOW_TRACEBACK=1 shows one).

A module of its own, importing nothing, so that load.py stays runnable alone and
cheap to import: the harness package imports Theano.
"""


class LearnerError(Exception):
    """A problem the learner can fix; the message says which, why, and the fix."""


class DataError(LearnerError):
    """The data could not be found, downloaded or read."""


class ModelFileError(LearnerError):
    """A model file (--load-model, --save-model) cannot be read, does not fit the program, or cannot be written."""


class SettingError(LearnerError):
    """A flag or a Theano setting the program cannot run with."""


class PathError(LearnerError):
    """A file or folder the program was told to write or read cannot be."""


class OutOfMemory(LearnerError):
    """The program asked for more memory than it may have."""
