"""The learned weights as an .npz file: written whole or not at all, read with clear errors."""
import os
import tempfile

import numpy as np

import load


def save_params(path, params):
    """Write the parameters to an .npz file, whole or not at all."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, *[p.get_value() for p in params])
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_params(path, params):
    """Set the parameters from an .npz file written by save_params."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    except (OSError, ValueError, KeyError) as error:
        raise load.DataError(f"cannot read the model file {path}: {error}. Give a file written by "
                             f"--save-model of the same script.") from None
    expected = [p.get_value().shape for p in params]
    if [v.shape for v in values] != expected:
        raise load.DataError(f"the model file {path} holds weights of shapes {[v.shape for v in values]}, "
                             f"but this script's model needs {expected}. Give a file written by "
                             f"--save-model of the same script.")
    for p, v in zip(params, values):
        p.set_value(v.astype(p.dtype))
