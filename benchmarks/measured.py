"""Every measured number and table the README and docs show, made from its record in results/.

A page marks each one where it stands, and docs/make.py writes them in:

    the convnet takes <!-- speed.json scripts/5_convolutional_net.py/ratio {:.2f}× -->0.71×<!-- --> PyTorch's time

names the record (a file of results/, or a pattern of several), the field in its view
below (keys separated by /) and a format ({} by default; `{:.2 %}` writes 92.46 %). A
field whose value spans lines (a table, a code block) stands on lines of its own.
check() lists every mark whose text differs from what its record gives.
"""
import csv
import glob
import json
import os
import re
import statistics
import string

import record
from common import talk

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "results")
PAGES = ["README.md", *sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, "docs", "*.md")))]
MARK = re.compile(r"<!-- (?P<record>[\w*.-]+\.(?:json|csv|log)) (?P<field>\S+)(?: (?P<form>(?:(?!-->)[^\n])+?))? -->"
                  r"(?P<text>.*?)<!-- -->", re.S)
SCRIPTS = talk.SCRIPTS
SLIDES = {script: talk.slides_accuracy(script) for script in SCRIPTS}
CHANCE_COST = 2.25  # a training cost above it: still at chance (guessing costs ln 10 = 2.30)


class Formatter(string.Formatter):
    def format_field(self, value, spec):
        if spec.endswith(" %"):  # 92.46 %, as the pages write a percentage
            return format(value, spec[:-2] + "%")[:-1] + " %"
        return super().format_field(value, spec)


class ByLevel(dict):
    """A field that takes a number: first_epoch_at/0.98 is compute(0.98)."""
    def __init__(self, compute):
        super().__init__()
        self.compute = compute

    def __missing__(self, level):
        return self.compute(float(level))


# --- reading the records

def read_json(results, name):
    with open(os.path.join(results, name)) as f:
        return json.load(f)


def number(text):
    try:
        return int(text)
    except ValueError:
        return float(text)


def read_runs(path):
    """{(script, seed, lr): [epoch rows]} of a CSV written by talk_benchmark.py (lr "": the
    script's own; a file without seeds holds seed 1)."""
    runs = {}
    if os.path.exists(path):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                key = (row["script"], int(row.get("seed") or 1), row.get("lr", ""))
                runs.setdefault(key, []).append({k: v if k in ("script", "lr") else number(v)
                                                 for k, v in row.items() if v != ""})
    return runs


def read_log(results, name):
    with open(os.path.join(results, name)) as f:
        return record.runs(f.read())


def field_name(name):
    """A name as a mark's field can hold it: 'modern net, short' is modern_net_short."""
    return re.sub(r"\W+", "_", name)


def when(runs):
    """'on 2026-11-30 on 2 cores, AMD EPYC, at a load average of 5.3–6.1' of one or more run records."""
    days = sorted({r["date"][:10] for r in runs if r.get("date")})
    day = (f"from {days[0]} to {days[-1]}" if len(days) > 1 else f"on {days[0]}") if days else "on a day not recorded"
    machines = ", ".join(sorted({r["machine"] for r in runs if r.get("machine")})) or "a machine not recorded"
    loads = [r[k] for r in runs for k in ("load_before", "load_after") if r.get(k) is not None]
    low, high = (f"{min(loads):.1f}", f"{max(loads):.1f}") if loads else (None, None)
    load = f"of {low}" + (f"–{high}" if high != low else "") if loads else "not recorded"
    return f"{day} on {machines}, at a load average {load}"


def run_summary(rows, slides):
    """What the pages say of one run: its final and best test accuracy and more, from its epoch rows."""
    accuracies = [r["test_accuracy"] for r in rows]
    best = max(rows, key=lambda r: r["test_accuracy"])  # the first of equals
    return {"final": accuracies[-1], "best": best["test_accuracy"], "best_epoch": best["epoch"], "epochs": len(rows),
            "final_cost": rows[-1]["train_cost"], "minutes": sum(r["seconds"] for r in rows) / 60,
            "at_slides": sum(a >= slides for a in accuracies),
            "first_epoch_at": ByLevel(lambda level: next((r["epoch"] for r in rows if r["test_accuracy"] >= level),
                                                          None)),
            "epoch": {str(r["epoch"]): r for r in rows},
            "last_10_mean": statistics.mean(accuracies[-10:]),
            "from_30": {"min": min(accuracies[29:], default=None), "max": max(accuracies[29:], default=None)}}


def spread(values):
    return {"n": len(values), "mean": statistics.mean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0,
            "min": min(values), "max": max(values)}


# --- the tables

def talk_table(summary):
    """The talk's runs, from results/summary.json."""
    rows = ["| script | slides | measured: final (best on the test set, optimistic; at epoch) | epochs, seed "
            "| slides' number first reached | s/epoch in this run | peak memory |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for script in SCRIPTS:
        if script not in summary:
            continue
        r = summary[script]
        seed = r["run"]["command"].split("--seed ")[1].split()[0]
        reached = f"epoch {r['first_epoch_at_slides']}" if r["first_epoch_at_slides"] else "not in this run"
        rows.append(f"| `{script}` | {r['slides_accuracy']:.1%} | {r['final_accuracy']:.2%} ({r['best_accuracy']:.2%}, "
                    f"{r['best_epoch']}) | {r['epochs']}, {seed} | {reached} | {r['median_seconds_per_epoch']:.2f} "
                    f"| {r['peak_memory_mib']} MiB |")
    return "\n".join(rows)


def seeds_table(runs):
    """Final test accuracy over the recorded seeds of each script, beside the slides' number,
    with a verdict against the 95 % prediction interval of one more run."""
    from scipy import stats  # the t distribution: five seeds say little about the sd
    rows = ["| script | slides | final accuracy over seeds: mean ± sd | min–max | one more run: 95 % prediction "
            "| seeds (epochs) | verdict |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for script in SCRIPTS:
        # the longest runs at the script's own learning rate: each seed's last epoch
        lengths = [len(r) for (s, _, lr), r in runs.items() if s == script and lr == ""]
        if not lengths:
            continue
        finals = {seed: r[-1]["test_accuracy"] for (s, seed, lr), r in runs.items()
                  if s == script and lr == "" and len(r) == max(lengths)}
        values, n = list(finals.values()), len(finals)
        mean, slides = statistics.mean(values), SLIDES[script]
        if n < 2:
            spread_, extremes, interval, verdict = f"{mean:.2%} (one seed)", "—", "—", "one seed: no spread yet"
        else:
            sd = statistics.stdev(values)
            half = stats.t.ppf(0.975, n - 1) * sd * (1 + 1 / n) ** 0.5
            spread_, extremes = f"{mean:.2%} ± {sd:.2%}", f"{min(values):.2%}–{max(values):.2%}"
            interval = f"{mean - half:.2%}–{mean + half:.2%}"
            # the slides give one decimal: their run ended within 0.05 % of their number
            beyond = "above" if slides - 0.0005 > max(values) else "below" if slides + 0.0005 < min(values) else ""
            verdict = f"within the spread{f', but {beyond} all {n} seeds' if beyond else ''}" \
                if abs(slides - mean) <= half + 0.0005 else \
                f"outside the spread: the slides {abs(slides - mean) * 100:.2f} points " \
                f"{'above' if slides > mean else 'below'} the mean ({abs(slides - mean) / sd:.0f} sd)"
        seeds = ", ".join(str(seed) for seed in sorted(finals))
        rows.append(f"| `{script}` | {slides:.1%} | {spread_} | {extremes} | {interval} | {n}: {seeds} "
                    f"({max(lengths)}) | {verdict} |")
    return "\n".join(rows)


def experiments_table(runs):
    """The runs at a learning rate other than the script's own."""
    rows = ["| experiment | final | best on the test set (optimistic), at epoch | final train cost "
            "| slides' number first reached |", "| --- | --- | --- | --- | --- |"]
    for (script, seed, lr), r in sorted(runs.items(), key=lambda item: (item[0][0], -len(item[1]), item[0][2],
                                                                        item[0][1])):
        if lr:
            s = run_summary(r, SLIDES[script])
            reached = s["first_epoch_at"][SLIDES[script]]
            rows.append(f"| `python {script} --epochs {len(r)} --seed {seed} --lr {lr}` | {s['final']:.2%} "
                        f"| {s['best']:.2%}, {s['best_epoch']} | {s['final_cost']:.4f} "
                        f"| {f'epoch {reached}' if reached else 'not reached'} |")
    return "\n".join(rows)


def validation_table(runs, held_out):
    """Each run with --validation: test accuracy at the end, at the epoch chosen by
    validation accuracy, and at the epoch chosen by the test set itself."""
    rows = [f"| `--validation {held_out}`: script, seed | final | at the epoch chosen by validation accuracy "
            "| best on the test set (optimistic), at epoch |", "| --- | --- | --- | --- |"]
    for (script, seed, lr), r in sorted(runs.items()):
        chosen = max(r, key=lambda row: row["validation_accuracy"])  # the first of equals, as the scripts
        best = max(r, key=lambda row: row["test_accuracy"])
        rows.append(f"| `{script}{' --lr ' + lr if lr else ''}`, {seed} | {r[-1]['test_accuracy']:.2%} "
                    f"| {chosen['test_accuracy']:.2%} (epoch {chosen['epoch']}, validation "
                    f"{chosen['validation_accuracy']:.2%}) | {best['test_accuracy']:.2%}, {best['epoch']} |")
    return "\n".join(rows)


def margin(accuracy, ntest):
    """Twice the standard error of the difference of two accuracies near `accuracy`,
    each measured on `ntest` test images: a smaller difference could be chance."""
    return 2 * (2 * accuracy * (1 - accuracy) / ntest) ** 0.5


def takeaways_table(variants):
    """The talk's takeaways: claim, experiment, measured numbers, and whether each held."""
    final = {name: v["accuracy"] for name, v in variants.items()}
    first = {name: v["first_epoch_accuracy"] for name, v in variants.items()}
    trained = {name: v["train_accuracy"] for name, v in variants.items()}
    n = variants["modern net"]["settings"]["ntest"]

    def pct(x):
        return f"{100 * x:.2f} %"

    def holds(better, worse, wording=("held", "did not hold at this size")):
        return wording[0] if final[better] - final[worse] > margin(final[better], n) else wording[1]

    faster = first["modern net"] - first["sigmoid"] > margin(first["modern net"], n)
    better = final["modern net"] - final["sigmoid"] > margin(final["modern net"], n)
    edge = final["convnet"] - final["modern net, short"]
    shuffled_edge = final["convnet, shuffled pixels"] - final["modern net, short, shuffled pixels"]
    has_edge, loses_it = edge > margin(final["convnet"], n), edge - shuffled_edge > margin(final["convnet"], n)
    rows = [
        ("noise is important for regularization", "the modern net with and without dropout",
         f"{pct(final['modern net'])} with, {pct(final['no dropout'])} without (training images: "
         f"{pct(trained['modern net'])} and {pct(trained['no dropout'])})",
         holds("modern net", "no dropout", ("held", "did not hold at this size: no difference beyond chance"))),
        ("rectifiers for faster, better learning", "rectifier against sigmoid hidden units",
         f"after epoch 1: {pct(first['modern net'])} against {pct(first['sigmoid'])}; "
         f"at the end: {pct(final['modern net'])} against {pct(final['sigmoid'])}",
         {(True, True): "held", (True, False): "partly: faster, but not better at the end",
          (False, True): "partly: better at the end, but not faster",
          (False, False): "did not hold at this size"}[faster, better]),
        ("don't use (plain) SGD", "RMSprop (lr 0.001) against plain SGD (lr 0.05)",
         f"{pct(final['modern net'])} against {pct(final['plain SGD'])}", holds("modern net", "plain SGD")),
        ("models need room to compute", "hidden layers of 625 units against 16",
         f"{pct(final['modern net'])} against {pct(final['16 hidden units'])}", holds("modern net", "16 hidden units")),
        ("if your data has structure, your model should respect it",
         "the convnet against the modern net, on MNIST and with every image's pixels shuffled by one fixed permutation",
         f"MNIST: convnet {pct(final['convnet'])}, net {pct(final['modern net, short'])} ({100 * edge:+.2f} points); "
         f"shuffled: convnet {pct(final['convnet, shuffled pixels'])}, net "
         f"{pct(final['modern net, short, shuffled pixels'])} ({100 * shuffled_edge:+.2f} points)".replace("-", "−"),
         {(True, True): "held", (True, False): "partly: the convnet is better, but keeps its edge on shuffled pixels",
          (False, True): "partly: the convnet loses on shuffled pixels, but had no edge on MNIST",
          (False, False): "did not hold at this size"}[has_edge, loses_it])]
    return "\n".join(["| claim | experiment | measured (test accuracy) | held? |", "| --- | --- | --- | --- |",
                      *(f"| {' | '.join(row)} |" for row in rows)])


def shared_machine(loads, cores=None):
    """A sentence on the load a measurement saw, from its (lowest, highest) load average."""
    cores = cores or os.cpu_count()
    span = f"{loads[0]:.1f}–{loads[-1]:.1f}" if round(loads[0], 1) != round(loads[-1], 1) else f"{loads[0]:.1f}"
    if loads[-1] <= cores * 1.25:  # the benchmark's own runs keep about every core busy
        return f"load average {span} on {cores} cores, about the benchmark's own: a quiet machine."
    return (f"load average {span} on {cores} cores: the machine was shared with other work, "
            "which slowed both sides; the ratios hold for that load and may differ on a quiet machine.")


def cpu_of(run):
    """'AMD EPYC, family 25, model 17': the CPU a run's record names (benchmarks/record.py)."""
    return f"{run['machine'].split(', ', 1)[-1]}, {run['cpu']}"


def per_epoch_table(reports):
    """Seconds per epoch beside PyTorch and JAX and against the machine's sgemm, from results/speed*.json."""
    rows = ["| script | training images | CPU (OpenBLAS kernels) | Theano s/epoch | PyTorch s/epoch | JAX s/epoch "
            "| Theano / PyTorch | Theano / JAX | fast ops off, s/epoch | GFLOP per step | sgemm GFLOP/s "
            "| Theano / sgemm | PyTorch / sgemm | JAX / sgemm |",
            "|" + " --- |" * 14]
    runs = {}  # how each was measured: the scripts measured so
    for script, r in ((script, r) for report in reports for script, r in report["scripts"].items()):
        off = f"{r['fast_ops_off_seconds_per_epoch']:.2f}" if "fast_ops_off_seconds_per_epoch" in r else "—"
        rows.append(f"| `{script}` | {r['ntrain']} | {cpu_of(r['run'])} ({r['openblas']}) | {r['theano_seconds_per_epoch']:.2f} "
                    f"| {r['torch_seconds_per_epoch']:.2f} | {r['jax_seconds_per_epoch']:.2f} "
                    f"| {r['over_torch']:.2f}× | {r['over_jax']:.2f}× | {off} | {r['flops_per_step'] / 1e9:.3f} "
                    f"| {r['sgemm_gflops']} | {r['theano_gflops'] / r['sgemm_gflops']:.0%} "
                    f"| {r['torch_gflops'] / r['sgemm_gflops']:.0%} | {r['jax_gflops'] / r['sgemm_gflops']:.0%} |")
        cores = int(r["run"]["machine"].split(" cores")[0])
        run = (f"{r['run']['date']}, {r['run']['machine']} ({r['run']['cpu']}): medians of {r['rounds']} rounds, "
               f"epochs of {r['ntrain']} training images (and {r['ntest']} test images), sgemm "
               f"{r['sgemm_gflops_range'][0]}–{r['sgemm_gflops_range'][1]} GFLOP/s over the rounds; "
               f"{shared_machine([r['load'][0], r['load'][-1]], cores)}")
        runs.setdefault(run, []).append(f"`{script}`")
    notes = [f"- {', '.join(scripts)}: {run}" for run, scripts in runs.items()]
    return "\n".join(rows + [""] + notes)


def fenced(lines, language=""):
    return "\n".join([f"```{language}", *lines, "```"])


def recipes(results=RESULTS):
    """{file under results/, as the project names it: the command that wrote it} from every record
    that keeps what its run wrote: a log's runs (their `wrote PATH` lines) and a JSON's run
    records (their "wrote" lists)."""
    made = {}

    def named(value):
        if isinstance(value, dict):
            made.update(dict.fromkeys(value.get("wrote", []), value.get("command")))
            value = list(value.values())
        for each in value if isinstance(value, list) else []:
            named(each)

    for path in sorted(glob.glob(os.path.join(results, "**", "*.log"), recursive=True)):
        with open(path) as f:
            for part in re.split(r"^\$ ", f.read(), flags=re.M)[1:]:
                command_line, _, output = part.partition("\n")
                if record.RUN_LINE in output:  # a run with its record
                    made.update(dict.fromkeys(re.findall(r"^wrote (\S+)$", output, re.M), command_line))
    for path in sorted(glob.glob(os.path.join(results, "**", "*.json"), recursive=True)):
        with open(path) as f:
            named(json.load(f))
    return made


# --- the views: what a mark can name in each record

def talk_view(results):
    """results/summary.json, each script with its run's epochs from results/trajectories.csv and
    the mistakes of its final model from the confusion matrix its --figures wrote: how many
    (`wrong`) and the largest cells, as `largest/N` ("5 taken for 3 (32)")."""
    summary = read_json(results, "summary.json")
    epochs = read_runs(os.path.join(results, "trajectories.csv"))
    view = {"table": talk_table(summary), "recorded": when([r["run"] for r in summary.values()])}
    rows = ["| script | trained for | test accuracy | wrong of 10000 | slides (100 epochs) |",
            "| --- | --- | --- | --- | --- |"]
    for script, r in summary.items():
        counts = read_confusion(results, script)
        wrong = sorted(((count, true, answer) for (true, answer), count in counts.items() if true != answer),
                       key=lambda cell: -cell[0])
        view[script] = {**r, **run_summary(epochs[(script, 1, "")], r["slides_accuracy"]),
                        "wrong": sum(count for count, _, _ in wrong),
                        "largest": [f"{true} taken for {answer} ({count})" for count, true, answer in wrong]}
        rows.append(f"| {script} | {r['epochs']} epochs, seed 1 | {r['final_accuracy']:.2%} | "
                    f"{view[script]['wrong']} | {SLIDES[script]:.1%} |".replace("%", " %"))
    view["mistakes_table"] = "\n".join(rows)
    view["minutes"] = sum(view[script]["minutes"] for script in summary)
    return view


def read_confusion(results, script):
    """{(true class, answer): count} of results/figures/NAME_confusion.csv, which the talk run's
    --figures writes beside its confusion picture."""
    with open(os.path.join(results, "figures", script[:-3] + "_confusion.csv"), newline="") as f:
        rows = list(csv.reader(f))
    return {(true[0], answer): int(count) for true in rows[1:] for answer, count in zip(rows[0][1:], true[1:])}


def seeds_view(results):
    """results/seeds.csv (records in seeds.json): each script's longest runs over seeds at its
    own learning rate, each run at another (experiments/SCRIPT/lr=LR/SEED; the spread of
    their final accuracy from a learning rate on: experiments/SCRIPT/lr_from/0.2), the tables."""
    runs = read_runs(os.path.join(results, "seeds.csv"))
    records = read_json(results, "seeds.json")["runs"]
    view = {"table": seeds_table(runs), "experiments_table": experiments_table(runs), "recorded": when(records),
            "experiments": {}, "experiments_recorded": when([r for r in records if r["lr"]])}
    for script in SCRIPTS:
        lengths = [len(r) for (s, _, lr), r in runs.items() if s == script and not lr]
        own = {seed: run_summary(r, SLIDES[script]) for (s, seed, lr), r in runs.items()
               if s == script and not lr and len(r) == max(lengths)}
        if not own:
            continue
        finals = spread([r["final"] for r in own.values()])
        view[script] = {**finals, "seeds": {str(seed): r for seed, r in own.items()},
                        "best": spread([r["best"] for r in own.values()]),
                        "last_10_mean": spread([r["last_10_mean"] for r in own.values()]),
                        "from_30": {"min": min(r["from_30"]["min"] for r in own.values()),
                                    "max": max(r["from_30"]["max"] for r in own.values())},
                        "minutes": spread([r["minutes"] for r in own.values()]),
                        "train_cost_at": {epoch: spread([r["epoch"][epoch]["train_cost"] for r in own.values()])
                                          for epoch in next(iter(own.values()))["epoch"]},
                        "points_short_of_slides": {"min": 100 * (SLIDES[script] - finals["max"]),
                                                   "max": 100 * (SLIDES[script] - finals["min"])},
                        "readme": f"{finals['mean']:.2%} ± {100 * finals['sd']:.2f} ({finals['n']} seeds)".replace(
                            "%", " %")}
        others = {(lr, seed): run_summary(r, SLIDES[script]) for (s, seed, lr), r in runs.items() if s == script and lr}
        if others:
            view["experiments"][script] = {
                **{f"lr={lr}": {str(seed): r for (l, seed), r in others.items() if l == lr} for lr, _ in others},
                "lr_from": ByLevel(lambda level, others=others: spread(
                    [r["final"] for (lr, _), r in others.items() if float(lr) >= level]))}
    return view


def validation_view(results):
    """results/validation_10000.csv (records in validation_10000.json): per script, the test
    accuracy at the end and at the epoch chosen by validation accuracy, and that epoch's
    validation accuracy above its test accuracy (in points)."""
    runs = read_runs(os.path.join(results, "validation_10000.csv"))
    records = read_json(results, "validation_10000.json")["runs"]
    view = {"table": validation_table(runs, 10000), "recorded": when(records)}
    for (script, seed, lr), r in runs.items():
        chosen = max(r, key=lambda row: row["validation_accuracy"])
        view[script] = {**run_summary(r, SLIDES[script]),
                        "chosen_below_final": 100 * (r[-1]["test_accuracy"] - chosen["test_accuracy"]),
                        "validation_above_test": 100 * (chosen["validation_accuracy"] - chosen["test_accuracy"])}
    return view


def takeaways_view(results):
    """results/takeaways.json: each variant, the table, and how long the whole benchmark took."""
    variants = read_json(results, "takeaways.json")["variants"]
    return {**{field_name(name): v for name, v in variants.items()}, "table": takeaways_table(variants),
            "margin": 100 * margin(variants["modern net"]["accuracy"], variants["modern net"]["settings"]["ntest"]),
            "minutes": sum(v["seconds"] for v in variants.values()) / 60,
            "recorded": when([v["run"] for v in variants.values()])}


def takeaways_log_view(results):
    """results/takeaways.log: per run of the benchmark (by its convnet's epochs), each variant's
    test accuracy and the epochs its training cost stayed at chance."""
    view = {}
    for command_line, run, output in read_log(results, "takeaways.log"):
        conv_epochs = re.search(r"(\d+) for the convnet", output)[1]
        costs = {}
        for name, cost in re.findall(r"^  (.+?): epoch +\d+  train cost ([\d.]+)$", output, re.M):
            costs.setdefault(name, []).append(float(cost))
        view[f"conv_epochs={conv_epochs}"] = {
            field_name(name): {"accuracy": float(accuracy),
                        "epochs_at_chance": sum(cost > CHANCE_COST for cost in costs.get(name, []))}
            for name, accuracy in re.findall(r"^(.+?): test accuracy ([\d.]+) in", output, re.M)}
    return view


def knn_view(results):
    """results/knn.json: each k's runs (k/1/theano/accuracy), and the table beside scikit-learn."""
    knn = read_json(results, "knn.json")
    rows = ["| k | slides | Theano | scikit-learn | search seconds: Theano / scikit-learn | peak memory |",
            "| --- | --- | --- | --- | --- | --- |"]
    for r in knn["runs"]:
        t, s = r["theano"], r["sklearn"]
        tie = " (ties go to the smallest label)" if r["k"] > 1 else ""
        slides = f"~{talk.KNN_ACCURACY:.0%}" if r["k"] == 1 else ""
        rows.append(f"| {r['k']} | {slides} | {t['accuracy']:.2%} | {s['accuracy']:.2%}{tie} | {t['seconds']:.1f} / "
                    f"{s['seconds']:.1f} ({r['ratio_seconds_theano_to_sklearn']:.2f}×) | {t['peak_memory_mib']} / "
                    f"{s['peak_memory_mib']} MiB |".replace("%", " %"))
    return {**knn, "table": "\n".join(rows), "recorded": when([knn["run"]]),
            "k": {str(r["k"]): r for r in knn["runs"]}}


def load_view(results):
    """results/load.json as it is, and when it was recorded."""
    report = read_json(results, "load.json")
    return {**report, "recorded": when([report["run"]])}


def speed_view(results, name):
    """results/speed*.json: its scripts, each with what the pages derive from it."""
    report = read_json(results, name)
    for r in report["scripts"].values():
        r["talk_minutes"] = 100 * r["theano_seconds_per_epoch"] / 60  # the talk's 100 epochs at this speed
        for side in ("theano", "torch", "jax"):
            r[f"{side}_of_sgemm"] = r[f"{side}_gflops"] / r["sgemm_gflops"]
        for side in ("torch", "jax", "faster_peer"):
            ratios = r[f"round_ratios_over_{side}"]
            r[f"round_ratio_over_{side}"] = {"min": min(ratios), "max": max(ratios)}
    return report


def tier_view(results):
    """results/tier.json: the first tier's medians for each compiler slowdown, and when and where."""
    report = read_json(results, "tier.json")
    return {**report, "recorded": f"{when([report['run']])} ({report['run']['cpu']})"}


def speed_table_view(results):
    """results/speed*.json: the per-epoch table of every speed record."""
    names = ["speed.json", *sorted(os.path.basename(p) for p in glob.glob(os.path.join(results, "speed_*.json")))]
    return {"table": per_epoch_table([read_json(results, name) for name in names])}


def flags_of(command_line):
    """'seed=2,sgd-lr=0.5' of `python PROGRAM --seed 2 --sgd-lr 0.5 --data-dir PATH --figures DIR`; 'default'
    without flags (where the data and the pictures go change no result)."""
    words = command_line.split()[2:]
    pairs = [f"{flag[2:]}={value}" for flag, value in zip(words[::2], words[1::2])
             if flag not in ("--data-dir", "--figures")]
    return ",".join(pairs) or "default"


def moons_view(results, name):
    """results/moons_*.log: each run (by its flags) with each variant's final loss and
    accuracy, and over the runs that differ only by --seed the ratio of the second variant's
    loss to the first's."""
    view, ratios = {}, []
    for command_line, run, output in read_log(results, name):
        finals = re.search(r"^after \d+ steps from the same start: (.+)$", output, re.M)[1]
        variants = {v: {"loss": float(loss), "accuracy": float(accuracy)}
                    for v, loss, accuracy in re.findall(r"(\w+) loss ([\d.]+) accuracy ([\d.]+)", finals)}
        key = flags_of(command_line)
        view[key] = variants
        if re.fullmatch(r"default|seed=\d+", key):
            first, second = variants.values()
            ratios.append(second["loss"] / first["loss"])
    view["seeds"] = {"n": len(ratios), "ratio": {"min": min(ratios), "max": max(ratios)}}
    view["recorded"] = when([run for _, run, _ in read_log(results, name)])
    return view


def linear_regression_view(results):
    """results/1_linear_regression.log: w after each run, by its flags (default, epochs=10, ...)."""
    runs = read_log(results, "1_linear_regression.log")
    return {**{flags_of(command_line): float(re.search(r"^w = ([\d.]+)", output, re.M)[1])
               for command_line, run, output in runs}, "recorded": when([run for _, run, _ in runs])}


def quick_runs_view(results):
    """results/quick_runs.log: each run's final test accuracy, by script and flags; the
    README's commands with the accuracies they reached; the line a run at chance prints."""
    view, chance = {}, None
    for command_line, run, output in read_log(results, "quick_runs.log"):
        script, flags = command_line.split()[1], flags_of(command_line)
        seed = re.search(r"seed=(\d+)", flags)
        setting = re.sub(r",?seed=\d+", "", flags)
        accuracy = float(re.findall(r"^epoch +\d+  test accuracy ([\d.]+)", output, re.M)[-1])
        view.setdefault(script, {}).setdefault(setting, {})[seed[1] if seed else "1"] = accuracy
        chance = chance or re.search(r"^\S+: \S+ is within .* of chance.*$", output, re.M)
    readme = "epochs=1,ntrain=10000,batch-size=16"
    flags = " ".join(f"--{pair.replace('=', ' ')}" for pair in readme.split(","))
    commands = {f"uv run {script} {flags}": view[script][readme].values() for script in SCRIPTS}
    width = max(map(len, commands)) + 3
    lines = []
    for command_line, accuracies in commands.items():
        low, high = f"{min(accuracies):.2f}", f"{max(accuracies):.2f}"
        lines.append(command_line.ljust(width) + f"# {low}{'–' + high if high != low else ''}")
    view.update(readme=fenced(lines, "sh"), chance_line=fenced([chance[0]]),
                recorded=when([run for _, run, _ in read_log(results, "quick_runs.log")]))
    seeds = sorted(view[SCRIPTS[0]][readme])
    rows = [f"| script | final test accuracy, seeds {', '.join(seeds)} |", "| --- | --- |"]
    rows += [f"| `{script}` | {', '.join(f'{view[script][readme][seed]:.4f}' for seed in seeds)} |"
             for script in SCRIPTS]
    view.update(table="\n".join(rows), readme_seeds=f"{seeds[0]}–{seeds[-1]}")
    return view


def modern_net_inside_view(results):
    """results/modern_net_inside.log: the digit its picture shows, what the net says of it clean and
    under its dropout noise, and its accuracy clean and noisy over the test set."""
    (command_line, run, output), = read_log(results, "modern_net_inside.log")
    digit = re.search(r"test image (\d+) is labelled (\d+)\. Clean, the net says (\d+) with probability ([\d.]+); "
                      r"(\d+) noisy passes say \d+ (\d+)% of the time", output)
    accuracy = re.search(r"test accuracy ([\d.]+) clean, ([\d.]+) with noise", output)
    return {"digit": int(digit[1]), "label": int(digit[2]), "clean_answer": int(digit[3]),
            "clean_probability": float(digit[4]), "passes": int(digit[5]), "noisy_agree": int(digit[6]) / 100,
            "clean_accuracy": float(accuracy[1]), "noisy_accuracy": float(accuracy[2]), "recorded": when([run])}


def log_head_view(results, name):
    """The first lines of a talk run's log: its settings and its first epoch."""
    command_line, run, output = read_log(results, name)[0]
    return {"head": fenced([*output.splitlines()[:2], "..."])}


# demos/graphs.py's lines of each function's graph and of the files it wrote
GRAPH_SUMMARY = re.compile(r"^(?P<function>\w+): (?P<as_written>\d+) nodes? as written \((?P<model_and_cost>\d+) model "
                           r"and cost(?:, (?P<by_grad>\d+) added by T\.grad, (?P<updates>\d+) updates)?\); "
                           r"(?P<after>\d+) nodes? after the optimisations, (?P<runs>.+)$")
GRAPH_FUSED = re.compile(r"^  fused: (?P<fused_operations>\d+) elementwise operations into (?P<fused_loops>\d+) loops")


def graphs_view(results):
    """results/graphs.log: per script and function (2_logistic_regression.py/train/after) the nodes
    as written, of them model and cost, made by T.grad and updates, the nodes after the
    optimisations, its fused loops and the elementwise operations in them, the nodes that run
    in Python; the table of them all; the files the runs wrote."""
    view, runs, files = {}, [], []
    for command_line, run, output in read_log(results, "graphs.log"):
        runs.append(run)
        for line in output.splitlines():
            summary, fused = GRAPH_SUMMARY.match(line), GRAPH_FUSED.match(line)
            if line.startswith("== "):
                script = view.setdefault(line[3:], {})
            elif summary:
                python = re.search(r"(\d+) in Python", summary["runs"])
                function = script[summary["function"]] = {
                    **{k: int(v) for k, v in summary.groupdict().items() if v and v.isdigit()},
                    "in_python": int(python[1]) if python else 0, "fused_loops": 0, "fused_operations": 0}
            elif fused:
                function.update({k: int(v) for k, v in fused.groupdict().items()})
            elif line.startswith("wrote "):
                files.append(line[len("wrote "):])
    rows = ["| script | function | nodes as written | of which `T.grad` | after | fused loops (operations) | runs as |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for script, functions in view.items():
        for name, f in functions.items():
            fused = f"{f['fused_loops']} ({f['fused_operations']})" if f["fused_loops"] else "–"
            runs_as = f"C, {f['in_python']} in Python" if f["in_python"] else "C"
            rows.append(f"| {script} | {name} | {f['as_written']} | {f.get('by_grad', '–')} | {f['after']} | {fused} "
                        f"| {runs_as} |")
    in_python = sum(f["in_python"] for functions in view.values() for f in functions.values())
    return {**view, "table": "\n".join(rows), "in_python": in_python, "files": files, "recorded": when(runs)}


VIEWS = {
    "summary.json": talk_view, "seeds.csv": seeds_view, "validation_10000.csv": validation_view,
    "takeaways.json": takeaways_view, "takeaways.log": takeaways_log_view, "knn.json": knn_view,
    "load.json": load_view, "speed*.json": speed_table_view, "graphs.log": graphs_view,
    "moons_sgd_vs_rmsprop.log": lambda results: moons_view(results, "moons_sgd_vs_rmsprop.log"),
    "moons_sigmoid_vs_rectifier.log": lambda results: moons_view(results, "moons_sigmoid_vs_rectifier.log"),
    "1_linear_regression.log": linear_regression_view, "quick_runs.log": quick_runs_view,
    "modern_net_inside.log": modern_net_inside_view,
    "2_logistic_regression.log": lambda results: log_head_view(results, "2_logistic_regression.log"),
    "speed.json": lambda results: speed_view(results, "speed.json"), "tier.json": tier_view,
}


# --- the marks

def lookup(view, field):
    value = view
    for key in field.split("/"):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def rendered(views, mark, results):
    """The text a mark stands for, from its record."""
    name = mark["record"]
    if name not in views:
        views[name] = VIEWS[name](results)
    text = Formatter().format(mark["form"] or "{}", lookup(views[name], mark["field"]))
    return f"\n{text}\n" if "\n" in text else text


def made(page, results=RESULTS, views=None):
    """The page's text with every mark's text made from its record; and [(mark, was, is)] where it differs."""
    views = {} if views is None else views
    differences = []

    def fill(mark):
        text = rendered(views, mark, results)
        if text != mark["text"]:
            differences.append((mark, mark["text"], text))
        return mark[0].replace(f"-->{mark['text']}<!-- -->", f"-->{text}<!-- -->")

    with open(os.path.join(REPO, page)) as f:
        return MARK.sub(fill, f.read()), differences


def check(results=RESULTS, pages=PAGES):
    """One line for each mark of the pages whose text is not what its record gives (of a
    table, its rows that differ)."""
    views, lines = {}, []
    for page in pages:
        for mark, was, should in made(page, results, views)[1]:
            page_lines, record_lines = was.strip().splitlines(), should.strip().splitlines()
            page_says = "; ".join(repr(line) for line in page_lines if line not in record_lines) or repr(was)
            record_gives = "; ".join(repr(line) for line in record_lines if line not in page_lines) or repr(should)
            lines.append(f"{page}: {mark['record']} {mark['field']}: the page says {page_says}, the record gives "
                         f"{record_gives}")
    return lines


def write(results=RESULTS, pages=PAGES):
    """Write every mark of the pages from its record; return the pages that changed."""
    views, changed = {}, []
    for page in pages:
        text, differences = made(page, results, views)
        if differences:
            with open(os.path.join(REPO, page), "w") as f:
                f.write(text)
            changed.append(page)
    return changed
