"""The learned weights as an .npz file: written whole or not at all, read with clear errors."""
import contextlib
import io
import os
import tempfile
import zipfile

import numpy as np

from common.errors import ModelFileError

FIX = "Give a file written by --save-model of the same script."


def _write_new(folder, prefix, suffix, params):
    """Write the parameters into a new file in `folder` and return its path; on failure, leave nothing."""
    archive = io.BytesIO()  # built in memory: a disk that fails then fails a plain write, not NumPy's zip file
    np.savez(archive, *[p.get_value() for p in params])
    handle, path = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(archive.getbuffer())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(path, 0o666 & ~umask)  # mkstemp made it private; give it a normal file's mode
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return path


def save_params(path, params):
    """Write the parameters to an .npz file at `path` (its exact name), whole or not at all."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = _write_new(folder, "", ".npz.tmp", params)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_params_elsewhere(name, params, failed):
    """When save_params failed (`failed` says where and why): write the parameters to a
    new file name-XXXX.npz in the current folder or else in the temp folder, and return its path."""
    problems = [failed]
    for folder, called in [(os.curdir, "the current folder"), (tempfile.gettempdir(), None)]:
        try:
            return os.path.abspath(_write_new(folder, name + "-", ".npz", params))
        except OSError as error:  # the current folder may be gone: no abspath for it then
            problems.append(f"{called or folder}: {error.strerror or error}")
    raise ModelFileError(f"The weights could not be written anywhere ({'; '.join(problems)}); they are lost. "
                         f"Free some disk space or make one of these folders writable, then run again.")


def read_params(path):
    """The arrays of an .npz file written by save_params, or a ModelFileError saying what is wrong with it."""
    def refuse(problem):
        return ModelFileError(f"The model file {path} {problem}. {FIX}")

    if not os.path.exists(path):
        raise refuse("does not exist")
    if os.path.isdir(path):
        raise refuse("is a folder, not a file")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as error:
        raise refuse(f"cannot be read ({error.strerror})") from None
    if not head:
        raise refuse("is empty (was it written to the end?)")
    if head != b"PK\x03\x04":  # every .npz is a zip file
        raise refuse("is not an .npz file")
    try:
        with np.load(path, allow_pickle=False) as saved:
            names = [f"arr_{i}" for i in range(len(saved.files))]
            if sorted(saved.files) != sorted(names):
                raise refuse(f"holds arrays named {', '.join(saved.files)}, not the arr_0, arr_1, ... "
                             f"that --save-model writes")
            return [saved[name] for name in names]
    except ValueError as error:
        if "allow_pickle" in str(error):  # NumPy's words for an array of Python objects
            raise refuse("holds pickled Python objects, which --save-model never writes and which are not "
                         "loaded here, since loading them can run any code") from None
        raise refuse(f"is damaged ({error})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise refuse(f"is damaged ({error})") from None


def load_params(path, params):
    """Set the parameters from an .npz file written by save_params."""
    values = read_params(path)
    expected = [p.get_value().shape for p in params]
    if [v.shape for v in values] != expected:
        raise ModelFileError(f"The model file {path} holds weights of shapes {[v.shape for v in values]}, "
                             f"but this script's model needs {expected}. {FIX}")
    for p, v in zip(params, values):
        p.set_value(v.astype(p.dtype))
