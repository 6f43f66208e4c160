"""EG3D "+DP" gaze filter: a tiny EG3D-layout folder, a stub estimator whose yaw is the image's mean red."""

import csv
import importlib.util
import json
import pathlib

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from gazejax.data import ffhq_eg3d, gaze_filter
from gazejax.data.conversion import DataError
from gazejax.geometry import camera_label
from gazejax.pretrained.gaze_estimator import load_gaze_estimator
from random_judge import save_random_judge

SIZE = 8
# red level of image k; the stub's yaw is 2 * red / 255 - 1
REDS = [0, 100, 128, 200, 230, 170]
KEPT_AT_0_4 = [0, 3, 4]  # |yaw| = 1.0, 0.216, 0.004, 0.569, 0.804, 0.333


def _image(k):
    image = np.random.default_rng(k).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    image[..., 0] = REDS[k]
    return image


def _label(k):
    return np.asarray(camera_label(0.1 * k, 0.05), np.float32)


def _name(k):
    return f"00000/img{k:08d}.png"


def write_folder(root, count=len(REDS), labels=None):
    """EG3D's pre-zip layout: ``00000/img%08d.png`` and a root ``dataset.json``."""
    (root / "00000").mkdir(parents=True)
    for k in range(count):
        Image.fromarray(_image(k)).save(root / _name(k))
    labels = [_label(k).tolist() for k in range(count)] if labels is None else labels
    (root / "dataset.json").write_text(json.dumps({"labels": [[_name(k), labels[k]] for k in range(count)]}))
    return root


class StubEstimator:
    """Gaze (0, 2 mean red - 1) of each image; counts the images it saw and can fail on a call."""

    def __init__(self, fail_on_call=None):
        self.calls, self.fail_on_call = 0, fail_on_call

    def __call__(self, images):
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("estimator crashed")
        yaw = 2.0 * images[..., 0].mean(axis=(1, 2)) - 1.0
        return np.stack([np.zeros_like(yaw), yaw], -1)


def _filter(source, out, estimate, **kwargs):
    return gaze_filter.filter_dataset(source, estimate, out, min_abs_yaw=0.4, estimator="stub",
                                      preprocess="official", progress=False, **kwargs)


def _check_kept(out, summary):
    assert summary.records == {"train": len(KEPT_AT_0_4)}
    config = summary.dataset_dir.parent.name
    assert config == "r8_official_yaw0p4"
    train = tfds.data_source(f"{gaze_filter.NAME}/{config}", split="train", data_dir=str(out))
    assert len(train) == len(KEPT_AT_0_4)
    for i, k in enumerate(KEPT_AT_0_4):
        np.testing.assert_array_equal(train[i]["image"], _image(k))
        np.testing.assert_allclose(train[i]["camera"], _label(k))  # the label travels with its image
        assert train[i]["identity"] == i


def test_keeps_exactly_the_large_yaw_images_and_writes_every_estimate(tmp_path):
    source = write_folder(tmp_path / "ffhq")
    stub = StubEstimator()
    summary, table = _filter(source, tmp_path / "out", stub, batch=4)
    assert stub.calls == 2  # 6 images in batches of 4, the last one padded
    _check_kept(tmp_path / "out", summary)
    assert table == tmp_path / "out" / gaze_filter.NAME / "r8_official_yaw0p4_estimates.csv"
    rows = list(csv.DictReader(table.open()))
    assert [r["name"] for r in rows] == [_name(k) for k in range(len(REDS))]
    np.testing.assert_allclose([float(r["yaw"]) for r in rows], [2 * r / 255 - 1 for r in REDS], atol=1e-5)
    assert [int(r["kept"]) for r in rows] == [int(k in KEPT_AT_0_4) for k in range(len(REDS))]
    assert [r["record"] for r in rows if r["record"]] == ["00000000", "00000001", "00000002"]
    assert not (tmp_path / "out" / ".work" / gaze_filter.NAME / "r8_official_yaw0p4").exists()


def test_kept_is_strictly_above_the_threshold():
    gaze = np.array([[0.3, 0.4], [0.0, -0.41], [0.9, 0.1]])
    np.testing.assert_array_equal(gaze_filter.kept(gaze, 0.4), [False, True, False])


def test_rerun_after_a_crash_resumes_estimates_and_conversion(tmp_path, monkeypatch):
    source, out = write_folder(tmp_path / "ffhq"), tmp_path / "out"
    with pytest.raises(RuntimeError, match="estimator crashed"):
        _filter(source, out, StubEstimator(fail_on_call=3), batch=2, chunk=2)

    # chunks 0-1 and 2-3 are cached: only images 4 and 5 are estimated again; then the converter
    # (one kept image per unit) dies on its second unit
    monkeypatch.setattr(ffhq_eg3d, "UNIT_SIZE", 1)
    read_unit = ffhq_eg3d.read_unit

    def dying_read_unit(unit):
        if unit.args[1] == 1:
            raise OSError("disk went away")
        yield from read_unit(unit)

    monkeypatch.setattr(ffhq_eg3d, "read_unit", dying_read_unit)
    stub = StubEstimator()
    with pytest.raises(DataError, match="disk went away"):
        _filter(source, out, stub, batch=2, chunk=2)
    assert stub.calls == 1

    monkeypatch.setattr(ffhq_eg3d, "read_unit", read_unit)
    stub = StubEstimator()
    summary, _ = _filter(source, out, stub, batch=2, chunk=2)
    assert stub.calls == 0
    assert summary.resumed_units == 1
    _check_kept(out, summary)


def test_work_dir_of_another_estimator_is_refused(tmp_path):
    source, out = write_folder(tmp_path / "ffhq"), tmp_path / "out"
    with pytest.raises(RuntimeError):
        _filter(source, out, StubEstimator(fail_on_call=2), batch=2, chunk=2)
    with pytest.raises(DataError, match="work dir of a run with other settings"):
        gaze_filter.filter_dataset(source, StubEstimator(), out, min_abs_yaw=0.4, estimator="other",
                                   preprocess="official", batch=2, chunk=2, progress=False)


def test_nothing_kept_is_one_line(tmp_path):
    source = write_folder(tmp_path / "ffhq")
    with pytest.raises(DataError, match=r"no image has an estimated \|yaw\| above 1.5 rad \(largest 1.000\)"):
        gaze_filter.filter_dataset(source, StubEstimator(), tmp_path / "out", min_abs_yaw=1.5, estimator="stub",
                                   preprocess="official", progress=False)


def test_official_preprocess_is_the_whole_image_at_448():
    info = {"input_size": 64, "crop": [0.1, 0.1, 0.8], "antialias": True, "network": "l2cs"}
    official = gaze_filter.estimator_info(info, "official")
    assert (official["crop"], official["input_size"], official["antialias"]) == (None, 448, False)
    assert gaze_filter.estimator_info(info, "crop") == info


def _script():
    path = pathlib.Path(__file__).resolve().parents[1] / "data_prep" / "eg3d_gaze_filter.py"
    spec = importlib.util.spec_from_file_location("eg3d_gaze_filter_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_script_with_a_random_judge_keeps_what_the_judge_says(tmp_path, capsys):
    source = write_folder(tmp_path / "ffhq")
    judge = save_random_judge(tmp_path / "judge", input_size=32, crop=(0.125, 0.125, 0.75))
    estimate, _ = load_gaze_estimator(judge)
    images = np.stack([_image(k) for k in range(len(REDS))]).astype(np.float32) / 255
    abs_yaw = np.abs(np.asarray(estimate(images)["gaze"])[:, 1])
    ordered = np.sort(abs_yaw)
    threshold = float((ordered[2] + ordered[3]) / 2)  # keeps the three largest
    want = [k for k in range(len(REDS)) if abs_yaw[k] > threshold]
    assert len(want) == 3

    argv = ["--source", str(source), "--estimator", judge, "--min-abs-yaw", str(threshold),
            "--preprocess", "crop", "--batch", "4", "--out", str(tmp_path / "out"), "--workers", "0"]
    assert _script().main(argv) == 0
    printed = capsys.readouterr().out
    assert "3 train" in printed
    config = f"r8_crop_yaw{threshold:g}".replace(".", "p")
    assert f'data.builder="tfds:{gaze_filter.NAME}/{config}"' in printed
    train = tfds.data_source(f"{gaze_filter.NAME}/{config}", split="train", data_dir=str(tmp_path / "out"))
    for i, k in enumerate(want):
        np.testing.assert_array_equal(train[i]["image"], _image(k))
        np.testing.assert_allclose(train[i]["camera"], _label(k))
    rows = list(csv.DictReader((tmp_path / "out" / gaze_filter.NAME / f"{config}_estimates.csv").open()))
    np.testing.assert_allclose([abs(float(r["yaw"])) for r in rows], abs_yaw, atol=1e-5)


@pytest.mark.parametrize("case, message", [
    ("label", "dataset.json: the label of 00000/img00000001.png is not 25 numbers"),
    ("estimator", "not a gaze estimator"),
])
def test_script_reports_bad_input_in_one_line(tmp_path, capsys, case, message):
    labels = [_label(0).tolist(), _label(1).tolist()[:24]] if case == "label" else None
    source = write_folder(tmp_path / "ffhq", count=2, labels=labels)
    judge = tmp_path / "not_an_estimator"
    judge.mkdir()
    if case == "label":
        save_random_judge(judge, input_size=16)
    argv = ["--source", str(source), "--estimator", str(judge), "--out", str(tmp_path / "out"), "--workers", "0"]
    assert _script().main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("eg3d_gaze_filter: error: ") and message in err
    assert "\n" not in err
    assert not (tmp_path / "out").exists()
