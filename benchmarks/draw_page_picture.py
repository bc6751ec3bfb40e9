"""The picture of docs/draw.md: demos/draw.py's page in a real browser, a 4 drawn on it
with the mouse, and the four models' answers.

    python benchmarks/record.py results/draw_page.log benchmarks/draw_page_picture.py --data-dir PATH

The models are the talk runs' (benchmarks/talk_benchmark.py saves them in models/). It
needs Chromium (the distribution's package: apt-get install chromium), driven by
Playwright; it prints each model's answer and the file it wrote.
"""
import argparse
import contextlib
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from common.browser import BROWSER_FLAGS, CHROMIUM  # noqa: E402
FOUR = [[(70, 50), (40, 170), (200, 170)], [(150, 80), (150, 260)]]  # two strokes, as a hand draws a 4


@contextlib.contextmanager
def served(models, data_dir=None):
    """demos/draw.py serving the models of folder `models` on a free port: yields its address
    and the server's process."""
    data = ["--data-dir", data_dir] if data_dir else []
    server = subprocess.Popen([sys.executable, "demos/draw.py", "--models", models, *data, "--port", "0"], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline()
        if not first.startswith("draw.py: open http://127.0.0.1:"):
            raise RuntimeError(first + server.stderr.read())
        yield first.split("open ")[1].split()[0], server
    finally:
        server.kill()
        server.wait()


def draw(page, strokes):
    """Draw `strokes` (lists of (x, y) in the pad) with the mouse; return the 28x28 image the
    models received and {script: its answer}, once all have answered the last stroke."""
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=12)
        page.mouse.up()
    answered = "document.querySelectorAll('.model[data-answer]').length === document.querySelectorAll('.model').length"
    page.wait_for_function(answered, timeout=60_000)
    time.sleep(1)  # the answer to the last stroke, after any to earlier ones
    page.wait_for_function(answered, timeout=60_000)
    digit = json.loads(page.locator("#seen").get_attribute("data-image"))
    return digit, {card.get_attribute("data-script"): int(card.get_attribute("data-answer"))
                   for card in page.locator(".model").all()}


def opened(playwright, url):
    """A page of draw.py in headless Chromium, once every model on it is ready."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(url)
    page.wait_for_function("document.querySelectorAll('.model[data-state=ready]').length === "
                           "document.querySelectorAll('.model').length", timeout=600_000)
    return page


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="models", help="the folder of the talk runs' models (default: %(default)s)")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: as load.py finds them)")
    parser.add_argument("--out", default="results/figures/draw.png", help="the picture (default: %(default)s)")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit("No Chromium here: install the distribution's package (apt-get install chromium).")
    from playwright.sync_api import sync_playwright
    with served(args.models, args.data_dir) as (url, _), sync_playwright() as playwright:
        page = opened(playwright, url)
        _, answers = draw(page, FOUR)
        page.screenshot(path=args.out, full_page=True)
    for script, answer in sorted(answers.items()):
        print(f"{script} answers {answer}")
    print(f"wrote {os.path.relpath(os.path.abspath(args.out), REPO)}")


if __name__ == "__main__":
    main()
