"""benchmarks/roofline.py counts a training step's FLOPs; docs/speed.md's table is made from results/speed*.json."""
import copy
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import measured  # noqa: E402
import roofline  # noqa: E402
import speed_benchmark  # noqa: E402


def test_the_convnets_flops_are_its_multiply_adds_counted_by_hand():
    # forward, per image: conv1 32*1*9 at 30x30, conv2 64*32*9 at 13x13, conv3 128*64*9 at
    # 5x5, then 1152x625 and 625x10 (5.94 M multiply-adds, as issue 22 counted them)
    forward = 32 * 9 * 900 + 64 * 32 * 9 * 169 + 128 * 64 * 9 * 25 + 1152 * 625 + 625 * 10
    assert roofline.forward_flops("5_convolutional_net.py") == 2 * forward
    # backward: weight gradients of all layers, input gradients of all but the first
    assert roofline.training_flops("5_convolutional_net.py", 128) == 2 * 128 * (3 * forward - 32 * 9 * 900)
    # 12800 images make 99 steps of 128, as the scripts batch them
    assert roofline.epoch_flops("3_net.py", 128, 12800, 0) == 99 * roofline.training_flops("3_net.py", 128)


def test_sgemm_rate_is_the_products_flops_over_its_time(monkeypatch):
    ticks = iter(np.arange(100.0))  # each perf_counter call one second later
    monkeypatch.setattr(roofline.time, "perf_counter", lambda: next(ticks))
    assert roofline.sgemm_gflops(size=64, repeats=3) == 2 * 64 ** 3 / 1e9


def test_the_speed_table_is_made_from_every_speed_record(tmp_path):
    speed = {"scripts": {"5_convolutional_net.py": {
        "theano_seconds_per_epoch": 9.0, "torch_seconds_per_epoch": 12.0, "jax_seconds_per_epoch": 30.0,
        "over_torch": 0.75, "over_jax": 0.3, "over_faster_peer": 0.75, "fast_ops_off_seconds_per_epoch": 14.0,
        "epochs_timed": 3, "rounds": 3, "ntrain": 12800, "ntest": 10000, "flops_per_step": 4498374144,
        "theano_gflops": 62.5, "torch_gflops": 46.9, "jax_gflops": 18.8, "sgemm_gflops": 125.0,
        "sgemm_gflops_range": [120.0, 130.0], "load": [5.1, 7.0, 9.9], "openblas": "SkylakeX",
        "run": {"date": "2026-12-01 14:00", "machine": "2 cores, AMD EPYC", "cpu": "family 25, model 17"}}}}
    # a run of --ntrain 12800 --openblas-kernels auto, beside a speed.json of no script
    (tmp_path / "speed_ntrain_12800_openblas_SkylakeX.json").write_text(json.dumps(speed))
    (tmp_path / "speed.json").write_text(json.dumps({"scripts": {}}))
    page = tmp_path / "speed.md"
    page.write_text("intro\n<!-- speed*.json table -->\nSTALE ROW\n<!-- -->\noutro\n")
    assert measured.write(str(tmp_path), [str(page)]) == [str(page)]
    assert measured.write(str(tmp_path), [str(page)]) == []  # again: nothing left to change
    text = page.read_text()
    assert text.startswith("intro\n<!-- speed*.json table -->\n") and text.endswith("\n<!-- -->\noutro\n")
    assert "STALE ROW" not in text
    row = next(line for line in text.splitlines() if line.startswith("| `5_convolutional_net.py`"))
    assert ("| 12800 | AMD EPYC, family 25, model 17 (SkylakeX) | 9.00 | 12.00 | 30.00 | 0.75× | 0.30× | 14.00 | 4.498 | 125.0 | 50% | 38% | 15% |"
            in row)
    note = next(line for line in text.splitlines() if line.startswith("- `5_convolutional_net.py`"))
    assert note.startswith("- `5_convolutional_net.py`: 2026-12-01 14:00, 2 cores, AMD EPYC (family 25, model 17):")
    assert "epochs of 12800 training images" in note
    assert "the machine was shared" in note  # a load of 5-10 on 2 cores


def test_the_twins_are_the_peers_the_benchmark_runs():
    for script in speed_benchmark.SCRIPTS:
        for peer in speed_benchmark.PEERS:
            assert os.path.exists(os.path.join(speed_benchmark.REPO, speed_benchmark.twin(script, peer)))


def test_the_startup_table_shows_both_ways_of_compiling():
    runs = {f"{mode}{run}_{what}": value for mode in ("", "serial_") for run, value in
            (("first", 20.0), ("in_order", 10.0), ("later", 2.0)) for what, value in
            (("seconds", value * (2 if mode else 1)), ("to_first_epoch", value - 0.5),
             ("compiler_calls", 0 if run == "later" else 55), ("cores_used", 1.0 if mode else 1.9))}
    record = {"run": {"date": "2026-12-06 12:00", "machine": "2 cores, AMD EPYC", "cpu": "family 25, model 17"},
              "flags": "--epochs 1", "rounds": 3, "load": [1.0, 1.6], "compile_jobs": 2,
              "scripts": {"5_convolutional_net.py": {
                  **runs, "torch_seconds": 3.5, "torch_to_first_epoch": 2.7, "later_over_torch": 0.57,
                  "jax_seconds": 4.0, "jax_to_first_epoch": 3.0, "later_over_jax": 0.5, "first_over_serial": 0.5}}}
    intel = copy.deepcopy(record)
    intel["run"] |= {"machine": "2 cores, Intel Xeon", "cpu": "family 6, model 207"}
    intel["scripts"]["5_convolutional_net.py"]["later_over_torch"] = 1.41
    text = speed_benchmark.startup_table([record, intel])
    rows = [line for line in text.splitlines() if line.startswith("| `5_convolutional_net.py`")]
    assert rows == [f"| `5_convolutional_net.py` | {cpu} | 20.0 | 40.0 | 10.0 | 20.0 | 2.0 | 55, 55, 0 | 1.9 (1.0) "
                    f"| 3.5 | 4.0 | {ratio} | 0.50× |" for cpu, ratio in (("AMD EPYC, family 25, model 17", "0.57×"),
                                                                         ("Intel Xeon, family 6, model 207", "1.41×"))]
    assert "2026-12-06 12:00, 2 cores, AMD EPYC (family 25, model 17)" in text
    assert "2026-12-06 12:00, 2 cores, Intel Xeon (family 6, model 207)" in text
    assert "Modules compiled 2 at once (THEANO_TUTORIALS_COMPILE_JOBS), or one at a time" in text


def test_each_cpu_keeps_its_record(tmp_path, monkeypatch):
    monkeypatch.setattr(speed_benchmark, "RESULTS", str(tmp_path))
    amd = {"date": "2026-12-06 12:00", "machine": "2 cores, AMD EPYC", "cpu": "family 25, model 17"}
    intel = {**amd, "machine": "2 cores, Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz", "cpu": "family 6, model 143"}
    assert speed_benchmark.record_path("speed", amd) == str(tmp_path / "speed.json")  # the first record
    (tmp_path / "speed.json").write_text(json.dumps({"scripts": {"3_net.py": {"run": amd}}}))
    (tmp_path / "startup.json").write_text(json.dumps({"run": amd, "scripts": {}}))
    assert speed_benchmark.record_path("speed", amd) == str(tmp_path / "speed.json")
    assert speed_benchmark.record_path("startup", amd) == str(tmp_path / "startup.json")
    cpu = "intel_r_xeon_r_platinum_8481c_cpu_2_70ghz_family_6_model_143"
    assert speed_benchmark.record_path("speed", intel) == str(tmp_path / f"speed_{cpu}.json")
    assert speed_benchmark.record_path("startup", intel) == str(tmp_path / f"startup_{cpu}.json")


def test_the_pages_startup_table_is_its_record():
    with open(os.path.join(speed_benchmark.RESULTS, "startup.json")) as f:
        record = json.load(f)
    with open(speed_benchmark.DOCS) as f:
        page = f.read()
    records = speed_benchmark.startup_records()
    assert records[0] == record
    assert speed_benchmark.startup_table(records) in page, "docs/speed.md: run benchmarks/speed_benchmark.py --docs"
    # a number changed in the record changes the table
    script = next(iter(record["scripts"]))
    record["scripts"][script]["later_seconds"] += 1
    assert speed_benchmark.startup_table([record, *records[1:]]) not in page
