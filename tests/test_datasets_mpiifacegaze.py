"""MPIIFaceGaze converter on small files written here in the published layout."""

import importlib.util
import math
import pathlib

import numpy as np
import pytest
import scipy.io
import tensorflow_datasets as tfds
from PIL import Image

from gazejax.data import conversion, mpiifacegaze

ROOT = pathlib.Path(__file__).resolve().parents[1]
K = np.array([[100.0, 0.0, 40.0], [0.0, 100.0, 30.0], [0.0, 0.0, 1.0]])
# per person: (head rotation vector, face centre, gaze target), mm in the camera frame
LINES = {
    0: [((0.0, 0.2, 0.0), (0.0, 0.0, 600.0), (-50.0, -120.0, 0.0), "left"),
        ((0.0, 0.2, 0.0), (0.0, 0.0, 600.0), (80.0, 30.0, 0.0), "right")],
    1: [((0.0, 0.0, 0.0), (100.0, 0.0, 600.0), (0.0, -90.0, 0.0), "right")],
}


def _write_person(root, person, lines):
    folder = root / f"p{person:02d}"
    (folder / "Calibration").mkdir(parents=True)
    scipy.io.savemat(folder / "Calibration" / "Camera.mat", {
        "cameraMatrix": K, "distCoeffs": np.zeros((1, 5)), "retval": 0.3,
        "rvecs": np.zeros((3, 1)), "tvecs": np.zeros((3, 1))})
    text = []
    for i, (rvec, centre, target, eye) in enumerate(lines):
        name = f"day0{i + 1}/{i + 5:04d}.jpg"
        (folder / name).parent.mkdir(exist_ok=True)
        Image.fromarray(np.full((60, 80, 3), 90, np.uint8)).save(folder / name)
        landmarks = [30, 25, 36, 25, 44, 25, 50, 25, 34, 40, 46, 40]  # 4 eye corners, 2 mouth corners
        fields = [name, 640, 400, *landmarks, *rvec, 0.0, 0.0, 600.0, *centre, *target, eye]
        text.append(" ".join(str(v) for v in fields))
    (folder / f"p{person:02d}.txt").write_text("\n".join(text) + "\n")


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "MPIIFaceGaze"
    for person, lines in LINES.items():
        _write_person(root, person, lines)
    return root


def _pitchyaw(v):
    v = np.asarray(v, float) / np.linalg.norm(v)
    return [math.asin(-v[1]), math.atan2(-v[0], -v[2])]


def _read(out, split, config="norm32_focal100_dist600"):
    source = tfds.data_source(f"mpiifacegaze/{config}", split=split, data_dir=str(out))
    return [source[i] for i in range(len(source))]


def test_labels_computed_by_hand(dataset, tmp_path):
    converter = mpiifacegaze.converter(dataset, size=32, focal=100.0, distance=600.0, persons=range(2))
    summary = conversion.convert(converter, tmp_path / "out", workers=0, progress=False)
    assert summary.records == {"p00": 2, "p01": 1}
    p0 = _read(tmp_path / "out", "p00")
    # face centre on the optical axis: the normalizing rotation is the identity (head roll 0)
    for r, (_, centre, target, _) in zip(p0, LINES[0]):
        d = np.subtract(target, centre)
        np.testing.assert_allclose(r["gaze"], _pitchyaw(d), atol=1e-5)
        np.testing.assert_allclose(r["head_pose"], [0.0, 0.2], atol=1e-5)  # head turned by 0.2 rad about y
        c, s = math.cos(0.2), math.sin(0.2)
        head = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])  # Rodrigues of (0, 0.2, 0)
        np.testing.assert_allclose(r["gaze_head"], _pitchyaw(head.T @ d), atol=1e-5)
    assert [int(r["evaluated_eye"]) for r in p0] == [0, 1]
    assert [(int(r["identity"]), int(r["frame"])) for r in p0] == [(0, 0), (0, 1)]
    # face centre off axis: R's rows are right = (z, 0, -x), down = (0, 1, 0), forward = c / |c|
    (r,) = _read(tmp_path / "out", "p01")
    f = np.array([100.0, 0.0, 600.0]) / np.linalg.norm([100.0, 0.0, 600.0])
    rotation = np.array([[f[2], 0, -f[0]], [0, 1, 0], f])
    np.testing.assert_allclose(r["normalization_rotation"], rotation, atol=1e-6)
    np.testing.assert_allclose(r["gaze"], _pitchyaw(rotation @ np.subtract((0, -90, 0), (100, 0, 600))), atol=1e-5)
    np.testing.assert_allclose(r["head_pose"], _pitchyaw(-rotation[:, 2]), atol=1e-5)
    assert r["image"].shape == (32, 32, 3) and r["landmarks"].shape == (6, 2)


def test_leave_one_person_out_folds_read_back(dataset, tmp_path):
    converter = mpiifacegaze.converter(dataset, size=32, focal=100.0, distance=600.0, persons=range(2))
    conversion.convert(converter, tmp_path / "out", workers=0, progress=False)
    train, test = mpiifacegaze.fold_splits(1, persons=2)
    assert (train, test) == ("p00", "p01")
    assert mpiifacegaze.fold_splits(0)[0] == "+".join(f"p{p:02d}" for p in range(1, 15))
    assert {int(r["identity"]) for r in _read(tmp_path / "out", "p00+p01")} == {0, 1}


def test_missing_calibration_file_names_it(dataset):
    path = dataset / "p01" / "Calibration" / "Camera.mat"
    path.unlink()
    with pytest.raises(conversion.DataError) as error:
        mpiifacegaze.converter(dataset, persons=range(2))
    assert str(error.value) == f"{path}: missing calibration file"


def test_truncated_photo_and_missing_photo(dataset, tmp_path):
    (dataset / "p00" / "day02" / "0006.jpg").unlink()
    converter = mpiifacegaze.converter(dataset, size=32, focal=100.0, distance=600.0, persons=range(2))
    summary = conversion.convert(converter, tmp_path / "out", workers=0, progress=False)
    assert summary.skipped == [(str(dataset / "p00" / "day02" / "0006.jpg"),
                                "photo listed in the annotations is missing")]
    photo = dataset / "p01" / "day01" / "0005.jpg"
    photo.write_bytes(photo.read_bytes()[:200])
    with pytest.raises(conversion.DataError, match=f"^{photo}: not a readable image"):
        conversion.convert(converter, tmp_path / "out2", workers=0, progress=False)


def test_script_runs(dataset, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("mpii_prep", ROOT / "data_prep" / "mpiifacegaze.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    args = ["--root", str(dataset), "--persons", "2", "--size", "32", "--out", str(tmp_path / "o"),
            "--workers", "0"]
    assert script.main(args) == 0
    assert "2 p00, 1 p01" in capsys.readouterr().out


def test_l2cs_trains_only_on_gazes_within_its_limit(dataset, tmp_path):
    from gazejax.data import gaze_range, pipeline
    from gazejax.train.config_loading import load_config

    converter = mpiifacegaze.converter(dataset, size=32, focal=100.0, distance=600.0, persons=range(2))
    conversion.convert(converter, tmp_path / "out", workers=0, progress=False)
    config = load_config(f"{ROOT / 'configs' / 'l2cs.py'}:mpiifacegaze,fold=1", [
        f"data.dir={tmp_path / 'out'}", "data.builder=tfds:mpiifacegaze/norm32_focal100_dist600",
        "data.split=p00"])  # the fold of 2 persons
    assert config.data.train_gaze_limit_deg == 42.0  # the reference's filter
    # p00's gazes by hand: (pitch, yaw) = (11.2, 4.8) and (-2.8, -7.6) degrees
    pipe = pipeline.make_pipeline(config.data, config.data.split, global_batch_size=2, seed=0,
                                  process_index=0, process_count=1, gaze_limit_deg=10.0)
    batch = pipe.local_batch(0)
    assert batch["frame"].tolist() == [1, 1]  # only the second record, twice
    np.testing.assert_allclose(np.degrees(batch["gaze"][0]), [-2.83, -7.59], atol=0.01)
    everything = pipeline.make_pipeline(config.data, config.data.split, global_batch_size=2, seed=0,
                                        process_index=0, process_count=1, gaze_limit_deg=42.0)
    assert sorted(everything.local_batch(0)["frame"].tolist()) == [0, 1]


def test_gaze_range_rows_are_cached_and_an_empty_range_is_one_error(tmp_path):
    from gazejax.data import gaze_range

    class Counting(list):
        reads = 0

        def __getitem__(self, i):
            Counting.reads += 1
            return super().__getitem__(i)

        def __iter__(self):
            return (self[i] for i in range(len(self)))

    source = Counting([{"gaze": np.radians([p, y])} for p, y in ((5, 5), (50, 0), (0, -41))])
    cache = tmp_path / "index" / "split.npz"
    assert gaze_range.rows_within(source, 42.0, cache).tolist() == [0, 2]
    reads = Counting.reads
    assert gaze_range.rows_within(source, 42.0, cache).tolist() == [0, 2]
    assert Counting.reads == reads  # read from the cache
    subset = gaze_range.RowSubset(source, [2, 0])
    assert len(subset) == 2 and np.degrees(subset[0]["gaze"])[1] == pytest.approx(-41)
    with pytest.raises(ValueError, match="no record has |pitch| and |yaw| within 1 deg"):
        gaze_range.rows_within(source[1:2], 1.0)
