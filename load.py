"""Load MNIST or Fashion-MNIST as numpy arrays, downloading the files if needed.

Each dataset is four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), gzipped (.gz, as published) or not.
The folder holding them is chosen in this order:

  1. the folder given as data_dir (the scripts' --data-dir);
  2. the folder in $MNIST_DIR (mnist) or $FASHION_MNIST_DIR (fashion);
  3. the default data folder $XDG_CACHE_HOME/theano-tutorials/<dataset>
     (~/.cache/theano-tutorials/<dataset>): outside the repository, shared by every clone;
  4. Debian's /usr/share/datasets/mnist or /usr/share/datasets/fashion-mnist;
  5. otherwise the files are downloaded into the default data folder.

A folder named in 1 or 2 must exist; it is the only one looked at, and files missing
from it are downloaded into it. Downloads try several mirrors in turn (override them
with $MNIST_MIRRORS or $FASHION_MNIST_MIRRORS: space-separated base URLs), check each
file's published md5, and only then move it into place.

Usage: uv run load.py [--dataset mnist|fashion] [--data-dir DIR]   (python load.py in the pip venv)
"""
import argparse
import gzip
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib

import numpy as np

from common.datasets import TITLE
from common.errors import DataError
from common.route import command

TIMEOUT = 30  # seconds, for connecting and for each read
ENV_DIR = {"mnist": "MNIST_DIR", "fashion": "FASHION_MNIST_DIR"}
ENV_MIRRORS = {"mnist": "MNIST_MIRRORS", "fashion": "FASHION_MNIST_MIRRORS"}
DEBIAN_DIR = {"mnist": "/usr/share/datasets/mnist", "fashion": "/usr/share/datasets/fashion-mnist"}
MIRRORS = {
    "mnist": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/",
              "http://yann.lecun.com/exdb/mnist/"],
    "fashion": ["https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}
MD5 = {  # of the published .gz files
    "mnist": {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
              "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
              "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
              "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
    "fashion": {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
}
NAMES = [name[:-3] for name in MD5["mnist"]]


def default_folder(dataset="mnist"):
    """The default data folder: $XDG_CACHE_HOME/theano-tutorials/<dataset>."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(cache, "theano-tutorials", dataset)


def find_file(folder, name):
    """Path of `name` in `folder` as name.gz, name or the dotted spelling; None if absent."""
    dotted = name.replace("-idx", ".idx")
    for candidate in (name + ".gz", name, dotted + ".gz", dotted):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


def find_data(dataset="mnist", data_dir=None):
    """Return the folder holding the four files of `dataset`, downloading them if needed."""
    if dataset not in TITLE:
        raise DataError(f"Unknown dataset {dataset!r}: use {' or '.join(map(repr, TITLE))}.")
    explicit = data_dir or os.environ.get(ENV_DIR[dataset])
    if explicit:
        origin = "--data-dir" if data_dir else "$" + ENV_DIR[dataset]
        if not os.path.isdir(explicit):
            raise DataError(
                f"The data folder {explicit} (given by {origin}) does not exist. Create it "
                f"(the {TITLE[dataset]} files are then downloaded into it) or point {origin} "
                f"at the folder that holds the four files ({', '.join(NAMES)}).")
        folders = [explicit]
    else:
        folders = [default_folder(dataset), DEBIAN_DIR[dataset]]
    for folder in folders:
        if all(find_file(folder, name) for name in NAMES):
            return folder
    download(folders[0], dataset)
    return folders[0]


def download(folder, dataset="mnist", mirrors=None, checksums=None, timeout=TIMEOUT):
    """Download into `folder` each file of `checksums` (name -> md5) that is missing there.

    `checksums` defaults to the published .gz files of `dataset`; `mirrors` (base URLs,
    tried in order) defaults to $MNIST_MIRRORS / $FASHION_MNIST_MIRRORS, else MIRRORS.
    """
    checksums = checksums or MD5[dataset]
    if mirrors is None:
        mirrors = os.environ.get(ENV_MIRRORS[dataset], "").split() or MIRRORS[dataset]
    for name, md5 in checksums.items():
        if find_file(folder, name.removesuffix(".gz")):
            continue
        answers = []
        for base in mirrors:
            url = base.rstrip("/") + "/" + name
            answer = _fetch(url, os.path.join(folder, name), md5, timeout, dataset)
            if answer is None:
                break
            answers.append(f"{urllib.parse.urlsplit(url).netloc}: {answer}")
        else:
            _no_download(folder, dataset, name, answers)


def _fetch(url, path, md5, timeout, dataset):
    """Download `url` to `path` via a temporary file; return None, or why it failed."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".part",
                                   dir=os.path.dirname(path))
    except OSError as err:
        raise DataError(f"Cannot write into the data folder {os.path.dirname(path)} "
                        f"({err.strerror}). Make it writable, choose another folder with "
                        f"--data-dir or ${ENV_DIR[dataset]}, or put the files there yourself."
                        ) from None
    tty = sys.stderr.isatty()
    print(f"downloading {url}", end="" if tty else "\n", file=sys.stderr, flush=True)
    try:
        digest = hashlib.md5(usedforsecurity=False)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            total, got = int(resp.headers.get("Content-Length") or 0), 0
            while chunk := resp.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                got += len(chunk)
                if tty and total and 100 * got // total > 100 * (got - len(chunk)) // total:
                    print(f"\rdownloading {url} {100 * got // total:3d}% of {total / 1e6:.1f} MB",
                          end="", file=sys.stderr, flush=True)
        if total and got != total:
            answer = f"connection closed after {got} of {total} bytes"
        elif digest.hexdigest() != md5:
            answer = f"wrong md5 {digest.hexdigest()} (expected {md5})"
        else:
            os.chmod(tmp, 0o644)  # mkstemp makes it private
            os.replace(tmp, path)
            answer = None
    except urllib.error.HTTPError as err:
        answer = f"HTTP {err.code} {err.reason}"
    except urllib.error.URLError as err:
        answer = str(err.reason)
    except (OSError, ValueError, http.client.HTTPException) as err:  # timeouts, drops
        answer = str(err) or type(err).__name__
    finally:
        if tty:
            print(file=sys.stderr)
        if os.path.exists(tmp):
            os.remove(tmp)
    if answer:
        print(f"  failed: {answer}", file=sys.stderr)
    return answer


def _no_download(folder, dataset, name, answers):
    retry = command("load.py") + " --dataset " + dataset
    if folder != default_folder(dataset):
        retry += " --data-dir " + folder
    raise DataError(
        f"Could not download {name} ({TITLE[dataset]}) into {folder}; every mirror failed "
        f"({'; '.join(answers) or 'no mirrors given'}). Without a network, copy the four files "
        f"{', '.join(NAMES)} (gzipped .gz or not) into {folder} (or into a folder named by "
        f"--data-dir or ${ENV_DIR[dataset]}; {DEBIAN_DIR[dataset]} is searched too). "
        f"Then retry with: {retry}")


def _damaged(path, cause, dataset):
    return DataError(f"{path}: {cause}. The file is damaged or is not the {TITLE[dataset]} file; "
                     f"delete it and run `{command('load.py')} --dataset {dataset}` (with the same "
                     f"--data-dir, if any) to download it again.")


def _read_idx(folder, name, magic, dataset):
    """Read one IDX file and return (path, number of items, uint8 array of items)."""
    path = find_file(folder, name) or os.path.join(folder, name + ".gz")
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if path.endswith(".gz") or raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise _damaged(path, f"cannot be read or decompressed ({err})", dataset) from None
    kind, header, size = ("image", 16, 784) if magic == 2051 else ("label", 8, 1)
    dims = np.frombuffer(raw[:header].ljust(header, b"\0"), ">u4")
    if dims[0] != magic:
        raise _damaged(path, f"wrong magic number {dims[0]} (an IDX {kind} file starts with "
                       f"{magic})", dataset)
    if kind == "image" and tuple(dims[2:]) != (28, 28):
        raise _damaged(path, f"the images are {dims[2]}x{dims[3]}, not 28x28", dataset)
    count = int(dims[1])
    if len(raw) - header != count * size:
        raise _damaged(path, f"the header says {count} items ({count * size} bytes) but "
                       f"{len(raw) - header} bytes follow it", dataset)
    return path, count, np.frombuffer(raw, np.uint8, offset=header).reshape(count, size)


def _load_split(folder, prefix, n, onehot, dataset):
    ipath, icount, images = _read_idx(folder, prefix + "-images-idx3-ubyte", 2051, dataset)
    lpath, lcount, labels = _read_idx(folder, prefix + "-labels-idx1-ubyte", 2049, dataset)
    if icount != lcount:
        raise _damaged(lpath, f"it holds {lcount} labels but {ipath} holds {icount} images",
                       dataset)
    labels = labels.ravel()
    if labels.size and labels.max() > 9:
        i = int(np.argmax(labels > 9))
        raise _damaged(lpath, f"label {labels[i]} at position {i} is not a digit 0-9", dataset)
    n = icount if n is None else n
    if not 0 <= n <= icount:
        what = "training" if prefix == "train" else "test"
        raise DataError(f"Asked for {n} {what} examples but {ipath} holds {icount}; "
                        f"ask for a number from 0 to {icount}.")
    x = images[:n].astype(np.float32)
    x *= np.float32(1 / 255)
    if not onehot:
        return x, labels[:n].astype(np.int64)
    y = np.zeros((n, 10), np.float32)
    y[np.arange(n), labels[:n]] = 1
    return x, y


def mnist(ntrain=60000, ntest=10000, onehot=True, data_dir=None, dataset="mnist"):
    """Return trX, teX, trY, teY: the first ntrain/ntest examples (None: all) of `dataset`.

    Images are float32 rows of 784 pixels in [0, 1]; labels are one-hot float32 rows
    of 10, or int64 digits with onehot=False. Raises DataError on any problem.
    """
    folder = find_data(dataset, data_dir)
    trX, trY = _load_split(folder, "train", ntrain, onehot, dataset)
    teX, teY = _load_split(folder, "t10k", ntest, onehot, dataset)
    return trX, teX, trY, teY


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("Usage:")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=sorted(TITLE), default="mnist",
                        help="MNIST digits, or Fashion-MNIST clothes (default: %(default)s)")
    parser.add_argument("--data-dir", help="folder holding the four files (those missing are "
                        "downloaded into it); default: search as described above")
    args = parser.parse_args(argv)
    try:
        folder = find_data(args.dataset, args.data_dir)
        arrays = mnist(None, None, dataset=args.dataset, data_dir=folder)
    except DataError as err:
        print(err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    print(f"data: {folder} ({TITLE[args.dataset]})")
    for label, a in zip(["trX", "teX", "trY", "teY"], arrays):
        print(f"{label}: shape {a.shape}, {a.dtype}, min {a.min()}, max {a.max()}")
    print("first training labels:", *arrays[2][:10].argmax(axis=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
