"""Every measured number of the README and docs is its record's in results/ (docs/make.py
writes them; a number changed in a record fails here, naming the page), and no record or
page names a folder of one machine or tells the project's history."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import measured  # noqa: E402


def test_every_marked_number_is_its_records():
    differences = measured.check()
    assert not differences, "run `uv run docs/make.py`, or fix the record:\n" + "\n".join(differences)


def test_every_page_marks_numbers_and_every_mark_names_a_record():
    marked = {page for page in measured.PAGES
              if measured.MARK.search(open(os.path.join(REPO, page)).read())}
    assert {"README.md", "docs/results.md", "docs/speed.md", "docs/demos.md"} <= marked
    for page in measured.PAGES:
        for mark in measured.MARK.finditer(open(os.path.join(REPO, page)).read()):
            assert mark["record"] in measured.VIEWS, f"{page}: no view of results/{mark['record']}"


def replace(path, old, new):
    with open(path) as f:
        text = f.read()
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def _speed_change():
    """The convnet's Theano seconds per epoch, 0.01 s more: the benchmark rewrites the record
    with each run, so the number is the record's own."""
    with open(os.path.join(measured.RESULTS, "speed.json")) as f:
        seconds = json.load(f)["scripts"]["5_convolutional_net.py"]["theano_seconds_per_epoch"]
    return ("speed.json", f'"theano_seconds_per_epoch": {seconds},', f'"theano_seconds_per_epoch": {seconds + 0.01:.2f},',
            "docs/speed.md")


def _tier_change():
    """The first tier's seconds with this machine's compiler, ten more: the tier benchmark
    also rewrites its record, so the number is the record's own."""
    with open(os.path.join(measured.RESULTS, "tier.json")) as f:
        seconds = json.load(f)["slowdowns"]["1"]["seconds"]
    return ("tier.json", f'"1": {{\n      "seconds": {seconds},', f'"1": {{\n      "seconds": {seconds + 10:.1f},',
            "docs/tests.md")


# One number changed in each record the pages read: (record, the number's text in it, the
# changed text, a page that shows it).
CHANGES = [
    ("summary.json", '"final_accuracy": 0.9947', '"final_accuracy": 0.9950', "docs/results.md"),
    ("trajectories.csv", "3_net.py,90,0.9535,", "3_net.py,90,0.9536,", "docs/results.md"),
    ("seeds.csv", "3_net.py,3,,100,0.9573,", "3_net.py,3,,100,0.9583,", "README.md"),
    ("seeds.json", '5_convolutional_net.py --epochs 100 --seed 3 --data-dir PATH",\n   "date": "2026-11-30"',
     '5_convolutional_net.py --epochs 100 --seed 3 --data-dir PATH",\n   "date": "2026-12-02"', "docs/results.md"),
    ("validation_10000.csv", "4_modern_net.py,1,,100,0.9881,", "4_modern_net.py,1,,100,0.9871,", "docs/results.md"),
    ("validation_10000.json", '5_convolutional_net.py --epochs 30 --seed 1 --validation 10000 --data-dir PATH",\n   "date": '
     '"2026-11-30"', '5_convolutional_net.py --epochs 30 --seed 1 --validation 10000 --data-dir PATH",\n   "date": '
     '"2026-12-02"', "docs/results.md"),
    ("takeaways.json", '"accuracy": 0.945,', '"accuracy": 0.946,', "docs/results.md"),
    ("takeaways.log", "convnet: test accuracy 0.9325", "convnet: test accuracy 0.9335", "docs/results.md"),
    ("knn.json", '"accuracy": 0.9717', '"accuracy": 0.9727', "docs/demos.md"),
    ("load.json", '"cpu_seconds": 0.487', '"cpu_seconds": 0.497', "docs/data.md"),
    _speed_change(),
    # a hundred more 5s taken for 0 (a 1 before the row's first count)
    *[(f"figures/{script[:-3]}_confusion.csv", "\n5,", "\n5,1", "docs/mistakes.md") for script in measured.SCRIPTS],
    ("moons_sgd_vs_rmsprop.log", "sgd loss 0.0961 accuracy 0.955;", "sgd loss 0.0971 accuracy 0.955;",
     "docs/demos.md"),
    ("moons_sigmoid_vs_rectifier.log", "sigmoid loss 0.2683 accuracy 0.875;", "sigmoid loss 0.2683 accuracy 0.885;",
     "docs/demos.md"),
    ("1_linear_regression.log", "w = 2.0462513", "w = 2.0562513", "README.md"),
    ("modern_net_inside.log", "0.9773 with noise", "0.9763 with noise", "docs/demos.md"),
    ("quick_runs.log", "epoch   1  test accuracy 0.7322", "epoch   1  test accuracy 0.7422", "README.md"),
    ("2_logistic_regression.log", "epoch   1  test accuracy 0.8848", "epoch   1  test accuracy 0.8849", "README.md"),
    ("graphs.log", "train: 26 nodes as written", "train: 27 nodes as written", "docs/graphs.md"),
    _tier_change(),
]


@pytest.fixture(scope="module")
def read_records():
    """The files of results/ the pages' marks read."""
    opened = set()
    real_open = open

    def noting(path, *args, **kwargs):
        inside = os.path.relpath(os.path.abspath(str(path)), measured.RESULTS)
        if not inside.startswith(os.pardir):
            opened.add(inside)
        return real_open(path, *args, **kwargs)

    measured.open = noting  # the module's own open: the views' reads, nothing else
    try:
        measured.check()
    finally:
        del measured.open
    return opened


def test_a_number_is_changed_in_each_record_the_pages_read(read_records):
    assert read_records == {change[0] for change in CHANGES}


@pytest.mark.parametrize("name, old, new, page", CHANGES, ids=[change[0] for change in CHANGES])
def test_a_number_changed_in_a_record_fails_the_check_naming_the_page(name, old, new, page, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(measured.RESULTS, results)
    assert not measured.check(str(results))
    replace(results / name, old, new)
    differences = measured.check(str(results))
    assert any(line.startswith(f"{page}: ") for line in differences), differences


def test_make_writes_the_records_number_into_a_page_that_differs(tmp_path):
    page = tmp_path / "data.md"
    with open(os.path.join(REPO, "docs", "data.md")) as f:
        text = f.read()
    mark = re.search(r"(<!-- load.json load/cpu_seconds [^>]*-->)([^<]*)(<!-- -->)", text)
    page.write_text(text.replace(mark[0], f"{mark[1]}9.99{mark[3]}"))
    assert measured.check(pages=[str(page)]) == [
        f"{page}: load.json load/cpu_seconds: the page says '9.99', the record gives '{mark[2]}'"]
    assert measured.write(pages=[str(page)]) == [str(page)]
    assert page.read_text() == text


def test_make_check_finds_every_page_as_its_records_say():
    result = subprocess.run([sys.executable, "docs/make.py", "--check"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "every marked number is its record's\n", result.stdout


def test_a_mark_fills_its_value_formats_and_a_block_on_lines_of_its_own():
    views = {"x.json": {"a": {"b": 0.92456}, "table": "| a |\n| --- |"}}
    text = ("<!-- x.json a/b {:.2 %} -->?<!-- --> and <!-- x.json a/b {:.1%} --><!-- -->\n"
            "<!-- x.json table -->\nold\n<!-- -->")
    filled = measured.MARK.sub(lambda m: m[0].replace(f"-->{m['text']}<!-- -->",
                                                      f"-->{measured.rendered(views, m, None)}<!-- -->"), text)
    assert filled == ("<!-- x.json a/b {:.2 %} -->92.46 %<!-- --> and <!-- x.json a/b {:.1%} -->92.5%<!-- -->\n"
                      "<!-- x.json table -->\n| a |\n| --- |\n<!-- -->")


# folders of one machine: this one's, and those any machine's user or project lives in
FOLDERS = re.compile("|".join([re.escape(REPO), re.escape(os.path.expanduser("~")) + "/",
                               r"(?<![\w.~])/(?:home|Users|root|work|mnt|srv|tmp)/"]))


def text_files(*folders):
    for folder in folders:
        for root, _, names in os.walk(os.path.join(REPO, folder)):
            for name in names:
                if name.endswith((".md", ".json", ".csv", ".log", ".txt", ".ipynb", ".py")):
                    yield os.path.relpath(os.path.join(root, name), REPO)


def test_no_record_or_page_names_a_folder_of_one_machine():
    found = []
    for path in ["README.md", *text_files("results", "docs", "notebooks")]:
        with open(os.path.join(REPO, path)) as f:
            found += [f"{path}: {match[0]}" for match in FOLDERS.finditer(f.read())]
    assert not found, "write such a folder as PATH: " + "; ".join(found)


STARTUP_TABLE = r"<!-- startup table: written by benchmarks/speed_benchmark.py -->.*?<!-- end of table -->"

# the project's history belongs in git: the pages say what is
HISTORY = re.compile(r"\bissue \d+|\bcommits?\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b|\bused to\b"
                     r"|\bof then\b|\bthat morning\b|\bthe helper\b", re.I)


def test_the_pages_tell_what_is_not_their_history():
    found = []
    for page in measured.PAGES:
        with open(os.path.join(REPO, page)) as f:
            text = f.read()
        if page == "docs/speed.md":  # its start-up table is the start-up benchmark's (test_speed_benchmark.py)
            text = re.sub(STARTUP_TABLE, "", text, flags=re.S)
        found += [f"{page}: {match[0]!r}" for match in HISTORY.finditer(text)]
    assert not found, "; ".join(found)


# Numbers with a unit on the pages that are not measured here: the slides', chance, and
# sizes and limits that follow from the shapes and the code.
NOT_MEASURED = {"92.5 %", "98.4 %", "99.0 %", "99.5 %", "~95 %", "~95%", "10 %", "0.05 %", "95 %", "98.0 %", "50 %",
                "100 %", "11 MB", "10 MB", "32 MB", "3.3 MB", "209 MiB", "2.4 GB", "1.07 GiB"}
WITH_A_UNIT = re.compile(r"(?<![\w.-])~?\d[\d,]*(?:\.\d+)?(?: ?(?:%|MiB|GiB|MB|GB|GFLOP/s)"
                         r"| (?:s|ms|minutes?|seconds?|hours?)\b|×(?! ?\d))")


def test_every_measured_number_on_a_page_is_marked():
    found = []
    for page in measured.PAGES:
        with open(os.path.join(REPO, page)) as f:
            text = measured.MARK.sub("", f.read())
        if page == "docs/speed.md":  # its start-up table is the start-up benchmark's (test_speed_benchmark.py)
            text = re.sub(STARTUP_TABLE, "", text, flags=re.S)
        for code in (r"^```.*?^```", r"`[^`\n]*`", r"^    [^\n]*", r"<!--.*?-->"):  # commands, their output
            text = re.sub(code, "", text, flags=re.S | re.M)
        found += [f"{page}: {number}" for number in WITH_A_UNIT.findall(text) if number not in NOT_MEASURED]
    assert not found, "mark each from its record (benchmarks/measured.py): " + "; ".join(found)


def test_a_table_that_differs_is_named_by_its_rows_that_differ(tmp_path):
    results = tmp_path / "results"
    shutil.copytree(measured.RESULTS, results)
    replace(results / "knn.json", '"seconds": 23.5', '"seconds": 25.5')
    assert measured.check(str(results), ["docs/demos.md"]) == [
        "docs/demos.md: knn.json table: the page says '| 1 | ~95 % | 96.91 % | 96.91 % | 23.5 / 30.2 (0.78×) "
        "| 854 / 379 MiB |', the record gives '| 1 | ~95 % | 96.91 % | 96.91 % | 25.5 / 30.2 (0.78×) "
        "| 854 / 379 MiB |'"]


def test_every_picture_in_results_is_named_in_a_record_with_the_command_that_drew_it():
    made = measured.recipes()
    pictures = sorted(os.path.relpath(os.path.join(root, name), REPO)
                      for root, _, names in os.walk(measured.RESULTS) for name in names
                      if name.endswith((".png", ".gif")))
    assert pictures, "no picture found in results/"
    unnamed = [picture for picture in pictures if not made.get(picture)]
    assert not unnamed, "draw each by a command whose record keeps its `wrote` line (benchmarks/record.py): " + \
        ", ".join(unnamed)


def test_the_scripts_pictures_show_the_model_of_their_100_epoch_talk_run():
    summary = measured.read_json(measured.RESULTS, "summary.json")
    for script, run in summary.items():
        drawn = [path for path in run["run"].get("wrote", []) if path.endswith(".png")]
        assert run["epochs"] == 100 and "--epochs 100 --seed 1 " in run["run"]["command"], script
        assert len(drawn) >= 4 and measured.recipes()[drawn[0]] == run["run"]["command"], (script, drawn)
