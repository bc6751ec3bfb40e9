"""A notebook as a learner meets it: JupyterLab in Chromium (the distribution's browser,
driven by Playwright, never a browser download), and the executed notebooks of notebooks/
as nbconvert's HTML. Screenshots go to $SCREENSHOTS (a folder outside the repository),
else to the test's temporary folder."""
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from conftest import BROWSER_FLAGS, CHROMIUM, REPO
from common.epoch_line import PATTERN as EPOCH_LINE
from test_scripts import FIGURES

sys.path.insert(0, os.path.join(REPO, "notebooks"))
import make  # noqa: E402  the notebooks and their kernel, as a learner makes them; before jupytext
import jupytext  # noqa: E402
from test_notebook_copies import epochs_run  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium: install the distribution's package (apt-get install chromium) "
                    "to run the browser tests")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshots(tmp_path):
    folder = os.environ.get("SCREENSHOTS") or str(tmp_path / "screenshots")
    os.makedirs(folder, exist_ok=True)
    return lambda page, name: page.screenshot(path=os.path.join(folder, name + ".png"), full_page=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path, synthetic_mnist):
    """JupyterLab serving a folder that holds the learner's notebook of script 2 (made by
    notebooks/make.py, with the project's kernel installed as it installs it). Yields
    (the notebook's URL, the folder)."""
    lab, prefix = tmp_path / "lab", str(tmp_path / "prefix")
    lab.mkdir()
    make.install_kernel(prefix)
    jupytext.write(make.notebook("2_logistic_regression.py"), lab / "2_logistic_regression.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "MNIST_DIR": synthetic_mnist, "JUPYTER_PATH": os.path.join(prefix, "share", "jupyter"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings")}
    news = tmp_path / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')  # no question about Jupyter's news over the outputs
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
                               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={lab}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "w"))
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/lab/tree/2_logistic_regression.ipynb?token={token}", lab
    finally:
        server.terminate()
        server.wait(timeout=60)


def menu(page, top, item):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


SETTINGS = next(c.source for c in make.notebook("2_logistic_regression.py").cells if "= harness.Run(" in c.source)


def set_flags(page, flags):
    """Edit the settings line, as the learner does: click into its cell, write it anew."""
    settings = page.locator(".jp-CodeCell", has_text="= harness.Run(")
    settings.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(SETTINGS.replace("lr=0.05)", f'lr=0.05, flags="{flags}")'))
    page.keyboard.press("Escape")
    return settings


def outputs(page):
    return "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())


def wait_for(page, pattern, seconds=300):
    """Wait until the notebook's outputs match `pattern`; return the match."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = re.search(pattern, outputs(page), re.M)
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no {pattern!r} in the outputs after {seconds} s:\n{outputs(page)}")


def test_a_learner_runs_a_notebook_in_jupyterlab(browser, jupyterlab, screenshots, tmp_path):
    url, lab = jupyterlab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)  # two cores shared with other work
    page.goto(url)
    # it opens without asking for a kernel: the project's kernel starts by itself
    idle = page.locator(".jp-StatusBar-Widget", has_text="Theano Tutorials (Python 3.11) | Idle")
    idle.wait_for(timeout=120_000)
    assert page.locator(".jp-Dialog").count() == 0
    screenshots(page, "1_opened")

    set_flags(page, "--epochs 2")
    menu(page, "Run", "Run All Cells")
    summary = wait_for(page, r"^2_logistic_regression\.ipynb: 2 epochs in \d+ s: test accuracy")
    assert len(EPOCH_LINE.findall(outputs(page))) == 2
    last = page.locator(".jp-CodeCell").last
    pictures = last.locator(".jp-OutputArea-output img")
    drawn = len(FIGURES["2_logistic_regression.py"])
    pictures.nth(drawn - 1).wait_for()
    idle.wait_for()
    assert pictures.count() == drawn  # under the cell that drew them
    assert all(width > 500 for width in pictures.evaluate_all("images => images.map(i => i.naturalWidth)"))
    last.scroll_into_view_if_needed()
    screenshots(page, "2_ran_all")
    assert summary

    # a refused flag: one paragraph under the settings cell, and the kernel lives on
    settings = set_flags(page, "--epochs -1")
    settings.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    error = settings.locator(".jp-OutputArea-output").first
    error.wait_for()
    idle.wait_for()
    said = settings.locator(".jp-OutputArea").inner_text().strip()
    assert re.fullmatch(r'error: 2_logistic_regression\.ipynb: argument --epochs: -1 is too small: it must be '
                        r'at least 0, in the settings line\'s flags="--epochs -1"\. [^\n]+', said), said
    settings.scroll_into_view_if_needed()
    screenshots(page, "3_refused_flag")

    # an interrupt keeps what was learned: the summary, and the weights saved
    model = tmp_path / "interrupted.npz"
    set_flags(page, f"--epochs 100000 --save-model {model}")
    menu(page, "Edit", "Clear Outputs of All Cells")  # so that only this run's epoch lines count
    menu(page, "Run", "Run All Cells")
    wait_for(page, EPOCH_LINE.pattern)
    menu(page, "Kernel", "Interrupt Kernel")
    wait_for(page, r"^saved the weights to ")
    idle.wait_for()
    last.locator(".jp-OutputArea-output img").nth(drawn - 1).wait_for()  # what it learned so far, drawn
    text = outputs(page)
    assert "Stopped by Ctrl-C during epoch" in text and "Traceback" not in text and "KeyboardInterrupt" not in text
    assert re.search(r"^2_logistic_regression\.ipynb: \d+ epochs in \d+ s: test accuracy", text, re.M)
    assert np.load(model)["arr_0"].shape == (784, 10)
    last.locator(".jp-OutputArea-output img").nth(1).scroll_into_view_if_needed()
    screenshots(page, "4_interrupted")
    page.close()


def test_the_executed_notebooks_render_as_html(browser, screenshots, tmp_path):
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--output-dir", str(tmp_path),
                    *[os.path.join(REPO, "notebooks", s[:-3] + ".ipynb") for s in make.SCRIPTS]],
                   check=True, capture_output=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    for script in make.SCRIPTS:
        page.goto(f"file://{tmp_path / (script[:-3] + '.html')}")
        text = page.locator("body").inner_text()
        drawn = len(FIGURES.get(script, [])) or (1 if script == "1_linear_regression.py" else 0)
        widths = page.locator(".jp-OutputArea-output img").evaluate_all("images => images.map(i => i.naturalWidth)")
        assert len(widths) == drawn and all(width > 500 for width in widths), (script, widths)
        if script in FIGURES:
            assert len(EPOCH_LINE.findall(text)) == epochs_run(script)
        screenshots(page, "html_" + script[:-3])
    page.close()
