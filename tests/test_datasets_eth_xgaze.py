"""ETH-XGaze converters on small files written here in the published layouts (224 h5 release, raw release)."""

import dataclasses
import importlib.util
import json
import math
import pathlib

import h5py
import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from gazejax.data import conversion, eth_xgaze, eth_xgaze_raw
from gazejax.geometry import camera_angles

ROOT = pathlib.Path(__file__).resolve().parents[1]
FRAMES, CAMS = (5, 9), (0, 1)


def _subject_h5(path, subject, labelled=True):
    """One subject file as the 224 release: 2 frames x 2 cameras, BGR patches with known pixels."""
    n = len(FRAMES) * len(CAMS)
    patch = np.zeros((n, 224, 224, 3), np.uint8)
    patch[..., 0] = (10 * subject + np.arange(n))[:, None, None]  # blue channel (BGR order)
    patch[..., 2] = 200
    gaze = np.stack([0.1 * np.arange(n) - 0.2, -0.3 + 0.05 * subject + 0 * np.arange(n)], 1)
    head = np.stack([np.zeros(n), np.full(n, 0.3)], 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("face_patch", data=patch, compression="lzf", chunks=(1, 224, 224, 3))
        if labelled:
            f.create_dataset("face_gaze", data=gaze.astype(np.float64))
        f.create_dataset("face_head_pose", data=head.astype(np.float64))
        f.create_dataset("face_mat_norm", data=np.tile(np.eye(3), (n, 1, 1)))
        f.create_dataset("frame_index", data=np.repeat(FRAMES, len(CAMS))[:, None].astype(np.int64))
        f.create_dataset("cam_index", data=np.tile(CAMS, len(FRAMES))[:, None].astype(np.int64))
    return gaze


@pytest.fixture
def release(tmp_path):
    root = tmp_path / "xgaze_224"
    gaze = {s: _subject_h5(root / "train" / f"subject{s:04d}.h5", s) for s in (0, 3)}
    gaze[12] = _subject_h5(root / "test" / f"subject{12:04d}.h5", 12)
    _subject_h5(root / "test" / "subject0001.h5", 1, labelled=False)
    (root / "train_test_split.json").write_text(json.dumps({
        "train": ["subject0000.h5", "subject0003.h5"], "test": ["subject0001.h5"],
        "test_specific": ["subject0012.h5"]}))
    return root, gaze


def _read(out, config, split):
    source = tfds.data_source(f"eth_xgaze/{config}", split=split, data_dir=str(out))
    return [source[i] for i in range(len(source))]


def test_normalized_release_labels_images_ids_and_splits(release, tmp_path):
    root, gaze = release
    summary = conversion.convert(eth_xgaze.converter(root), tmp_path / "out", progress=False)
    assert summary.records == {"train": 8, "person_specific": 4, "test": 4}
    train = _read(tmp_path / "out", "normalized224", "train")
    r = train[6]  # subject 3, frame 9, camera 0
    assert (int(r["identity"]), int(r["frame"]), int(r["view"])) == (3, 9, 0)
    assert r["image"].dtype == np.uint8 and r["image"].shape == (224, 224, 3)
    assert tuple(r["image"][5, 7]) == (200, 0, 32)  # BGR (32, 0, 200) -> RGB
    np.testing.assert_allclose(r["gaze"], [0.1 * 2 - 0.2, -0.3 + 0.15], atol=1e-7)
    np.testing.assert_allclose(r["head_pose"], [0.0, 0.3], atol=1e-7)
    # head yaw 0.3 in the normalized camera: the EG3D camera orbits to world +x by 0.3 rad
    expected_position = 2.7 * np.array([math.sin(0.3), 0.0, math.cos(0.3)])
    np.testing.assert_allclose(r["camera"].reshape(-1)[[3, 7, 11]], expected_position, atol=1e-5)
    np.testing.assert_allclose(camera_angles(r["camera"]), [0.3, 0.0], atol=1e-5)
    assert r["camera"][16] == pytest.approx(960 / 224)
    specific = _read(tmp_path / "out", "normalized224", "person_specific")
    assert {int(x["identity"]) for x in specific} == {12}
    np.testing.assert_allclose(specific[3]["gaze"], gaze[12][3], atol=1e-7)
    test = _read(tmp_path / "out", "normalized224", "test")
    assert all(np.isnan(x["gaze"]).all() for x in test)  # the benchmark withholds test labels


def test_frames_subset_keeps_first_frames_of_training_subjects(release, tmp_path):
    root, _ = release
    summary = conversion.convert(eth_xgaze.converter(root, frames=1), tmp_path / "out", progress=False)
    assert summary.records["train"] == 4 and summary.records["person_specific"] == 4
    train = _read(tmp_path / "out", "normalized224_f1", "train")
    assert [int(r["frame"]) for r in train] == [5, 5, 5, 5]


def test_h5_without_expected_keys_is_one_line_naming_it(release, tmp_path):
    root, _ = release
    path = root / "train" / "subject0003.h5"
    with h5py.File(path, "a") as f:
        del f["face_mat_norm"]
    with pytest.raises(conversion.DataError) as error:
        conversion.convert(eth_xgaze.converter(root), tmp_path / "out", progress=False)
    assert str(error.value) == f"{path}: not an ETH-XGaze h5 file: missing face_mat_norm"
    assert not (tmp_path / "out" / "eth_xgaze").exists()


def test_labels_out_of_range_name_the_file(release, tmp_path):
    root, _ = release
    path = root / "train" / "subject0000.h5"
    with h5py.File(path, "a") as f:
        f["face_gaze"][1] = [0.0, 7.0]
    with pytest.raises(conversion.DataError, match=f"^{path}: gaze value 7 outside"):
        conversion.convert(eth_xgaze.converter(root), tmp_path / "out", progress=False)


def test_missing_listed_file_is_reported(release, tmp_path):
    root, _ = release
    (root / "test" / "subject0001.h5").unlink()
    with pytest.raises(conversion.DataError, match=r"subject0001.h5: missing \(listed in"):
        eth_xgaze.converter(root)


# ---- raw release -------------------------------------------------------------------------------

PHOTO = 64  # photo side; with K = K_norm and the face at the normalization distance the warp is identity
FOCAL = 100.0
DISTANCE = 600.0
TARGET = (-60.0, -100.0, 0.0)  # gaze target (mm, camera frame); face centre at (0, 0, 600)


def _opencv_xml(path, matrix):
    rows, cols = matrix.shape
    data = " ".join(repr(float(v)) for v in matrix.ravel())
    path.write_text(f'<?xml version="1.0"?>\n<opencv_storage>\n<Camera_Matrix type_id="opencv-matrix">\n'
                    f"  <rows>{rows}</rows>\n  <cols>{cols}</cols>\n  <dt>d</dt>\n  <data>\n    {data}</data>"
                    f'</Camera_Matrix>\n<Distortion_Coefficients type_id="opencv-matrix">\n  <rows>1</rows>\n'
                    f"  <cols>5</cols>\n  <dt>d</dt>\n  <data>\n    0. 0. 0. 0. 0.</data></Distortion_Coefficients>\n"
                    "</opencv_storage>\n")


def _landmarks():
    """68 points: a face outline and two eyes (subject's right eye on the image left)."""
    lm = np.zeros((68, 2))
    t = np.linspace(0.0, np.pi, 17)
    lm[0:17] = np.stack([32 - 26 * np.cos(t), 30 + 28 * np.sin(t)], 1)  # jaw
    lm[17:27] = np.stack([np.linspace(8, 56, 10), np.full(10, 10.0)], 1)  # brows
    eye = np.array([[-6, 0], [-3, -3], [3, -3], [6, 0], [3, 3], [-3, 3]], float)
    lm[36:42] = eye + [20, 24]
    lm[42:48] = eye + [44, 24]
    lm[27:36] = [32, 34]
    lm[48:68] = [32, 46]
    return lm


def _raw_release(root, frames=("frame0002", "frame0007")):
    cal = root / "calibration" / "cam_calibration"
    cal.mkdir(parents=True)
    k = np.array([[FOCAL, 0, PHOTO / 2], [0, FOCAL, PHOTO / 2], [0, 0, 1]])
    for cam in range(18):
        _opencv_xml(cal / f"cam{cam:02d}.xml", k)
    np.savetxt(root / "calibration" / "face_model.txt", np.zeros((50, 3)))
    rows = []
    for frame in frames:
        folder = root / "data" / "train" / "subject0007" / frame
        folder.mkdir(parents=True)
        for cam in (0, 3):
            photo = np.full((PHOTO, PHOTO, 3), 40, np.uint8)
            photo[:16, :16] = (250, 10, 10)  # a red block in the top-left corner of the file
            Image.fromarray(photo).save(folder / f"cam{cam:02d}.JPG", quality=95)
            row = [frame, f"cam{cam:02d}.JPG", "0.5", "0.5", *TARGET, 0.0, 0.0, 0.0, 0.0, 0.0, DISTANCE]
            rows.append([str(v) for v in row] + [repr(float(v)) for v in _landmarks().ravel()])
    (root / "data" / "annotation_train").mkdir(parents=True)
    with open(root / "data" / "annotation_train" / "subject0007.csv", "w") as f:
        f.writelines(",".join(r) + "\n" for r in rows)
    return root


def _raw_converter(root, **kw):
    return eth_xgaze_raw.converter(root, size=PHOTO, focal=FOCAL, distance=DISTANCE, **kw)


def test_raw_release_renormalized_labels_by_hand(tmp_path):
    root = _raw_release(tmp_path / "xgaze")
    conversion.convert(_raw_converter(root), tmp_path / "out", workers=0, progress=False)
    records = _read(tmp_path / "out", "raw64_focal100_dist600", "train")
    assert [(int(r["identity"]), int(r["frame"]), int(r["view"])) for r in records] == [
        (7, 2, 0), (7, 2, 3), (7, 7, 0), (7, 7, 3)]
    d = np.array(TARGET) - [0.0, 0.0, DISTANCE]  # face centre -> target; R = I, head frontal
    expected = [math.asin(-d[1] / np.linalg.norm(d)), math.atan2(-d[0], -d[2])]
    for r in records:
        np.testing.assert_allclose(r["gaze"], expected, atol=1e-5)
        np.testing.assert_allclose(r["gaze_head"], expected, atol=1e-5)
        np.testing.assert_allclose(r["head_pose"], [0.0, 0.0], atol=1e-6)
        np.testing.assert_allclose(r["landmarks"], _landmarks(), atol=1e-3)  # identity warp
        # masks from the landmark polygons: the subject's left eye is on the image right
        assert r["left_eye_mask"][24, 44] == 1 and r["left_eye_mask"][24, 20] == 0
        assert r["right_eye_mask"][24, 20] == 1 and r["face_mask"][30, 32] == 1 and r["face_mask"][2, 2] == 0
        assert r["left_eye_patch"].shape == (64, 64, 3)
        np.testing.assert_allclose(r["right_eye_patch_gaze"], [expected[0], -expected[1]], atol=1e-5)
    cam0, cam3 = records[0]["image"].astype(int), records[1]["image"].astype(int)
    assert cam0[4, 4, 0] > 200 and cam0[-5, -5, 0] < 80  # as written
    assert cam3[-5, -5, 0] > 200 and cam3[4, 4, 0] < 80  # camera 3 is upside down: rotated 180 deg


def test_raw_missing_calibration_file_names_it(tmp_path):
    root = _raw_release(tmp_path / "xgaze")
    (root / "calibration" / "cam_calibration" / "cam05.xml").unlink()
    with pytest.raises(conversion.DataError) as error:
        _raw_converter(root)
    assert str(error.value) == f"{root / 'calibration' / 'cam_calibration' / 'cam05.xml'}: missing calibration file"


def test_raw_truncated_photo_names_it_and_writes_nothing(tmp_path):
    root = _raw_release(tmp_path / "xgaze")
    photo = root / "data" / "train" / "subject0007" / "frame0007" / "cam03.JPG"
    photo.write_bytes(photo.read_bytes()[:300])
    with pytest.raises(conversion.DataError, match=f"^{photo}: not a readable image"):
        conversion.convert(_raw_converter(root), tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "eth_xgaze").exists()


def test_data_prep_script_one_line_error_and_success(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("eth_xgaze_prep", ROOT / "data_prep" / "eth_xgaze.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    root = _raw_release(tmp_path / "xgaze", frames=("frame0002",))
    args = ["raw", "--root", str(root), "--size", "64", "--focal", "100", "--distance", "600",
            "--out", str(tmp_path / "out"), "--workers", "0"]
    assert script.main(args) == 0
    out = capsys.readouterr().out
    assert "2 train" in out and 'data.builder="tfds:eth_xgaze/raw64_focal100_dist600"' in out
    assert script.main(args) == 2  # already converted
    assert capsys.readouterr().err.count("\n") == 1


def test_raw_records_feed_the_eth_xgaze_configs_of_livegaze_and_mggr(tmp_path):
    from configs import livegaze, mggr
    from gazejax.data import pipeline
    from gazejax.methods.mggr.training import patch_pairs

    root = _raw_release(tmp_path / "xgaze")
    conversion.convert(_raw_converter(root), tmp_path / "out", workers=0, progress=False)
    for module in (livegaze, mggr):
        config = module.get_config("eth_xgaze")
        assert config.data.builder.startswith("tfds:eth_xgaze/raw512_")
        config.data.update(dict(builder="tfds:eth_xgaze/raw64_focal100_dist600", dir=str(tmp_path / "out"),
                                num_threads=0, same_camera=True))
        batch = pipeline.make_pipeline(config.data, "train", global_batch_size=2, seed=0, process_index=0,
                                       process_count=1).local_batch(0)
        target = batch["target"]
        assert (batch["source"]["frame"] != target["frame"]).all()
        if module is livegaze:  # what its loss reads from a target
            assert {"image", "gaze_head", "camera", "face_mask", "left_eye_mask", "right_eye_mask"} <= set(target)
            assert target["face_mask"].max() == 1.0 and target["camera"].shape == (2, 25)
        else:
            pairs = patch_pairs(config, batch)
            assert pairs["source"].shape == (4, 64, 64, 3) and pairs["target_gaze"].shape == (4, 2)


def test_training_file_without_gaze_is_refused(release, tmp_path):
    root, _ = release
    path = root / "train" / "subject0000.h5"
    with h5py.File(path, "a") as f:
        del f["face_gaze"]
    with pytest.raises(conversion.DataError, match=f"^{path}: not an ETH-XGaze h5 file: missing face_gaze$"):
        conversion.convert(eth_xgaze.converter(root), tmp_path / "out", progress=False)


def test_raw_label_out_of_range_names_the_photo(tmp_path):
    root = _raw_release(tmp_path / "xgaze", frames=("frame0002",))
    csv_path = root / "data" / "annotation_train" / "subject0007.csv"
    rows = [line.split(",") for line in csv_path.read_text().splitlines()]
    rows[1][4:7] = ["0.0", "0.0", "900.0"]  # target behind the face: yaw of 180 deg, past the range
    csv_path.write_text("".join(",".join(r) + "\n" for r in rows))
    photo = root / "data" / "train" / "subject0007" / "frame0002" / "cam03.JPG"
    converter = eth_xgaze_raw.converter(root, size=PHOTO, focal=FOCAL, distance=DISTANCE)
    converter = dataclasses.replace(converter, features={
        **converter.features, "gaze": conversion.Feature((2,), np.float32, bounds=(-math.pi / 2, math.pi / 2))})
    with pytest.raises(conversion.DataError, match=f"^{photo}: gaze value"):
        conversion.convert(converter, tmp_path / "out", workers=0, progress=False)
