"""Draw a digit and see what each trained model answers, as you draw.

    uv run demos/draw.py

serves a page on this machine only (http://127.0.0.1:8023, no network needed). Draw with
the mouse or a finger: beside the drawing you see the 28x28 image the models receive,
made as MNIST's digits were made (grey levels, cropped to the ink, scaled to fit 20x20,
centred by its centre of mass in 28x28), and the answer of logistic regression, the
sigmoid net, the modern net and the convnet with their ten probabilities.

The models are the scripts' own: each script is run with --epochs 0 --load-model FILE
and its model's probabilities are the py_x it hands its run, computed by Theano from its
own graph. The
weights come from --save-model files in --models DIR, one per script, e.g.

    uv run 2_logistic_regression.py --save-model models/2_logistic_regression.npz

(a model without its file is shown as not trained yet, with that command). Loading a
script loads MNIST as the script does (--data-dir or MNIST_DIR, as for the scripts).

    uv run demos/draw.py my_digit.png another.jpg

prints each model's answer for image files instead of serving the page.
"""
import _project  # noqa: F401  the project's folder on the import path
import argparse
import errno
import http.server
import ipaddress
import io
import json
import os
import socket
import threading
import warnings

import numpy as np
from PIL import Image

import _scripts
from common import bounds
from common import route
from common import talk
from common.errors import LearnerError

PORT = 8023
MAX_BYTES = 10_000_000  # a photo of a digit is far smaller; more is refused unread
MAX_PIXELS = 25_000_000  # Pillow decodes an image whole: a bigger one could take all the memory
PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "draw.html")
MODELS = talk.SCRIPTS


class ImageError(ValueError):
    """A file or upload that is not an image this page can read; the message says why."""


def mnist_style(image):
    """A PIL image of a digit, as the 28x28 image of grey levels in [0, 1] (white ink on
    black, float32) that MNIST's were made into; None if it holds no ink."""
    if image.mode in ("RGBA", "LA", "P"):  # what is transparent is paper
        paper = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    grey = np.asarray(image.convert("L"), np.float32) / 255
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = np.median(border)
    # ink is dark on paper, light on a dark ground (as in MNIST): the border says which
    ink = (background - grey) if background > 0.5 else (grey - background)
    ink = np.clip(ink, 0, None)
    if ink.max() < 0.1:
        return None
    ink /= ink.max()
    rows, columns = np.nonzero(ink > 0.1)
    ink = ink[rows.min():rows.max() + 1, columns.min():columns.max() + 1]  # cropped to the ink
    height, width = ink.shape
    scale = 20 / max(height, width)  # the longer side becomes 20 pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.clip(np.asarray(Image.fromarray(ink, "F").resize(size, Image.Resampling.LANCZOS)), 0, 1)
    total = small.sum()
    if total == 0:
        return None
    y, x = np.indices(small.shape)
    centre_y, centre_x = (y * small).sum() / total, (x * small).sum() / total
    # the centre of mass at the centre of the 28x28 field, the whole digit kept inside it
    top = int(np.clip(round(13.5 - centre_y), 0, 28 - small.shape[0]))
    left = int(np.clip(round(13.5 - centre_x), 0, 28 - small.shape[1]))
    digit = np.zeros((28, 28), np.float32)
    digit[top:top + small.shape[0], left:left + small.shape[1]] = small
    return digit


def read_image(data, name="the upload"):
    """The bytes of an image file, opened with Pillow; an ImageError if they are not one this can read."""
    if len(data) > MAX_BYTES:
        raise ImageError(f"{name} is too large ({len(data) / 1e6:.0f} MB; at most {MAX_BYTES / 1e6:.0f} MB): "
                         f"a photo of one digit needs far less, so crop or shrink it")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ImageError(f"{name} is too large ({image.width} x {image.height} pixels): crop or shrink it")
            image.load()
    except ImageError:
        raise
    except Exception as error:  # Pillow raises many kinds for files it cannot read
        raise ImageError(f"{name} is not an image Pillow can read (PNG, JPEG, GIF, BMP, ...): "
                         f"{type(error).__name__}") from None
    return image


class Model:
    """One script's model: not trained yet (no file), loading, ready, or an error saying why."""

    def __init__(self, script, path):
        self.script, self.path, self.name = script, path, talk.model(script)
        self.state = "loading" if os.path.exists(path) else "untrained"
        shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
        self.command = f"{route.command(script)} --save-model {shown}"  # the learner's route: uv or pip
        self.text = self.command if self.state == "untrained" else "loading"
        self.lock = threading.Lock()  # a compiled Theano function is not to be called by two threads at once
        self.run = None  # the script's run, set by load(): its model's probabilities

    def load(self, data_dir=None):
        """Run the script with its weights, no training, and compile the probabilities of its own model."""
        try:  # the script imports Theano: only now, once the page is served
            namespace = _scripts.run(self.script, "--load-model", self.path,
                                     *(["--data-dir", data_dir] if data_dir else []))
        except LearnerError as error:  # no data, a model file that does not fit, a setting refused
            self.state, self.text = "error", str(error)
            return
        except SystemExit as ending:  # the script's run ends so on Ctrl-C, once it has said so out of sight
            if ending.code == 130:
                raise KeyboardInterrupt from None
            raise
        self.run = namespace["run"]
        self.answer(np.zeros((28, 28), np.float32))  # compiled now, not at the first digit drawn
        self.state, self.text = "ready", ""

    def answer(self, digit):
        """The ten probabilities for one 28x28 image, in the shape the script's model takes."""
        with self.lock:
            return self.run.probabilities(digit)[0]

    def report(self, digit):
        shown = {"script": self.script, "name": self.name, "state": self.state, "text": self.text}
        if self.state == "ready" and digit is not None:
            probabilities = self.answer(digit)
            shown.update(answer=int(np.argmax(probabilities)), probabilities=[float(p) for p in probabilities])
        return shown


def answers(models, image):
    """What the page shows for one image (or None for the models' states alone)."""
    digit = None if image is None else mnist_style(image)
    message = "Draw a digit in the box." if image is not None and digit is None else None
    return {"image": None if digit is None else digit.tolist(), "message": message,
            "models": [model.report(digit) for model in models]}


class Handler(http.server.BaseHTTPRequestHandler):
    """GET / (the page), GET /status (the models' states), POST /predict (an image's answers).
    Any other request gets a 4xx at once, and a body that stops short of its Content-Length
    a 408 after half a second: no request holds its thread."""
    models = []
    timeout = 0.5  # seconds a read from the connection may wait

    def parse_request(self):
        """The request line and headers, refused with 405 for a method other than GET and POST."""
        if not super().parse_request():
            return False
        if self.command not in ("GET", "POST"):
            self.send(405, {"error": f"{self.command} is not a request this page answers: only GET and POST"},
                      allow="GET, POST")
            return False
        return True

    def refused(self):
        """Why this request is not served, or None: only this machine, by its own name for itself."""
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            return "this page is served to this machine only"
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        if host not in ("127.0.0.1", "localhost", "::1"):
            return f"this page answers to http://127.0.0.1:{self.server.server_port}/ only, not to {host or 'no host'}"
        return None

    def send(self, status, body, kind="application/json", allow=None):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        if allow:
            self.send_header("Allow", allow)
        self.send_header("Content-Type", kind + "; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        problem = self.refused()
        if problem:
            return self.send(403, {"error": problem})
        if self.path == "/":
            with open(PAGE, encoding="utf-8") as f:
                return self.send(200, f.read(), "text/html")
        if self.path == "/status":
            return self.send(200, answers(self.models, None))
        self.send(404, {"error": f"nothing at {self.path}"})

    def do_POST(self):
        problem = self.refused()
        if problem:
            return self.send(403, {"error": problem})
        if self.path != "/predict":
            return self.send(404, {"error": f"nothing at {self.path}"})
        announced = self.headers.get("Content-Length") or "0"
        try:
            length = int(announced)
        except ValueError:
            length = None
        if length is None or not 0 <= length < 2**63:  # no file is longer
            return self.send(400, {"error": f"The request's Content-Length, {announced[:20]!r}, is not a length "
                                            "of a file: send it again."})
        if length > MAX_BYTES:
            self.close_connection = True  # the body is not read
            return self.send(413, {"error": f"The file is too large ({length / 1e6:.0f} MB; at most "
                                            f"{MAX_BYTES / 1e6:.0f} MB): crop or shrink it."})
        try:
            data = self.rfile.read(length)
        except TimeoutError:
            return self.send(408, {"error": f"The request announced {length} bytes but sent fewer, then nothing "
                                            f"for {self.timeout} s: send it again."})
        if len(data) < length:
            return self.send(400, {"error": f"The request announced {length} bytes but sent {len(data)}: "
                                            "send it again."})
        try:
            image = read_image(data, "the file")
        except ImageError as error:
            return self.send(400, {"error": str(error)[0].upper() + str(error)[1:] + "."})
        self.send(200, answers(self.models, image))

    def log_message(self, format, *args):  # the terminal stays quiet: the page shows what happens
        pass


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port, port_given):
    """The server on 127.0.0.1: on `port`, or if that is taken and was not asked for, on a free one."""
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        if port_given:
            raise SystemExit(f"error: port {port} is in use (by another draw.py?); pass --port {free_port()}, "
                             f"a free one, or --port 0 for any free port.")
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(f"(port {port} is in use, so this page is on port {server.server_port})")
        return server


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="*", metavar="IMAGE", help="print the answers for these image files")
    parser.add_argument("--models", metavar="DIR", default=os.path.join(_scripts.PROJECT, "models"),
                        help="the folder of the --save-model files, named after their scripts "
                             "(default: models/ in the project folder)")
    parser.add_argument("--port", type=bounds.port, help=f"the port to serve on (default: {PORT}, or a free one if "
                                                         f"it is taken; 0: any free port)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="the MNIST folder the scripts load (default: as they find it)")
    args = parser.parse_args()
    models = [Model(script, os.path.join(args.models, os.path.splitext(script)[0] + ".npz")) for script in MODELS]
    Handler.models = models
    if args.images:
        for model in models:
            if model.state == "loading":
                model.load(args.data_dir)
        return print_answers(models, args.images)
    server = start_server(PORT if args.port is None else args.port, args.port is not None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"draw.py: open http://127.0.0.1:{server.server_port}/ in a browser (this machine only); "
          f"Ctrl-C stops it", flush=True)
    try:
        for model in models:  # here, not in a thread: the scripts may set signal handlers
            if model.state == "loading":
                model.load(args.data_dir)
            said = {"ready": "ready", "untrained": f"not trained yet: {model.command}"}.get(model.state, model.text)
            print(f"  {model.name}: {said}", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()
        print("\ndraw.py stopped (Ctrl-C); the page says so.")


def print_answers(models, paths):
    """One line per image file: each model's answer and how sure it is, or why there is none."""
    for path in paths:
        try:
            if os.path.getsize(path) > MAX_BYTES:
                raise ImageError(f"{path} is too large ({os.path.getsize(path) / 1e6:.0f} MB): crop or shrink it")
            with open(path, "rb") as f:
                digit = mnist_style(read_image(f.read(), path))
        except OSError as error:
            print(f"{path}: cannot be read ({error.strerror})")
            continue
        except ImageError as error:
            print(f"{error}")
            continue
        if digit is None:
            print(f"{path}: no ink found: a digit, dark on light or light on dark, is needed")
            continue
        said = []
        for model in models:
            if model.state == "ready":
                p = model.answer(digit)
                said.append(f"{model.name} {np.argmax(p)} ({p.max():.0%})")
            else:
                said.append(f"{model.name} {model.state} ({model.text})" if model.state == "error"
                            else f"{model.name} not trained yet ({model.command})")
        print(f"{path}: " + "; ".join(said))


if __name__ == "__main__":
    main()
