"""Shared fixtures: synthetic MNIST files, the real MNIST folder, and a private cache."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # load.py

from synthetic import write_synthetic_mnist  # noqa: E402


@pytest.fixture(scope="session")
def synthetic_mnist(tmp_path_factory):
    """Folder with the four MNIST .gz files of 2000 train and 500 test synthetic digits."""
    folder = tmp_path_factory.mktemp("synthetic-mnist")
    write_synthetic_mnist(folder)
    return str(folder)


@pytest.fixture(scope="session")
def real_mnist():
    """Folder with the real MNIST files, from $MNIST_DIR; skips the test when unset."""
    folder = os.environ.get("MNIST_DIR")
    if not folder:
        pytest.skip("set MNIST_DIR to a folder with the four MNIST files to run the "
                    "real-MNIST tests")
    return folder


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Point $XDG_CACHE_HOME (holding the default data folder) at an empty temp dir."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return str(cache)
