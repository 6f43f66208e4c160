"""ColumbiaGaze eye patches: enclosing circle, PRGAN crop rule, labels, split, data_prep script."""

import importlib.util
import json
import math
import pathlib

import numpy as np
import pytest
from PIL import Image

from gazejax.data import columbia

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_enclosing_circle_known_cases():
    square = [(0, 0), (2, 0), (2, 2), (0, 2), (1, 1), (1.5, 0.5)]
    centre, radius = columbia.enclosing_circle(square)
    np.testing.assert_allclose(centre, (1, 1), atol=1e-9)
    np.testing.assert_allclose(radius, math.sqrt(2), atol=1e-9)
    # an acute triangle: the circumcircle of all three
    centre, radius = columbia.enclosing_circle([(0, 0), (4, 0), (2, 3)])
    np.testing.assert_allclose(centre, (2, 5 / 6), atol=1e-9)
    np.testing.assert_allclose(radius, math.hypot(2, 5 / 6), atol=1e-9)
    # an obtuse triangle: the diameter of the longest side
    centre, radius = columbia.enclosing_circle([(0, 0), (10, 0), (5, 1)])
    np.testing.assert_allclose(centre, (5, 0), atol=1e-9)
    np.testing.assert_allclose(radius, 5, atol=1e-9)


def _eye_landmarks(cx, cy, half_width=10.0):
    """dlib's 6 eye points: two corners, two upper and two lower lid points."""
    return np.array([(cx - half_width, cy), (cx - 3, cy - 4), (cx + 3, cy - 4),
                     (cx + half_width, cy), (cx + 3, cy + 4), (cx - 3, cy + 4)])


def _face(left_eye_centre, right_eye_centre):
    """A 160x200 grey image with a red square at the subject's left eye (image right)
    whose left half is blue, and a green square at the right eye; + 68 landmarks."""
    image = np.full((160, 200, 3), 128, np.uint8)
    (lx, ly), (rx, ry) = left_eye_centre, right_eye_centre
    image[ly - 5:ly + 5, lx - 5:lx + 5] = (255, 0, 0)
    image[ly - 5:ly + 5, lx - 5:lx] = (0, 0, 255)
    image[ry - 5:ry + 5, rx - 5:rx + 5] = (0, 255, 0)
    landmarks = np.zeros((68, 2))
    landmarks[36:42] = _eye_landmarks(rx, ry)
    landmarks[42:48] = _eye_landmarks(lx, ly)
    return image, landmarks


def test_patch_record_crops_each_eye_mirrors_the_right_and_labels_it():
    image, landmarks = _face((130, 70), (70, 70))
    record = columbia.patch_record("0007_2m_15P_-10V_5H.jpg", image, landmarks)
    left, right = record["left_eye_patch"], record["right_eye_patch"]
    assert left.shape == right.shape == (64, 64, 3) and left.dtype == np.uint8
    # enclosing circle radius 10 -> r = 17, side 35: the 10-px square spans ~18 px at the centre
    np.testing.assert_array_equal(left[32, 35], (255, 0, 0))
    np.testing.assert_array_equal(left[32, 26], (0, 0, 255))
    np.testing.assert_array_equal(left[2, 2], (128, 128, 128))
    np.testing.assert_array_equal(right[32, 32], (0, 255, 0))
    # mirroring: the right patch is the flipped crop
    unflipped = columbia.crop_eye(image, landmarks[36:42])
    np.testing.assert_array_equal(right, unflipped[:, ::-1])
    # labels: gaze (V, P - H) via the geometry parser; right patch negates yaw
    np.testing.assert_allclose(record["left_eye_patch_gaze"], np.radians([-10, 10]), rtol=1e-6)
    np.testing.assert_allclose(record["right_eye_patch_gaze"], np.radians([-10, -10]), rtol=1e-6)
    np.testing.assert_allclose(record["head_pose"], np.radians([0, 15]), rtol=1e-6)
    assert (record["identity"], record["view"]) == (7, 3)
    assert record["frame"] == 0 * 7 + 4  # V=-10 -> row 0, H=5 -> column 4


def test_crop_near_the_border_replicates_edge_pixels():
    image, landmarks = _face((190, 8), (70, 70))
    patch = columbia.crop_eye(image, landmarks[42:48])
    assert patch.shape == (64, 64, 3)


def test_split_and_bad_inputs():
    assert columbia.split_of(50) == "train" and columbia.split_of(51) == "test"
    with pytest.raises(ValueError, match="outside 1-56"):
        columbia.split_of(57)
    with pytest.raises(ValueError, match="68"):
        columbia.patch_record("0001_2m_0P_0V_0H.jpg", np.zeros((10, 10, 3), np.uint8), np.zeros((5, 2)))


def _load_prep_script():
    spec = importlib.util.spec_from_file_location("columbia_prep", ROOT / "data_prep" / "columbia.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_data_prep_script_writes_splits_that_make_source_reads(tmp_path, capsys):
    raw = tmp_path / "raw" / "0001"
    raw.mkdir(parents=True)
    landmarks = {}
    names = ["0001_2m_0P_0V_0H.jpg", "0001_2m_0P_10V_-5H.jpg", "0052_2m_-30P_0V_15H.jpg",
             "0003_2m_15P_0V_0H.jpg"]
    for name in names:
        image, lm = _face((130, 70), (70, 70))
        Image.fromarray(image).save(raw / name, quality=95)
        if not name.startswith("0003"):
            landmarks[name] = lm.tolist()
    (tmp_path / "lm.json").write_text(json.dumps(landmarks))
    out = tmp_path / "data" / "columbia"
    prep = _load_prep_script()
    assert prep.main(["--images", str(tmp_path / "raw"), "--landmarks", str(tmp_path / "lm.json"),
                      "--out", str(out)]) == 0
    assert "2 train, 1 test images (1 skipped" in capsys.readouterr().out

    train = columbia.make_source(None, "train", tmp_path / "data")
    test = columbia.make_source(None, "test", tmp_path / "data")
    assert len(train) == 2 and len(test) == 1
    assert int(test[0]["identity"]) == 52 and int(test[0]["view"]) == 0
    assert set(train[1]) == set(columbia.KEYS)
    assert train[0]["left_eye_patch"].shape == (64, 64, 3)

    with pytest.raises(ValueError, match="data_prep/columbia.py"):
        columbia.make_source(None, "train", tmp_path / "nowhere")
    assert prep.main(["--images", str(tmp_path / "nowhere"), "--landmarks",
                      str(tmp_path / "lm.json")]) == 2
    assert "no ColumbiaGaze images" in capsys.readouterr().err
