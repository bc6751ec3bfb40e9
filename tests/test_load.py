"""Tests of load.py: real and synthetic data, bad files, and downloads from a local server."""
import gzip
import hashlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest

import load
from synthetic import NAMES, read_idx_gz

LOAD = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "load.py")
GZ = [name + ".gz" for name in NAMES]


def run_load(*args, **env):
    """Run `python load.py ARGS` as a user would, with extra environment variables."""
    return subprocess.run([sys.executable, LOAD, *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env})


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def copy_of(folder, tmp_path):
    target = tmp_path / "data"
    shutil.copytree(folder, target)
    return target


# --- real MNIST (skipped unless MNIST_DIR is set) ---

@pytest.fixture(scope="module")
def real_arrays(real_mnist):
    return load.mnist(data_dir=real_mnist)


@pytest.mark.slow
def test_real_mnist_shapes_types_and_first_labels(real_arrays):
    trX, teX, trY, teY = real_arrays
    assert [a.shape for a in real_arrays] == [(60000, 784), (10000, 784), (60000, 10), (10000, 10)]
    assert all(a.dtype == np.float32 for a in real_arrays)
    assert list(trY[:5].argmax(axis=1)) == [5, 0, 4, 1, 9]
    assert list(teY[:5].argmax(axis=1)) == [7, 2, 1, 0, 4]
    for x in trX, teX:
        assert x.min() == 0.0 and x.max() == 1.0
    for y in trY, teY:
        assert set(np.unique(y)) == {0.0, 1.0} and (y.sum(axis=1) == 1).all()
    assert abs(trX.mean() * 255 - 33.3184) < 1e-3  # mean pixel, as in SOURCE.md


@pytest.mark.slow
def test_real_mnist_integer_labels_and_slicing(real_mnist, real_arrays):
    trX, teX, trY, teY = load.mnist(1000, 500, onehot=False, data_dir=real_mnist)
    assert trX.shape == (1000, 784) and teX.shape == (500, 784)
    assert trY.dtype.kind == "i" and trY.shape == (1000,) and teY.shape == (500,)
    assert (trY == real_arrays[2][:1000].argmax(axis=1)).all()
    assert (trX == real_arrays[0][:1000]).all() and (teX == real_arrays[1][:500]).all()
    full = load.mnist(onehot=False, data_dir=real_mnist)[2]
    assert list(np.bincount(full)) == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.mark.slow
def test_real_mnist_cli(real_mnist):
    result = run_load("--data-dir", real_mnist)
    assert result.returncode == 0, result.stderr
    assert f"data: {real_mnist}" in result.stdout
    assert "trX: shape (60000, 784), float32" in result.stdout
    assert "first training labels: 5 0 4 1 9 2 1 3 1 4" in result.stdout


@pytest.mark.skipif(not os.path.isdir(load.DEBIAN_DIR["fashion"]),
                    reason="install Debian's dataset-fashion-mnist to test Fashion-MNIST")
@pytest.mark.slow
def test_fashion_from_debian_folder(monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    assert load.find_data("fashion") == load.DEBIAN_DIR["fashion"]
    trX, teX, trY, teY = load.mnist(dataset="fashion")
    assert trX.shape == (60000, 784) and teY.shape == (10000, 10) and trX.dtype == np.float32
    assert list(trY[:5].argmax(axis=1)) == [9, 0, 0, 3, 0]


# --- synthetic data ---

def test_synthetic_round_trip(synthetic_mnist):
    trX, teX, trY, teY = load.mnist(2000, 500, onehot=False, data_dir=synthetic_mnist)
    raw = [read_idx_gz(os.path.join(synthetic_mnist, name)) for name in GZ]
    assert (np.rint(trX * 255) == raw[0].reshape(2000, 784)).all()
    assert (np.rint(teX * 255) == raw[2].reshape(500, 784)).all()
    assert (trY == raw[1]).all() and (teY == raw[3]).all()
    assert list(np.bincount(trY)) == [200] * 10 and list(np.bincount(teY)) == [50] * 10
    onehot = load.mnist(2000, 500, data_dir=synthetic_mnist)
    assert (onehot[2].argmax(axis=1) == trY).all() and (onehot[3].sum(axis=1) == 1).all()
    assert onehot[2].dtype == onehot[3].dtype == np.float32


def test_synthetic_digits_are_learnable(synthetic_mnist):
    trX, teX, trY, teY = load.mnist(2000, 500, data_dir=synthetic_mnist)
    ones = np.ones((len(trX), 1), np.float32)
    weights = np.linalg.lstsq(np.hstack([trX, ones]), trY, rcond=None)[0]
    predicted = (np.hstack([teX, ones[:len(teX)]]) @ weights).argmax(axis=1)
    assert (predicted == teY.argmax(axis=1)).mean() > 0.75  # random pixels would give ~0.1


@pytest.mark.parametrize("ntrain, ntest, available", [(2001, 500, 2000), (2000, -1, 500)])
def test_asking_for_too_many_examples(synthetic_mnist, ntrain, ntest, available):
    with pytest.raises(load.DataError, match=f"holds {available}"):
        load.mnist(ntrain, ntest, data_dir=synthetic_mnist)


def test_uncompressed_and_dotted_file_names(synthetic_mnist, tmp_path):
    spelled = ["train-images-idx3-ubyte", "train-labels.idx1-ubyte",
               "t10k-images.idx3-ubyte.gz", "t10k-labels-idx1-ubyte"]
    for name, new in zip(GZ, spelled):
        data = open(os.path.join(synthetic_mnist, name), "rb").read()
        (tmp_path / new).write_bytes(data if new.endswith(".gz") else gzip.decompress(data))
    got = load.mnist(2000, 500, data_dir=str(tmp_path))
    for a, b in zip(got, load.mnist(2000, 500, data_dir=synthetic_mnist)):
        assert (a == b).all()


def test_search_order(synthetic_mnist, private_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", synthetic_mnist)
    assert load.find_data() == synthetic_mnist
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(load.DataError, match=r"\$MNIST_DIR"):
        load.find_data()
    assert load.find_data(data_dir=synthetic_mnist) == synthetic_mnist  # data_dir comes first
    monkeypatch.delenv("MNIST_DIR")
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    default = os.path.join(private_cache, "theano-tutorials", "fashion")
    assert load.default_folder("fashion") == default
    shutil.copytree(synthetic_mnist, default)  # the default folder comes before Debian's
    assert load.find_data("fashion") == default


# --- bad input, run as a user would ---

def rewrite(folder, name, change, compress=True):
    """Replace folder/name.gz by change(decompressed bytes), gzipped or not."""
    raw = gzip.decompress((folder / (name + ".gz")).read_bytes())
    (folder / (name + ".gz")).unlink()
    new = change(raw)
    (folder / (name + ".gz" if compress else name)).write_bytes(gzip.compress(new) if compress
                                                                else new)


def set_byte(offset, value):
    return lambda raw: raw[:offset] + bytes([value]) + raw[offset + 1:]


def flip_gz_middle(folder, name):
    data = bytearray((folder / name).read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0x5A for b in data[middle:middle + 64])
    (folder / name).write_bytes(bytes(data))


BAD = {  # case: (make it bad, file named in the message, cause in the message)
    "one file missing": (lambda d: (d / GZ[3]).unlink(), GZ[3], "Could not download"),
    "truncated gzip": (lambda d: (d / GZ[0]).write_bytes((d / GZ[0]).read_bytes()[:5000]),
                       GZ[0], "decompress"),
    "truncated file": (lambda d: rewrite(d, NAMES[0], lambda r: r[:-100], compress=False),
                       NAMES[0], "bytes follow"),
    "wrong magic": (lambda d: rewrite(d, NAMES[1], set_byte(3, 3)), GZ[1], "magic number"),
    "header count": (lambda d: rewrite(d, NAMES[2], set_byte(7, 0xF5)), GZ[2],
                     "header says 501 items"),
    "not 28x28": (lambda d: rewrite(d, NAMES[0], set_byte(11, 27)), GZ[0], "not 28x28"),
    "label 10": (lambda d: rewrite(d, NAMES[1], set_byte(8 + 5, 10)), GZ[1],
                 "label 10 at position 5"),
    "count mismatch": (lambda d: rewrite(d, NAMES[3], lambda r: set_byte(7, 0xF3)(r)[:-1]),
                       GZ[3], "holds 499 labels but"),
    "gzip garbage": (lambda d: (d / GZ[2]).write_bytes(os.urandom(3000)), GZ[2], "decompress"),
    "corrupt gzip data": (lambda d: flip_gz_middle(d, GZ[0]), GZ[0], "decompress"),
    "bad deflate stream": (lambda d: (d / GZ[1]).write_bytes((d / GZ[1]).read_bytes()[:10]
                                                             + b"\xff" * 100), GZ[1], "decompress"),
}


@pytest.fixture
def closed_port():
    """URL of a 127.0.0.1 port that refuses connections (bound, never listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


@pytest.mark.parametrize("case", BAD)
def test_bad_files_give_a_clear_error(case, synthetic_mnist, tmp_path, closed_port):
    make_bad, name, cause = BAD[case]
    folder = copy_of(synthetic_mnist, tmp_path)
    make_bad(folder)
    result = run_load("--data-dir", str(folder), MNIST_MIRRORS=closed_port)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert name in result.stderr and cause in result.stderr, result.stderr


def test_missing_folder(tmp_path):
    result = run_load("--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{tmp_path / 'nowhere'} (given by --data-dir) does not exist" in result.stderr


# The command to retry with is the one of the learner's route: uv sets $UV for what it runs.
@pytest.mark.parametrize("uv, retry", [("", "python load.py"), ("/usr/local/bin/uv", "uv run load.py")])
def test_empty_folder_offline(tmp_path, closed_port, uv, retry):
    result = run_load("--data-dir", str(tmp_path), MNIST_MIRRORS=closed_port, UV=uv)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Could not download train-images-idx3-ubyte.gz" in result.stderr
    assert "Connection refused" in result.stderr and all(n in result.stderr for n in NAMES)
    assert f"retry with: {retry} --dataset mnist --data-dir {tmp_path}" in result.stderr
    assert os.listdir(tmp_path) == []


def test_unwritable_default_folder(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    result = run_load(XDG_CACHE_HOME=str(tmp_path / "file"), MNIST_DIR="")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"Cannot write into the data folder {tmp_path / 'file'}" in result.stderr


# --- downloads from a local HTTP server ---

class Handler(http.server.BaseHTTPRequestHandler):
    """Serves /<kind>/<name> from server.files; <kind> says how to (mis)behave."""

    def do_GET(self):
        _, kind, name = self.path.split("/", 2)
        body = self.server.files.get(name)
        if body is None or kind == "404":
            return self.send_error(404)
        if kind == "500":
            return self.send_error(500)
        if kind == "drop":
            return  # close the connection without an answer
        if kind == "corrupt":
            body = body[:-10] + bytes(10)
        if kind == "pair":
            self.server.pair.wait(timeout=60)  # both downloads are in flight
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind in ("short", "stall"):
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            if kind == "stall":
                self.server.stalled.set()
                self.server.release.wait(timeout=60)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(synthetic_mnist):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.files = {name: open(os.path.join(synthetic_mnist, name), "rb").read() for name in GZ}
    srv.md5 = {name: hashlib.md5(data).hexdigest() for name, data in srv.files.items()}
    srv.pair, srv.stalled, srv.release = threading.Barrier(2), threading.Event(), threading.Event()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()


def test_download_good_files(server, tmp_path, capsys):
    load.download(str(tmp_path), mirrors=[server.url + "/good/"], checksums=server.md5)
    assert sorted(os.listdir(tmp_path)) == sorted(GZ)
    assert {name: md5(tmp_path / name) for name in GZ} == server.md5
    assert capsys.readouterr().err.count("downloading http://127.0.0.1") == 4
    assert load.mnist(2000, 500, data_dir=str(tmp_path))[0].shape == (2000, 784)


@pytest.mark.parametrize("kind, answer", [
    ("corrupt", "wrong md5"), ("short", "connection closed after"), ("404", "HTTP 404"),
    ("500", "HTTP 500"), ("drop", "closed connection without response")])
def test_download_rejects_bad_answers(server, tmp_path, kind, answer):
    with pytest.raises(load.DataError) as err:
        load.download(str(tmp_path), mirrors=[f"{server.url}/{kind}/"], checksums=server.md5)
    assert answer in str(err.value)
    assert os.listdir(tmp_path) == []  # no temp file, no half-written file


def test_failing_mirrors_fall_through(server, tmp_path, closed_port, capsys):
    mirrors = [closed_port] + [f"{server.url}/{kind}/" for kind in
                               ("404", "500", "drop", "short", "corrupt", "good")]
    load.download(str(tmp_path), mirrors=mirrors, checksums=server.md5)
    assert sorted(os.listdir(tmp_path)) == sorted(GZ)
    assert {name: md5(tmp_path / name) for name in GZ} == server.md5
    assert capsys.readouterr().err.count("failed:") == 4 * 6


def test_all_mirrors_failing(server, tmp_path, closed_port, monkeypatch):
    monkeypatch.delenv("UV", raising=False)  # the pip venv's route
    mirrors = [closed_port, server.url + "/404/", server.url + "/500/"]
    with pytest.raises(load.DataError) as err:
        load.download(str(tmp_path), mirrors=mirrors, checksums=server.md5)
    message = str(err.value)
    for part in ["Connection refused", "HTTP 404", "HTTP 500", "$MNIST_DIR", *NAMES,
                 f"retry with: python load.py --dataset mnist --data-dir {tmp_path}"]:
        assert part in message
    assert os.listdir(tmp_path) == []


def test_two_downloads_at_once(server, tmp_path):
    name, errors = GZ[0], []

    def fetch():
        try:
            load.download(str(tmp_path), mirrors=[server.url + "/pair/"],
                          checksums={name: server.md5[name]})
        except Exception as err:  # reported below
            errors.append(err)
    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and os.listdir(tmp_path) == [name]
    assert md5(tmp_path / name) == server.md5[name]


def test_mnist_downloads_into_default_folder(server, private_cache, monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setenv("MNIST_MIRRORS", server.url + "/good/")
    monkeypatch.setitem(load.MD5, "mnist", server.md5)  # the synthetic files' checksums
    trX, teX, trY, teY = load.mnist(2000, 500)
    default = os.path.join(private_cache, "theano-tutorials", "mnist")
    assert load.find_data() == default and sorted(os.listdir(default)) == sorted(GZ)
    assert teY.shape == (500, 10)


def test_ctrl_c_removes_the_temp_file(server, tmp_path):
    process = subprocess.Popen(
        [sys.executable, LOAD, "--data-dir", str(tmp_path)], stderr=subprocess.PIPE, text=True,
        env={**os.environ, "MNIST_MIRRORS": server.url + "/stall/"})
    try:
        assert server.stalled.wait(timeout=60)  # half the file sent, the download waits
        assert [f for f in os.listdir(tmp_path) if f.endswith(".part")] != []
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130 and "Traceback" not in stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_cli_downloads_real_files(real_mnist, server, tmp_path, closed_port):
    server.files = {name: open(os.path.join(real_mnist, name), "rb").read() for name in GZ}
    mirrors = f"{closed_port} {server.url}/404/ {server.url}/good/"
    result = run_load("--data-dir", str(tmp_path), MNIST_MIRRORS=mirrors)
    assert result.returncode == 0, result.stderr
    assert "first training labels: 5 0 4 1 9" in result.stdout
    assert {name: md5(tmp_path / name) for name in os.listdir(tmp_path)} == load.MD5["mnist"]
