"""Small MNIST-like data for tests: real gzipped IDX files of learnable digits.

Each digit is drawn from a 5x7 bitmap font, scaled up to 15x21 pixels, thickened at
random, shifted by up to 3 pixels, given a random ink intensity and pixel noise.
"""
import gzip
import hashlib
import os

import numpy as np

FONT = {  # 5 columns x 7 rows, '#' is ink
    0: [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
    1: ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    2: [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
    3: ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
    4: ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
    5: ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
    6: ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
    7: ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
    8: [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
    9: [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
}
GLYPHS = {d: np.array([[c == "#" for c in row] for row in rows], np.float32)
          for d, rows in FONT.items()}
NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def make_digits(n, rng):
    """Return n images (n, 28, 28) uint8 and their labels (n,) uint8, balanced and shuffled."""
    labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.float32)
    for i, digit in enumerate(labels):
        glyph = np.kron(GLYPHS[digit], np.ones((3, 3), np.float32))  # 21 x 15
        if rng.random() < 0.5:  # thicker strokes: smear one pixel right and down
            glyph[1:, 1:] = np.maximum(glyph[1:, 1:], glyph[:-1, :-1])
        top, left = 4 + rng.integers(-3, 4), 7 + rng.integers(-3, 4)
        images[i, top:top + 21, left:left + 15] = glyph * rng.uniform(0.6, 1.0)
    images += rng.normal(0, 0.1, images.shape).astype(np.float32)
    return (np.clip(images, 0, 1) * 255).round().astype(np.uint8), labels


def idx_bytes(array):
    """The IDX encoding of a uint8 array: magic 0x0800 + ndim, big-endian sizes, data."""
    array = np.ascontiguousarray(array, np.uint8)
    header = np.array([0x0800 + array.ndim, *array.shape], ">u4").tobytes()
    return header + array.tobytes()


def write_synthetic_mnist(folder, ntrain=2000, ntest=500, seed=0):
    """Write the four MNIST .gz files into `folder`; return {file name: md5 of the .gz}."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    arrays = [*make_digits(ntrain, rng), *make_digits(ntest, rng)]
    md5s = {}
    for name, array in zip(NAMES, arrays):
        data = gzip.compress(idx_bytes(array), mtime=0)
        with open(os.path.join(folder, name + ".gz"), "wb") as f:
            f.write(data)
        md5s[name + ".gz"] = hashlib.md5(data).hexdigest()
    return md5s


def read_idx_gz(path):
    """Read a gzipped IDX file straight into a uint8 array (independent of load.py)."""
    raw = gzip.decompress(open(path, "rb").read())
    ndim = raw[3]
    shape = np.frombuffer(raw[4:4 + 4 * ndim], ">u4")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)
