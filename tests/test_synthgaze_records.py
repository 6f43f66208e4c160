"""SynthGaze records: schema, ranges, and determinism per seed."""

import numpy as np
import pytest

from gazejax.data import synthgaze
from gazejax.data.synthgaze import anatomy

R = 64
IDS = dict(identities=[0, 1, 2, 3], frames=[0, 1, 0, 1], views=[0, 0, 1, 1])


@pytest.fixture(scope="module")
def batch():
    return synthgaze.records(0, **IDS, resolution=R)


def test_schema_shapes_dtypes_and_ranges(batch):
    b, p = 4, anatomy.EYE_PATCH_SIZE
    expected = {
        "image": ((b, R, R, 3), np.uint8),
        "face_mask": ((b, R, R), np.uint8),
        "left_eye_mask": ((b, R, R), np.uint8),
        "right_eye_mask": ((b, R, R), np.uint8),
        "depth": ((b, R, R), np.float32),
        "gaze": ((b, 2), np.float32),
        "gaze_head": ((b, 2), np.float32),
        "head_pose": ((b, 2), np.float32),
        "head_rotation": ((b, 3, 3), np.float32),
        "camera": ((b, 25), np.float32),
        "identity": ((b,), np.int32),
        "frame": ((b,), np.int32),
        "view": ((b,), np.int32),
        "shape_code": ((b, synthgaze.SHAPE_DIM), np.float32),
        "texture_code": ((b, synthgaze.TEXTURE_DIM), np.float32),
        "illumination_code": ((b, synthgaze.ILLUMINATION_DIM), np.float32),
        "expression_code": ((b, synthgaze.EXPRESSION_DIM), np.float32),
        "left_eye_patch": ((b, p, p, 3), np.uint8),
        "right_eye_patch": ((b, p, p, 3), np.uint8),
        "left_eye_patch_gaze": ((b, 2), np.float32),
        "right_eye_patch_gaze": ((b, 2), np.float32),
        "iris_mask": ((b, R, R), np.uint8),
    }
    assert set(batch) == set(expected)
    for key, (shape, dtype) in expected.items():
        assert batch[key].shape == shape and batch[key].dtype == dtype, key
    for key in ("face_mask", "left_eye_mask", "right_eye_mask"):
        assert set(np.unique(batch[key])) <= {0, 1}
    np.testing.assert_array_equal(batch["identity"], IDS["identities"])
    np.testing.assert_array_equal(batch["view"], IDS["views"])
    limits = [anatomy.GAZE_PITCH_MAX, anatomy.GAZE_YAW_MAX]
    assert np.all(np.abs(batch["gaze_head"]) <= limits)
    rot = batch["head_rotation"]
    identity = np.broadcast_to(np.eye(3), rot.shape)
    np.testing.assert_allclose(rot @ rot.transpose(0, 2, 1), identity, atol=1e-5)
    # Per-identity codes are shared by an identity's frames; illumination is per frame.
    again = synthgaze.records(0, [1, 1, 1, 1], [0, 0, 5, 5], [0, 3, 0, 3], R)
    assert np.all(again["shape_code"] == batch["shape_code"][1])
    assert np.all(again["illumination_code"][0] == again["illumination_code"][1])
    assert np.any(again["illumination_code"][0] != again["illumination_code"][2])
    assert np.any(again["camera"][0] != again["camera"][1])


def test_same_seed_gives_identical_bytes_in_any_batch(batch):
    # The same records, in reverse order and so beside different neighbours.
    flipped = synthgaze.records(0, *(v[::-1] for v in IDS.values()), resolution=R)
    for key, value in batch.items():
        assert value.tobytes() == flipped[key][::-1].tobytes(), key
    other_seed = synthgaze.records(1, **IDS, resolution=R)
    assert other_seed["image"].tobytes() != batch["image"].tobytes()


@pytest.mark.parametrize("resolution", [30, 520, 24, 64.0])
def test_bad_resolution_is_a_one_line_error(resolution):
    with pytest.raises(ValueError, match="multiple of 8 in 32..512"):
        synthgaze.records(0, [0], [0], [0], resolution)


def test_bad_ids_are_reported():
    with pytest.raises(ValueError, match="non-negative integers"):
        synthgaze.records(0, [-1], [0], [0], R)
    with pytest.raises(ValueError, match="same length"):
        synthgaze.records(0, [0, 1], [0], [0], R)


def test_a_view_is_the_same_camera_in_every_frame():
    # Like a fixed camera rig: same-view redirection pairs share the camera,
    # while gaze changes from frame to frame and views differ from each other.
    labels = synthgaze.record_labels(0, identities=[3, 3, 3, 3], frames=[0, 5, 0, 5], views=[1, 1, 2, 2])
    np.testing.assert_array_equal(labels["camera"][0], labels["camera"][1])
    np.testing.assert_array_equal(labels["camera"][2], labels["camera"][3])
    assert not np.allclose(labels["camera"][0], labels["camera"][2])
    assert not np.allclose(labels["gaze_head"][0], labels["gaze_head"][1])


def test_one_light_changes_only_the_gaze_between_frames():
    ids, frames, views = np.array([2, 2]), np.array([0, 5]), np.array([1, 1])
    lit = synthgaze.records(0, ids, frames, views, 32, one_light=True)
    np.testing.assert_array_equal(lit["illumination_code"][0], lit["illumination_code"][1])
    assert np.abs(lit["gaze_head"][0] - lit["gaze_head"][1]).max() > 1e-3
    per_frame = synthgaze.records(0, ids, frames, views, 32)
    assert np.abs(per_frame["illumination_code"][0] - per_frame["illumination_code"][1]).max() > 1e-3
    # frame 0 is lit the same either way, and the gazes do not depend on the lighting
    np.testing.assert_array_equal(lit["image"][0], per_frame["image"][0])
    np.testing.assert_array_equal(lit["gaze_head"], per_frame["gaze_head"])


def test_one_light_builds_are_named_apart():
    from gazejax.data import synthgaze_tfds

    name = synthgaze_tfds.custom_name(64, 10, 4, 2, 2, 0, one_light=True)
    assert name == "r64_i10_f4_v2_t2_s0_onelight"
    assert synthgaze_tfds.config_for_name(name).one_light
    assert not synthgaze_tfds.config_for_name(name.removesuffix("_onelight")).one_light
