"""demos/draw.py: a drawn digit, made into MNIST's 28x28 form, through every trained model.

The first tests need no trained model: the preprocessing, and the server's answers to bad
input. The slow one trains the four models briefly on synthetic digits, then draws in a real
browser (Chromium, the distribution's, driven by Playwright) and compares each answer with
the script's own `predict`. Screenshots go to $SCREENSHOTS if set, else the test's folder."""
import io
import ipaddress
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image, ImageDraw

from conftest import CHROMIUM, REPO
from test_scripts import assert_clean_exit

sys.path.insert(0, os.path.join(REPO, "demos"))
import _scripts  # noqa: E402
import draw  # noqa: E402
sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import draw_page_picture  # noqa: E402



def png(image):
    data = io.BytesIO()
    image.save(data, "PNG")
    return data.getvalue()


def seven(size=280, ink="black", paper="white", mode="RGB"):
    """A '7' drawn with a thick pen, off-centre, as a learner might."""
    image = Image.new(mode, (size, size), paper)
    pen = ImageDraw.Draw(image)
    pen.line([(40, 60), (150, 60), (90, 230)], fill=ink, width=18)
    return image


def centre_of_mass(digit):
    y, x = np.indices(digit.shape)
    return (y * digit).sum() / digit.sum(), (x * digit).sum() / digit.sum()


def test_a_drawing_becomes_an_mnist_style_digit():
    digit = draw.mnist_style(seven())
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert 0 <= digit.min() and digit.max() <= 1 and digit.max() > 0.9  # white ink on black, grey levels
    assert 0 < np.mean((digit > 0) & (digit < 1))  # anti-aliased edges: grey, not only black and white
    rows, columns = np.nonzero(digit > 0.05)
    # cropped to the ink, its longer side (here the height) 20 pixels, the LANCZOS filter's fringe aside
    assert 20 <= rows.max() - rows.min() + 1 <= 22 and columns.max() - columns.min() + 1 < 20
    # centred by its centre of mass: within half a pixel (the shift is by whole pixels)
    assert np.allclose(centre_of_mass(digit), (13.5, 13.5), atol=0.5)


def test_ink_on_paper_on_a_dark_ground_or_transparent_makes_the_same_digit():
    on_paper = draw.mnist_style(seven())
    assert np.allclose(draw.mnist_style(seven(ink="white", paper="black")), on_paper, atol=1e-3)
    assert np.allclose(draw.mnist_style(seven(paper=(0, 0, 0, 0), mode="RGBA")), on_paper, atol=1e-3)
    assert np.allclose(draw.mnist_style(seven(size=1000)), on_paper, atol=0.1)  # another scale, the same digit


def test_an_empty_canvas_has_no_digit():
    assert draw.mnist_style(Image.new("RGB", (280, 280), "white")) is None
    assert draw.mnist_style(Image.new("RGBA", (280, 280), (0, 0, 0, 0))) is None


def test_files_that_are_not_images_or_are_huge_are_refused_in_a_line():
    with pytest.raises(draw.ImageError, match="not an image Pillow can read"):
        draw.read_image(b"%PDF-1.4 not a picture", "a.pdf")
    with pytest.raises(draw.ImageError, match="too large .6000 x 6000 pixels"):
        draw.read_image(png(Image.new("1", (6000, 6000))), "big.png")  # 36 million pixels in 40 kB
    with pytest.raises(draw.ImageError, match="too large .11 MB"):
        draw.read_image(b"\0" * 11_000_000, "huge.bin")


@pytest.fixture
def server(tmp_path):
    """draw.py's server in this process, with no trained model (an empty --models folder)."""
    draw.Handler.models = [draw.Model(script, str(tmp_path / (os.path.splitext(script)[0] + ".npz")))
                           for script in draw.MODELS]
    server = draw.start_server(0, True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def request(url, data=None, headers=None):
    """(status, JSON or text) of a GET, or of a POST of `data`."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {}), timeout=30) as r:
            body = r.read().decode()
            return r.status, json.loads(body) if r.headers["Content-Type"].startswith("application/json") else body
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode())


def test_untrained_models_are_shown_with_the_command_that_trains_them(server, tmp_path):
    status, page = request(server + "/")
    assert status == 200 and '<canvas id="pad"' in page and "http" not in page.replace("http-equiv", "")
    status, reply = request(server + "/status")
    assert [m["state"] for m in reply["models"]] == ["untrained"] * 4
    command, path = reply["models"][0]["text"].split(" --save-model ")
    # the route the learner is on: uv sets $UV for what it runs (`uv run pytest`); the pip venv does not
    assert command == ("uv run" if os.environ.get("UV") else "python") + " 2_logistic_regression.py"
    assert os.path.abspath(path) == str(tmp_path / "2_logistic_regression.npz")
    status, reply = request(server + "/predict", png(seven()))
    assert status == 200 and reply["message"] is None and len(reply["image"]) == 28
    assert all("answer" not in m for m in reply["models"])


def test_an_empty_canvas_asks_for_a_drawing(server):
    status, reply = request(server + "/predict", png(Image.new("RGB", (280, 280), "white")))
    assert status == 200 and reply["image"] is None and reply["message"] == "Draw a digit in the box."


def test_bad_uploads_get_one_line_and_the_server_keeps_serving(server):
    status, reply = request(server + "/predict", b"not an image")
    assert status == 400 and reply["error"].startswith("The file is not an image") and "\n" not in reply["error"]
    status, reply = request(server + "/predict", png(Image.new("1", (6000, 6000))))
    assert status == 400 and "too large (6000 x 6000 pixels)" in reply["error"]
    # a body too large is refused by its announced length, unread
    host, port = server[len("http://"):].split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000000\r\n\r\n")
        assert connection.recv(100).startswith(b"HTTP/1.0 413")
    assert request(server + "/status")[0] == 200


def answer(server, sent, ended=False):
    """(status, the error it says, seconds) of the server's answer to the bytes `sent` on a
    connection left open (or `ended` for sending), read until the server closes it."""
    with socket.create_connection(("127.0.0.1", int(server.rsplit(":", 1)[1])), timeout=5) as connection:
        start = time.monotonic()
        connection.sendall(sent)
        if ended:
            connection.shutdown(socket.SHUT_WR)
        said = b""
        while chunk := connection.recv(65536):  # a server that waits on raises socket.timeout here
            said += chunk
        seconds = time.monotonic() - start
    head, body = said.split(b"\r\n\r\n", 1)
    return int(head.split()[1]), json.loads(body)["error"], seconds


POST = b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %s\r\n\r\n"
MALFORMED = [
    (POST % b"-1", 400, "Content-Length, '-1', is not a length"),
    (POST % b"99999999999999999999999", 400, "is not a length"),
    (POST % b"20000000", 413, "too large (20 MB"),
    (POST % b"ten", 400, "Content-Length, 'ten', is not a length"),
    (POST % b"100" + b"\x89PNG\r\n\x1a\n", 408, "announced 100 bytes but sent fewer"),
    (b"PUT /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 405, "PUT is not a request"),
    (b"DELETE / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405, "only GET and POST"),
    (b"GET /../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404, "nothing at /../etc/passwd"),
    (b"GET /nonexistent HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404, "nothing at /nonexistent"),
    (b"POST /../predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 404, "nothing at"),
]


def test_every_malformed_request_gets_a_4xx_within_a_second_and_the_server_keeps_serving(server):
    for sent, status, error in MALFORMED:
        said = answer(server, sent)
        assert said[0] == status and error in said[1] and "\n" not in said[1], (sent, said)
        assert said[2] < 1, (sent, said)
    said = answer(server, POST % b"100" + b"\x89PNG\r\n\x1a\n", ended=True)
    assert said[0] == 400 and "announced 100 bytes but sent 8" in said[1] and said[2] < 1, said
    status, reply = request(server + "/predict", png(seven()))
    assert status == 200 and len(reply["image"]) == 28


def test_only_this_machine_is_served(server):
    status, reply = request(server + "/status", headers={"Host": "attacker.example:80"})
    assert status == 403 and "127.0.0.1" in reply["error"]  # a page of another site cannot reach it by DNS tricks
    port = int(server.rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the machine's outward address
        address = probe.getsockname()[0]
    if ipaddress.ip_address(address).is_loopback:
        pytest.skip("this machine has no network address but loopback to be reached by")
    with pytest.raises(OSError):  # listening on 127.0.0.1 alone, it cannot be reached from the network
        socket.create_connection((address, port), timeout=5).close()


def test_a_port_in_use_gets_another_or_one_line_naming_a_free_one():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit, match=rf"port {port} is in use .* pass --port \d+"):
            draw.start_server(port, True)
        server = draw.start_server(port, False)
        assert server.server_address[0] == "127.0.0.1" and server.server_port != port
        server.server_close()


def test_a_model_file_that_does_not_fit_is_shown_with_the_reason(tmp_path, synthetic_mnist):
    path = tmp_path / "2_logistic_regression.npz"
    np.savez(path, np.zeros((784, 5), np.float32))  # five outputs, not ten
    model = draw.Model("2_logistic_regression.py", str(path))
    model.load(synthetic_mnist)
    assert model.state == "error" and "holds weights of shapes [(784, 5)]" in model.text
    assert model.report(draw.mnist_style(seven())) == {"script": "2_logistic_regression.py",
                                                       "name": "logistic regression", "state": "error",
                                                       "text": model.text}


# With the four models, trained briefly on synthetic digits

@pytest.fixture
def models(tmp_path, synthetic_mnist):
    """A --models folder with the four scripts' --save-model files, after one epoch each."""
    folder = tmp_path / "models"
    for script in draw.MODELS:
        result = subprocess.run([sys.executable, script, "--epochs", "1", "--data-dir", synthetic_mnist,
                                 "--save-model", str(folder / (os.path.splitext(script)[0] + ".npz"))],
                                cwd=REPO, capture_output=True, text=True, timeout=900)
        assert_clean_exit(result)
    return str(folder)


def own_predictions(models, synthetic_mnist, digit):
    """Each script's own predict (its theano.function) for the 28x28 image, its weights loaded."""
    said = {}
    for script in draw.MODELS:
        namespace = _scripts.run(script, "--load-model", os.path.join(models, os.path.splitext(script)[0] + ".npz"),
                                 "--data-dir", synthetic_mnist)
        shape = (1, 1, 28, 28) if namespace["X"].ndim == 4 else (1, 784)
        said[script] = int(namespace["predict"](np.asarray(digit, np.float32).reshape(shape))[0])
    return said


@pytest.fixture
def screenshots(tmp_path):
    folder = os.environ.get("SCREENSHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    return folder


@pytest.mark.slow
def test_every_models_answer_on_the_command_line_and_to_a_digit_drawn_in_the_browser(models, synthetic_mnist,
                                                                                    screenshots, tmp_path):
    # one test, so that the four models are trained once, whatever the test runner shares out
    seven().save(tmp_path / "seven.png")
    (tmp_path / "notes.txt").write_text("not an image")
    result = subprocess.run([sys.executable, "demos/draw.py", "--models", models, "--data-dir", synthetic_mnist,
                             str(tmp_path / "seven.png"), str(tmp_path / "notes.txt")],
                            cwd=REPO, capture_output=True, text=True, timeout=900)
    assert_clean_exit(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    said = own_predictions(models, synthetic_mnist, draw.mnist_style(seven()))
    assert lines[0].startswith(f"{tmp_path / 'seven.png'}: ")
    for script in draw.MODELS:
        assert f"{draw.talk.model(script)} {said[script]} (" in lines[0], lines[0]
    assert lines[1].startswith(f"{tmp_path / 'notes.txt'} is not an image")

    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium: install the distribution's package (apt-get install chromium) "
                    "to run the browser test")
    from playwright.sync_api import sync_playwright
    with draw_page_picture.served(models, synthetic_mnist) as (url, server), sync_playwright() as playwright:
        page = draw_page_picture.opened(playwright, url)  # the models load after the page is up
        page.screenshot(path=os.path.join(screenshots, "draw_ready.png"))
        seven_strokes = [[(60, 60), (200, 60), (120, 240)], [(90, 150), (180, 150)]]  # a 7 with its bar
        digit, answers = draw_page_picture.draw(page, seven_strokes)
        page.screenshot(path=os.path.join(screenshots, "draw_answers.png"))
        assert answers == own_predictions(models, synthetic_mnist, digit)
        assert np.asarray(digit).shape == (28, 28) and np.max(digit) > 0.9
        page.click("#clear")
        page.wait_for_function("document.querySelectorAll('.model[data-answer]').length === 0", timeout=60_000)
        assert page.locator("#message").inner_text() == "Draw a digit in the box."
        server.terminate()
        server.wait(timeout=30)
        page.wait_for_function("document.body.dataset.stopped === 'yes'", timeout=30_000)
        assert page.locator("#stopped").is_visible()
        page.screenshot(path=os.path.join(screenshots, "draw_stopped.png"))
