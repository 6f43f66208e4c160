"""``gazejax bench pipeline --quick``: one record per batch, every stage timed per frame, detection honest.

No timing is asserted beyond being measured; the records' arithmetic (per
frame = per batch / batch, total = sum of the stages) is.
"""

import json

import numpy as np
import pytest

from gazejax import face
from gazejax.cli import main

HOST_STAGES = ("head_pose", "normalization", "paste")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "pipeline.json"
    assert main(["bench", "pipeline", "--quick", "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_one_record_per_batch_at_the_model_resolution(records):
    assert [r["name"] for r in records] == ["photo_pipeline"] * 2
    assert [r["shapes"]["batch"] for r in records] == [1, 2]
    for r in records:
        assert r["shapes"]["frame"] == [360, 640, 3] and r["shapes"]["crop"] == [64, 64, 3]
        assert r["config"] == "configs/livegaze.py:tiny (random weights)"
        assert r["compile_ms"] > 0 and r["memory"]["peak_bytes"] > 0


def test_stages_are_timed_per_frame_and_add_up(records):
    for r in records:
        stages, n = r["stages"], r["shapes"]["batch"]
        for name in HOST_STAGES:
            assert stages[name]["median_ms"] > 0
            assert r[f"{name}_ms_per_frame"] == stages[name]["median_ms"]
        assert r["model_ms_per_frame"] == pytest.approx(stages["model"]["median_ms"] / n)
        parts = [r[f"{name}_ms_per_frame"] for name in (*HOST_STAGES, "model")]
        if stages["detection"]["measured"]:
            parts.append(r["detection_ms_per_frame"])
        assert r["total_ms_per_frame"] == pytest.approx(np.sum(parts))
        assert r["frame_redirector_ms_per_frame"] == pytest.approx(r["frame_redirector"]["median_ms"] / n)
    # the model's memory grows with the batch
    assert records[1]["memory"]["peak_bytes"] > records[0]["memory"]["peak_bytes"]


def _detector_works():
    try:
        face.detect_faces(np.zeros((32, 32, 3), np.float32))
    except face.DetectorUnavailable:
        return False
    return True


def test_detection_is_measured_only_where_the_detector_works(records):
    detection = records[0]["stages"]["detection"]
    if _detector_works():
        assert detection["measured"] is True and detection["faces_found"] >= 1
        assert records[0]["detection_ms_per_frame"] == detection["median_ms"] > 0
    else:  # no LiteRT, or its model files could not be fetched: the reason is the detector's one line
        assert detection["measured"] is False and detection["reason"].startswith("DetectorUnavailable: ")
        assert "detection_ms_per_frame" not in records[0]


def test_checkpoint_is_refused_for_other_benchmarks_and_when_missing(tmp_path, capsys):
    out = str(tmp_path / "b.json")
    assert main(["bench", "livegaze", "--checkpoint", str(tmp_path), "--json", out]) == 2
    assert "applies to the pipeline benchmark only" in capsys.readouterr().err
    assert main(["bench", "pipeline", "--quick", "--checkpoint", str(tmp_path / "nowhere"), "--json", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nowhere" in err[0], err
