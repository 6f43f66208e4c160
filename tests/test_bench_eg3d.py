"""``gazejax bench eg3d``: records, timings, the same network on both sides, the memory budget."""

import json

import pytest

from gazejax.bench import eg3d
from gazejax.cli import main

pytest.importorskip("torch")

NAMES = ["eg3d/generator_forward/jax", "eg3d/generator_forward/torch"] * 2 + [
    "eg3d/train_step/jax", "eg3d/train_step/torch"]


def test_quick_bench_times_jax_and_torch_on_the_same_generator(tmp_path):
    out = tmp_path / "eg3d.json"
    assert main(["bench", "eg3d", "--quick", "--runs", "2", "--json", str(out)]) == 0
    records = json.loads(out.read_text())
    assert [r["name"] for r in records] == NAMES
    assert [r["config"]["batch"] for r in records] == [1, 1, 2, 2, 2, 2]
    for r in records:
        assert r["runs"] == 2 and 0 < r["min_ms"] <= r["median_ms"] <= r["max_ms"]
        assert r["images_per_s"] > 0
    for r in records[0::2]:  # JAX: compile time apart, XLA's memory analysis
        assert r["compile_ms"] > 0 and r["memory"]["peak_bytes"] >= r["memory"]["argument_bytes"] > 0
    for jax_rec, torch_rec in zip(records[0::2], records[1::2]):
        assert torch_rec["jax_speedup_vs_torch"] == pytest.approx(torch_rec["median_ms"] / jax_rec["median_ms"])
    # converted weights: both sides draw the same images
    for r in records[0:4:2]:
        assert r["shapes"]["image"][1:] == [128, 128, 3]
        assert r["max_abs_difference_vs_torch"] < 1e-4


def test_a_shape_over_the_memory_budget_is_skipped_with_the_bytes_it_needs():
    import torch  # noqa: PLC0415

    records = eg3d.measure_forward(eg3d.Networks(eg3d.QUICK, torch), 1, runs=1, budget_bytes=100_000)
    # not run, so no PyTorch record either
    assert [r["name"] for r in records] == ["eg3d/generator_forward/jax"]
    r = records[0]
    assert r["skipped"] and "median_ms" not in r
    assert r["budget_bytes"] == 100_000 < r["needed_bytes"] == r["memory"]["peak_bytes"]
    assert "exceeds the budget 0.1 MB" in r["reason"]


def test_synthgaze_variant_times_the_networks_of_the_synthgaze_config():
    from gazejax.train.config_loading import load_config  # noqa: PLC0415

    config = load_config(f"{eg3d.CONFIG_FILE}:synthgaze")
    w = eg3d.synthgaze_workload()
    assert (w.plane_resolution, w.plane_channels, w.sr_variant, w.sr_widths) == (64, 16, "2X", (32, 16))
    assert w.resolution == 128
    assert (w.neural_rendering_resolution, w.n_coarse, w.n_fine) == (32, 24, 24)
    assert w.forward_batches == (config.batch_size,) and w.train_batch == config.batch_size == 8
    torch = pytest.importorskip("torch")
    nets = eg3d.Networks(w, torch)
    assert nets.generator.neural_rendering_resolution == nets.torch_g.neural_rendering_resolution == 32
