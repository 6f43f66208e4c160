"""The GazeNeRF h5 reader on small files written here in the reference layout."""

import pickle

import h5py
import numpy as np
import pytest

from gazejax.data.gazenerf_h5 import GazeNeRFH5Source, erode
from gazejax.geometry import to_gazenerf

N, R = 3, 12


def write_subject(path, seed, drop=()):
    rng = np.random.default_rng(seed)
    data = {
        "face_patch": rng.integers(0, 256, (N, R, R, 3), dtype=np.uint8),
        "head_mask": np.zeros((N, R, R), np.uint8),
        "left_eye_mask": np.zeros((N, R, R), np.uint8),
        "right_eye_mask": np.zeros((N, R, R), np.uint8),
        "facial_landmarks": rng.uniform(0, R, (N, 68, 2)).astype(np.float32),
        "cam_index": np.arange(N, dtype=np.uint8)[:, None] + 5,
        "frame_index": np.full((N, 1), 7, np.uint8),
        "latent_codes": rng.normal(size=(N, 306)).astype(np.float32),
        "w2c_Rmat": np.tile(np.diag([1.0, -1, -1]), (N, 1, 1)).astype(np.float32),
        "c2w_Rmat": np.tile(np.diag([1.0, -1, -1]), (N, 1, 1)).astype(np.float32),
        "inmat": np.tile([[1039.36, 0, 256], [0, 1039.36, 256], [0, 0, 1]], (N, 1, 1)).astype(np.float32),
        "inv_inmat": np.tile(np.eye(3), (N, 1, 1)).astype(np.float32),
        "w2c_Tvec": rng.normal(size=(N, 3)).astype(np.float32),
        "c2w_Tvec": rng.normal(size=(N, 3)).astype(np.float32),
        "pitchyaw_head": rng.uniform(-0.5, 0.5, (N, 2)).astype(np.float32),
        "pitchyaw_3d": np.zeros((N, 3), np.float32),
        "face_head_pose": np.zeros((N, 2), np.float32),
        "pitchyaw": np.zeros((N, 2), np.float32),
    }
    data["head_mask"][:, 2:10, 2:10] = 255
    data["left_eye_mask"][:, 4:6, 7:9] = 255
    with h5py.File(path, "w") as f:
        for key, value in data.items():
            if key not in drop:
                f.create_dataset(key, data=value, compression="lzf" if key == "face_patch" else None)
    return data


def test_reads_records_in_our_conventions(tmp_path):
    a = write_subject(tmp_path / "xgaze_subject0000.h5", 0)
    b = write_subject(tmp_path / "xgaze_subject0003.h5", 1)
    fixed_expr = np.arange(79, dtype=np.float32)
    source = GazeNeRFH5Source(sorted(tmp_path.glob("*.h5")), expression=fixed_expr)
    assert len(source) == 2 * N
    rec = source[N + 2]  # second subject, third image
    np.testing.assert_array_equal(rec["image"], b["face_patch"][2][..., ::-1])  # BGR -> RGB
    assert rec["identity"] == 1 and rec["view"] == 7 and rec["frame"] == 7
    # Identity/texture from the subject's first image, illumination from this one.
    np.testing.assert_array_equal(rec["shape_code"], b["latent_codes"][0, :100])
    np.testing.assert_array_equal(rec["texture_code"], b["latent_codes"][0, 179:279])
    np.testing.assert_array_equal(rec["illumination_code"], b["latent_codes"][2, 279:])
    np.testing.assert_array_equal(rec["expression_code"], fixed_expr)
    np.testing.assert_allclose(to_gazenerf(rec["gaze_head"]), b["pitchyaw_head"][2], atol=1e-7)
    np.testing.assert_array_equal(rec["c2w_translation"], b["c2w_Tvec"][2])
    np.testing.assert_array_equal(rec["intrinsics"], b["inmat"][2])
    # Masks in {0, 1}; the 8x8 head square eroded twice -> 4x4.
    assert rec["face_mask"].sum() == 16 and rec["face_mask"][4:8, 4:8].all()
    assert rec["left_eye_mask"].sum() == 4 and rec["left_eye_mask"].max() == 1
    assert source[0]["identity"] == 0
    np.testing.assert_array_equal(source[0]["expression_code"], fixed_expr)
    np.testing.assert_array_equal(GazeNeRFH5Source([tmp_path / "xgaze_subject0000.h5"])[1]["expression_code"],
                                  a["latent_codes"][0, 100:179])
    clone = pickle.loads(pickle.dumps(source))  # grain workers get pickled sources
    np.testing.assert_array_equal(clone[4]["image"], rec_image(source, 4))


def rec_image(source, i):
    return source[i]["image"]


def test_erosion_keeps_the_image_border():
    mask = np.ones((5, 5))
    assert erode(mask, 2).all()
    mask[2, 2] = 0
    assert erode(mask, 1).sum() == 25 - 9


def test_bad_files_give_one_line_errors(tmp_path):
    write_subject(tmp_path / "s.h5", 0, drop=("inmat",))
    with pytest.raises(ValueError, match="missing inmat"):
        GazeNeRFH5Source([tmp_path / "s.h5"])
    with pytest.raises(ValueError, match="no such GazeNeRF h5 file"):
        GazeNeRFH5Source([tmp_path / "nothing.h5"])
