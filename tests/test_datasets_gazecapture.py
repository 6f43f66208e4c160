"""GazeCapture: session folders written here in the published per-session JSON layout."""

import json

import numpy as np
import pytest
from PIL import Image

from gazejax.data import gazecapture
from gazejax.data.conversion import DataError

FRAME_W, FRAME_H = 16, 12


def frame_image(session, k):
    rng = np.random.default_rng([session, k])
    return rng.integers(0, 256, (FRAME_H, FRAME_W, 3), dtype=np.uint8)


def write_session(root, session, split, frame_numbers=(0, 1, 5), screen_scalar=False):
    """One session folder: frames/NNNNN.jpg plus the JSON files, per-frame dicts of arrays.

    Frame 1 has no right-eye detection; frame 5's face box runs past the frame's right edge.
    Frames are stored losslessly (PNG bytes under the .jpg name; PIL reads by content).
    """
    d = root / f"{session:05d}"
    (d / "frames").mkdir(parents=True)
    names = [f"{k:05d}.jpg" for k in frame_numbers]
    for k, name in zip(frame_numbers, names):
        Image.fromarray(frame_image(session, k)).save(d / "frames" / name, format="png")
    files = {
        "frames": names,
        "info": {"TotalFrames": 3, "NumFaceDetections": 3, "NumEyeDetections": 2, "Dataset": split,
                 "DeviceName": "iPhone 6"},
        "appleFace": {"X": [2, 4, 10], "Y": [1, 0, 2], "W": [8, 8, 8], "H": [8, 8, 8], "IsValid": [1, 1, 1]},
        "appleLeftEye": {"X": [4, 4, 4], "Y": [2, 2, 2], "W": [2, 2, 2], "H": [2, 2, 2], "IsValid": [1, 1, 1]},
        "appleRightEye": {"X": [1, 1, 1], "Y": [2, 2, 2], "W": [2, 2, 2], "H": [2, 2, 2], "IsValid": [1, 0, 1]},
        "faceGrid": {"X": [5, 6, 13], "Y": [3, 1, 4], "W": [13, 13, 13], "H": [13, 13, 13], "IsValid": [1, 0, 1]},
        "dotInfo": {"DotNum": [0, 0, 1], "XPts": [160, 160, 40], "YPts": [284, 284, 40],
                    "XCam": [1.5, 1.5, -2.25], "YCam": [-5.0, -5.0, -0.75], "Time": [0.5, 0.6, 0.1]},
        "screen": {"H": 568, "W": 320, "Orientation": 1} if screen_scalar else
                  {"H": [568] * 3, "W": [320] * 3, "Orientation": [1, 1, 3]},
        "motion": [],
    }
    for name, content in files.items():
        (d / f"{name}.json").write_text(json.dumps(content))
    return d


def test_read_session(tmp_path):
    d = write_session(tmp_path, 1234, "val")
    s = gazecapture.read_session(d)
    assert (s["session"], s["split"]) == (1234, "val")
    np.testing.assert_array_equal(s["frame_index"], [0, 1, 5])
    np.testing.assert_array_equal(s["valid"], [True, False, True])
    np.testing.assert_array_equal(s["face_box"][0], [2, 1, 8, 8])
    # eye boxes are relative to the face box: left eye of frame 0 at (2 + 4, 1 + 2)
    np.testing.assert_array_equal(s["left_eye_box"][0], [6, 3, 2, 2])
    np.testing.assert_array_equal(s["right_eye_box"][2], [11, 4, 2, 2])
    np.testing.assert_array_equal(s["face_grid"][0], [4, 2, 13, 13])  # 1-based cells -> 0-based
    np.testing.assert_array_equal(s["dot"], [0, 0, 1])
    np.testing.assert_array_equal(s["gaze_target_cm"], [[1.5, -5.0], [1.5, -5.0], [-2.25, -0.75]])
    np.testing.assert_array_equal(s["orientation"], [1, 1, 3])
    scalar = gazecapture.read_session(write_session(tmp_path / "b", 7, "test", screen_scalar=True))
    np.testing.assert_array_equal(scalar["orientation"], [1, 1, 1])


def test_record_crops_the_face_box(tmp_path):
    d = write_session(tmp_path, 3, "train")
    s = gazecapture.read_session(d)
    r = gazecapture.record(d, s, 0, 8)  # 8x8 box resized to 8x8: the crop itself
    np.testing.assert_array_equal(r["image"], frame_image(3, 0)[1:9, 2:10])
    np.testing.assert_allclose(r["left_eye_box"], [4 / 8, 2 / 8, 2 / 8, 2 / 8])
    np.testing.assert_allclose(r["right_eye_box"], [1 / 8, 2 / 8, 2 / 8, 2 / 8])
    np.testing.assert_array_equal(r["gaze_target_cm"], [1.5, -5.0])
    assert (r["identity"], r["frame"], r["view"], r["frame_index"], r["orientation"]) == (3, 0, 0, 0, 1)
    # frame 5: box x 10..18 on a 16-wide frame: the last two columns are zero padding
    r = gazecapture.record(d, s, 2, 8)
    np.testing.assert_array_equal(r["image"][:, :6], frame_image(3, 5)[2:10, 10:16])
    assert np.all(r["image"][:, 6:] == 0)
    assert (r["frame"], r["frame_index"]) == (1, 5)


def test_bad_input_names_the_file(tmp_path):
    d = write_session(tmp_path, 1, "train")
    (d / "dotInfo.json").unlink()
    with pytest.raises(DataError, match="00001/dotInfo.json: missing"):
        gazecapture.read_session(d)

    d = write_session(tmp_path, 2, "holdout")
    with pytest.raises(DataError, match="00002/info.json: Dataset is 'holdout'"):
        gazecapture.read_session(d)

    d = write_session(tmp_path, 3, "train")
    face = json.loads((d / "appleFace.json").read_text())
    face["W"] = face["W"][:2]
    (d / "appleFace.json").write_text(json.dumps(face))
    with pytest.raises(DataError, match="appleFace.json: 'W' has 2 entries, frames.json lists 3"):
        gazecapture.read_session(d)

    d = write_session(tmp_path, 4, "train")
    dots = json.loads((d / "dotInfo.json").read_text())
    dots["XCam"][0] = None
    (d / "dotInfo.json").write_text(json.dumps(dots))
    with pytest.raises(DataError, match="dotInfo.json: XCam/YCam not finite"):
        gazecapture.read_session(d)

    d = write_session(tmp_path, 5, "train")
    frame = d / "frames" / "00000.jpg"
    frame.write_bytes(frame.read_bytes()[:30])
    with pytest.raises(DataError, match="00005/frames/00000.jpg: not a readable image") as info:
        gazecapture.record(d, gazecapture.read_session(d), 0, 8)
    assert "\n" not in str(info.value)


def _read_back(out_dir, name, split):
    import tensorflow_datasets as tfds

    return tfds.data_source(name, split=split, data_dir=str(out_dir))


def test_convert_and_read_back(tmp_path):
    from gazejax.data import conversion

    raw = tmp_path / "GazeCapture"
    write_session(raw, 12, "train")
    write_session(raw, 3, "train", frame_numbers=(2, 3, 4))
    write_session(raw, 40, "val")
    write_session(raw, 41, "test")
    (raw / "README.md").write_text("not a session")
    converter = gazecapture.converter(raw, 8)
    assert [u.key for u in converter.units] == ["train/00003", "train/00012", "val/00040", "test/00041"]
    summary = conversion.convert(converter, tmp_path / "out", workers=0, progress=False)
    assert summary.records == {"train": 4, "val": 2, "test": 2}
    assert sorted(p for p, _ in summary.skipped) == sorted(
        str(raw / f"{s:05d}" / "frames" / n) for s, n in
        ((12, "00001.jpg"), (3, "00003.jpg"), (40, "00001.jpg"), (41, "00001.jpg")))
    train = _read_back(tmp_path / "out", "gazecapture/face8", "train")
    assert len(train) == 4
    first, last = train[0], train[3]
    # records in session order, then frame order: session 3 frame 2 first, session 12 frame 5 last
    assert (first["identity"], first["frame_index"], first["frame"]) == (3, 2, 0)
    np.testing.assert_array_equal(first["image"], frame_image(3, 2)[1:9, 2:10])
    np.testing.assert_allclose(first["gaze_target_cm"], [1.5, -5.0])
    assert (last["identity"], last["frame_index"], last["frame"]) == (12, 5, 1)
    np.testing.assert_allclose(last["gaze_target_cm"], [-2.25, -0.75])
    np.testing.assert_array_equal(last["face_grid"], [12, 3, 13, 13])
    test = _read_back(tmp_path / "out", "gazecapture/face8", "test")
    assert {int(r["identity"]) for r in test} == {41}


def test_script_reports_bad_input_in_one_line(tmp_path, capsys):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "data_prep" / "gazecapture.py"
    spec = importlib.util.spec_from_file_location("gazecapture_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    d = write_session(tmp_path / "raw", 1, "train")
    dots = json.loads((d / "dotInfo.json").read_text())
    dots["XCam"][2] = 900.0  # 9 m from the camera: not a screen position
    (d / "dotInfo.json").write_text(json.dumps(dots))
    assert script.main(["--root", str(tmp_path / "raw"), "--out", str(tmp_path / "out"), "--workers", "0",
                        "--resolution", "8"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress bar
    assert err == (f"gazecapture: error: {d / 'dotInfo.json'}: XCam/YCam [900.0, -0.75] of frame "
                   "00005.jpg more than 50 cm from the camera")
    assert not (tmp_path / "out" / "gazecapture" / "face8").exists()


def test_rerun_after_a_failure_resumes_and_matches_an_uninterrupted_run(tmp_path):
    from gazejax.data import conversion

    raw = tmp_path / "raw"
    for session, split in ((1, "train"), (2, "train"), (3, "test")):
        write_session(raw, session, split)
    conversion.convert(gazecapture.converter(raw, 8), tmp_path / "whole", workers=0, progress=False)

    frame = raw / "00002" / "frames" / "00005.jpg"
    good = frame.read_bytes()
    frame.write_bytes(good[:30])  # truncated: session 2 fails after session 1 was cached
    with pytest.raises(DataError, match="00002/frames/00005.jpg: not a readable image"):
        conversion.convert(gazecapture.converter(raw, 8), tmp_path / "resumed", workers=0, progress=False)
    assert not (tmp_path / "resumed" / "gazecapture").exists()  # nothing half-written
    frame.write_bytes(good)
    summary = conversion.convert(gazecapture.converter(raw, 8), tmp_path / "resumed", workers=0, progress=False)
    assert summary.resumed_units == 1
    for split in ("train", "test"):
        whole, resumed = (_read_back(tmp_path / d, "gazecapture/face8", split) for d in ("whole", "resumed"))
        assert len(whole) == len(resumed) > 0
        for a, b in zip(whole, resumed):
            for key in a:
                np.testing.assert_array_equal(a[key], b[key])
