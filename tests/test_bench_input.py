"""``gazejax bench input``: the pipeline's pairs/s against a step's consumption (no timing assertions)."""

import json

import pytest

from gazejax.bench import input as input_bench
from gazejax.cli import main


def test_paper_step_is_18_hours_over_180k_steps():
    assert input_bench.PAPER_STEP_MS == pytest.approx(360.0)


def test_quick_run_compares_the_pipeline_with_the_given_and_the_timed_step(tmp_path):
    out = tmp_path / "input.json"
    assert main(["bench", "input", "--quick", "--step-ms", "50", "--json", str(out)]) == 0
    pipeline, step = json.loads(out.read_text())

    assert pipeline["name"] == "input_pipeline" and pipeline["step_source"] == "--step-ms"
    assert pipeline["shapes"]["pairs"] and pipeline["shapes"]["batch"] == 8
    assert pipeline["step_ms"] == 50.0 and pipeline["step_records_per_s"] == pytest.approx(8 * 1000 / 50)
    assert pipeline["records_per_s"] > 0
    assert pipeline["headroom"] == pytest.approx(pipeline["records_per_s"] / 160.0)
    assert pipeline["keeps_up"] == (pipeline["headroom"] >= 1)

    assert step["name"] == "livegaze_train_step" and step["config"] == "configs/livegaze.py:tiny"
    assert step["median_ms"] > 0 and step["compile_ms"] > 0 and step["memory"]["peak_bytes"] > 0
    fed = step["pipeline"]  # the same pipeline rate against the timed step
    assert fed["records_per_s"] == pipeline["records_per_s"] and fed["step_ms"] == step["median_ms"]
    assert fed["step_records_per_s"] == pytest.approx(8 * 1000 / step["median_ms"])


@pytest.mark.parametrize("argv", [["input", "--step-ms", "0"], ["synthgaze", "--step-ms", "100"]])
def test_step_ms_is_positive_and_for_the_input_benchmark_only(tmp_path, capsys, argv):
    assert main(["bench", *argv, "--json", str(tmp_path / "b.json")]) == 2
    assert "--step-ms takes a positive time in ms, for the input benchmark only" in capsys.readouterr().err
