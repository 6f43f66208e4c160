"""``gazejax bench``: variant checking and XLA's FLOP count (no timing assertions)."""

import dataclasses
import json
import sys

import jax
import pytest
import jax.numpy as jnp

from gazejax.bench.timing import xla_flops
from gazejax.cli import main


def test_unknown_variant_is_a_one_line_error(tmp_path, capsys):
    out = str(tmp_path / "b.json")
    assert main(["bench", "gazenerf", "--variant", "huge", "--json", out]) == 2
    assert "has no variant 'huge'; choose from paper, synthgaze, tiny" in capsys.readouterr().err
    assert main(["bench", "synthgaze", "--variant", "paper", "--json", out]) == 2
    assert "it takes none" in capsys.readouterr().err


def test_xla_flops_of_a_matmul():
    a, b = jnp.ones((32, 48)), jnp.ones((48, 16))
    assert xla_flops(jax.jit(jnp.matmul), a, b) == 2 * 32 * 48 * 16


def test_gazenerf_fit_steps_sets_the_timed_fit(tmp_path):
    out = tmp_path / "b.json"
    assert main(["bench", "gazenerf", "--quick", "--runs", "1", "--fit-steps", "2", "--json", str(out)]) == 0
    records = {r["name"]: r for r in json.loads(out.read_text())}
    assert records["gazenerf_fit_and_redirect"]["fit_steps"] == 2
    step = records["gazenerf_train_step"]
    assert step["median_ms"] > 0 and step["compile_ms"] > 0
    memory = step["memory"]  # XLA's compiled memory analysis
    assert memory["peak_bytes"] >= memory["temp_bytes"] > 0 and memory["argument_bytes"] > 0


def test_fit_steps_is_refused_elsewhere(tmp_path, capsys):
    out = str(tmp_path / "b.json")
    assert main(["bench", "synthgaze", "--fit-steps", "3", "--json", out]) == 2
    assert "for the gazenerf benchmark only" in capsys.readouterr().err


def test_a_shape_over_the_memory_budget_is_skipped_with_the_bytes_it_needs(tmp_path):
    out = tmp_path / "b.json"
    assert main(["bench", "render", "--quick", "--memory-budget-gb", "0.001", "--json", str(out)]) == 0
    records = json.loads(out.read_text())
    # two batches x (forward, forward+backward), none run (so no PyTorch records either)
    assert [r["name"] for r in records] == ["render/forward/jax", "render/forward_backward/jax"] * 2
    for r in records:
        assert r["skipped"] and "median_ms" not in r
        assert r["budget_bytes"] == 1_000_000 < r["needed_bytes"] == r["memory"]["peak_bytes"]
        assert "exceeds the budget 1.0 MB" in r["reason"]
    by_batch = {(r["name"], r["config"]["batch"]): r["needed_bytes"] for r in records}
    assert by_batch["render/forward_backward/jax", 1] > by_batch["render/forward/jax", 1]
    assert by_batch["render/forward/jax", 2] > by_batch["render/forward/jax", 1]


def test_a_non_positive_memory_budget_is_a_one_line_error(tmp_path, capsys):
    assert main(["bench", "render", "--memory-budget-gb", "0", "--json", str(tmp_path / "b.json")]) == 2
    assert "--memory-budget-gb must be positive" in capsys.readouterr().err


def test_scaling_writes_four_points_per_sweep_and_a_plot(tmp_path, monkeypatch):
    from gazejax.bench import scaling  # noqa: PLC0415

    # the quick sweeps with the fewest points the benchmark promises
    monkeypatch.setattr(scaling, "QUICK", dataclasses.replace(
        scaling.QUICK, render_samples=(2, 3, 4, 5), render_sides=(4, 6, 8, 10)))
    out = tmp_path / "scaling.json"
    assert main(["bench", "scaling", "--quick", "--json", str(out)]) == 0
    records = json.loads(out.read_text())
    for series in ("render forward", "render forward+backward", "LiveGaze inference"):
        for sweep in ("samples", "resolution"):
            points = sorted((r for r in records if r["series"] == series and r["sweep"] == sweep),
                            key=lambda r: r["x"])
            assert len(points) == 4 and len({r["x"] for r in points}) == 4
            assert all(r["median_ms"] > 0 and r["compile_ms"] > 0 for r in points)
            # more rays x samples, or a larger output, never needs less memory
            peaks = [r["memory"]["peak_bytes"] for r in points]
            assert peaks == sorted(peaks) and peaks[-1] > peaks[0]
    assert (tmp_path / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scaling_plot_without_matplotlib_says_so(tmp_path, monkeypatch, capsys):
    from gazejax.bench import scaling  # noqa: PLC0415

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    assert scaling.plot([], tmp_path / "s.png") is False
    assert "matplotlib is not installed: no scaling plot written" in capsys.readouterr().err
    assert not (tmp_path / "s.png").exists()


@pytest.mark.slow
def test_gpu_suite_runs_every_benchmark_quick_on_a_cpu(tmp_path):
    out = tmp_path / "gpu.json"
    assert main(["bench", "gpu", "--quick", "--runs", "1", "--json", str(out)]) == 0
    records = json.loads(out.read_text())
    from gazejax.bench.gpu import SUITE  # noqa: PLC0415

    assert {r.get("benchmark") for r in records[:-1]} == set(SUITE)
    summary = records[-1]
    assert summary["name"] == "gpu_suite" and set(summary["seconds_per_benchmark"]) == set(SUITE)
    with_flops = [r for r in records if r.get("gflops")]
    assert with_flops and all(r["achieved_tflops"] > 0 and r["fraction_of_peak_flops"] is None  # CPU: no peak
                              for r in with_flops)
    assert all("memory" in r for r in records if r["name"].startswith("render/"))
    # EG3D without its PyTorch side, which would run on the host CPU
    assert [r["name"] for r in records if r.get("benchmark") == "eg3d"] == [
        "eg3d/generator_forward/jax"] * 2 + ["eg3d/train_step/jax"]


def test_gpu_suite_at_full_size_is_refused_on_a_cpu(tmp_path, capsys):
    assert main(["bench", "gpu", "--json", str(tmp_path / "g.json")]) == 2
    assert "--quick for a smoke test" in capsys.readouterr().err


def test_train_memory_compiles_each_setting_and_chunking_lowers_the_peak(tmp_path, monkeypatch):
    from gazejax.bench import train_memory  # noqa: PLC0415

    # GazeNeRF's settings only: LiveGaze's memory options are tested in test_train_microbatching
    monkeypatch.setitem(train_memory.SETTINGS, "tiny", dict(train_memory.SETTINGS["tiny"], livegaze=()))
    out = tmp_path / "m.json"
    assert main(["bench", "train_memory", "--quick", "--json", str(out)]) == 0
    records = json.loads(out.read_text())
    assert [(r["config"], len(r["settings"])) for r in records] == [("gazenerf:tiny", 0), ("gazenerf:tiny", 1)]
    for r in records:  # the tiny steps are also run and timed
        assert r["name"] == "train_step_memory" and r["compile_ms"] > 0 and r["median_ms"] > 0
    plain, chunked = (r["memory"]["peak_bytes"] for r in records[:2])
    assert chunked < 0.8 * plain
