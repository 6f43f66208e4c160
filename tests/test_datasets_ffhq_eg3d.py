"""FFHQ in EG3D's layout: zip/folder + dataset.json written here exactly as EG3D's dataset_tool.py does."""

import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from gazejax.data import ffhq_eg3d
from gazejax.data.conversion import DataError
from gazejax.geometry import camera_label

SIZE = 8


def _label(k):
    """A distinct, easily recognisable 25-number label: an EG3D camera at yaw 0.1 k."""
    return np.asarray(camera_label(0.1 * k, 0.05), np.float32)


def _image(k):
    rng = np.random.default_rng(k)
    return rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)


def _png(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="png", compress_level=0)
    return buffer.getvalue()


def write_zip(path, count, labels=None):
    """``dataset_tool.py``'s layout: ZIP_STORED, ``00000/img%08d.png``, root ``dataset.json``."""
    names = [f"{k:08d}"[:5] + f"/img{k:08d}.png" for k in range(count)]
    labels = [_label(k).tolist() for k in range(count)] if labels is None else labels
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for k, name in enumerate(names):
            z.writestr(name, _png(_image(k)))
        z.writestr("dataset.json", json.dumps({"labels": [[n, l] for n, l in zip(names, labels)]}))
    return names


def test_reads_zip_in_sorted_order(tmp_path):
    write_zip(tmp_path / "FFHQ_8.zip", 3)
    samples = list(ffhq_eg3d.read(tmp_path / "FFHQ_8.zip"))
    assert len(samples) == 3
    for k, (image, label) in enumerate(samples):
        assert image.dtype == np.uint8 and image.shape == (SIZE, SIZE, 3)
        np.testing.assert_array_equal(image, _image(k))
        assert label.dtype == np.float32 and label.shape == (25,)
        np.testing.assert_allclose(label, _label(k))


def test_reads_folder_with_mirrors_and_grey_image(tmp_path):
    # the pre-zip folder: final_crops/00000.png, 00000_mirror.png + dataset.json keyed by file name
    Image.fromarray(_image(0)).save(tmp_path / "00000.png")
    Image.fromarray(_image(0)[:, ::-1]).save(tmp_path / "00000_mirror.png")
    Image.fromarray(np.full((SIZE, SIZE), 77, np.uint8)).save(tmp_path / "00001.png")
    labels = [["00000.png", _label(0).tolist()], ["00000_mirror.png", ffhq_eg3d.mirror_label(_label(0)).tolist()],
              ["00001.png", _label(1).tolist()]]
    (tmp_path / "dataset.json").write_text(json.dumps({"labels": labels}))
    names = ffhq_eg3d.image_names(tmp_path)
    assert names == ["00000.png", "00000_mirror.png", "00001.png"]
    (a, la), (b, lb), (grey, _) = ffhq_eg3d.read(tmp_path)
    np.testing.assert_array_equal(b, a[:, ::-1])
    np.testing.assert_allclose(lb, ffhq_eg3d.mirror_label(la))
    assert grey.shape == (SIZE, SIZE, 3) and np.all(grey == 77)


def test_mirror_label_by_hand():
    pose = np.array([[0.6, 0.0, -0.8, 2.16],
                     [0.1, -0.9, 0.3, 0.5],
                     [-0.7, 0.2, 0.4, 1.9],
                     [0.0, 0.0, 0.0, 1.0]])
    k = np.array([[4.2647, 0.01, 0.45], [0.0, 4.2647, 0.5], [0.0, 0.0, 1.0]])
    label = np.concatenate([pose.ravel(), k.ravel()])
    # F pose F with F = diag(-1, 1, 1, 1): entries with exactly one index 0 flip sign
    want_pose = np.array([[0.6, -0.0, 0.8, -2.16],
                          [-0.1, -0.9, 0.3, 0.5],
                          [0.7, 0.2, 0.4, 1.9],
                          [0.0, 0.0, 0.0, 1.0]])
    # pixel u -> 1 - u: principal point 0.45 -> 0.55, skew 0.01 -> -0.01
    want_k = np.array([[4.2647, -0.01, 0.55], [0.0, 4.2647, 0.5], [0.0, 0.0, 1.0]])
    got = ffhq_eg3d.mirror_label(label)
    np.testing.assert_allclose(got, np.concatenate([want_pose.ravel(), want_k.ravel()]), atol=1e-6)
    np.testing.assert_allclose(ffhq_eg3d.mirror_label(got), label, atol=1e-6)


def test_mirror_label_is_eg3d_flip_yaw_for_ffhq_cameras():
    # a camera at yaw y mirrors to the camera at -y; EG3D keeps its centred K
    label = np.asarray(camera_label(0.3, -0.1), np.float32)
    np.testing.assert_allclose(ffhq_eg3d.mirror_label(label), np.asarray(camera_label(-0.3, -0.1)), atol=1e-6)
    np.testing.assert_allclose(ffhq_eg3d.mirror_label(label)[16:], label[16:])


def test_mirror_flips_image_and_label():
    image, label = _image(3), _label(3)
    flipped, flipped_label = ffhq_eg3d.mirror(image, label)
    np.testing.assert_array_equal(flipped[:, 0], image[:, -1])
    np.testing.assert_allclose(flipped_label, ffhq_eg3d.mirror_label(label))


@pytest.mark.parametrize("bad, message", [
    ([[1.0] * 24], "is not 25 numbers"),
    ([None], "is not 25 numbers"),
    ([[float("nan")] * 25], "not finite"),
])
def test_bad_labels_name_the_file(tmp_path, bad, message):
    write_zip(tmp_path / "ds.zip", 1, labels=bad)
    with pytest.raises(DataError, match=message) as info:
        next(ffhq_eg3d.read(tmp_path / "ds.zip"))
    assert str(tmp_path / "ds.zip") + "/dataset.json" in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_json_missing_label_and_truncated_image(tmp_path):
    with zipfile.ZipFile(tmp_path / "nojson.zip", "w") as z:
        z.writestr("00000/img00000000.png", _png(_image(0)))
    with pytest.raises(DataError, match="nojson.zip/dataset.json: missing"):
        next(ffhq_eg3d.read(tmp_path / "nojson.zip"))

    with zipfile.ZipFile(tmp_path / "unlabelled.zip", "w") as z:
        z.writestr("00000/img00000000.png", _png(_image(0)))
        z.writestr("dataset.json", json.dumps({"labels": []}))
    with pytest.raises(DataError, match="no label for 00000/img00000000.png"):
        next(ffhq_eg3d.read(tmp_path / "unlabelled.zip"))

    with zipfile.ZipFile(tmp_path / "truncated.zip", "w") as z:
        z.writestr("00000/img00000000.png", _png(_image(0))[:60])
        z.writestr("dataset.json", json.dumps({"labels": [["00000/img00000000.png", _label(0).tolist()]]}))
    with pytest.raises(DataError, match="truncated.zip/00000/img00000000.png: not a readable image"):
        next(ffhq_eg3d.read(tmp_path / "truncated.zip"))


def test_convert_and_read_back(tmp_path):
    import tensorflow_datasets as tfds

    from gazejax.data import conversion

    write_zip(tmp_path / "FFHQ_8.zip", 3)
    summary = conversion.convert(ffhq_eg3d.converter(tmp_path / "FFHQ_8.zip", SIZE, add_mirror=True),
                                 tmp_path / "out", workers=0, progress=False)
    assert summary.records == {"train": 6}
    train = tfds.data_source("ffhq_eg3d/r8_mirror", split="train", data_dir=str(tmp_path / "out"))
    for k in range(3):
        original, mirrored = train[2 * k], train[2 * k + 1]
        np.testing.assert_array_equal(original["image"], _image(k))
        np.testing.assert_allclose(original["camera"], _label(k))
        np.testing.assert_array_equal(mirrored["image"], _image(k)[:, ::-1])
        # EG3D's FFHQ camera at yaw 0.1 k mirrors to yaw -0.1 k
        np.testing.assert_allclose(mirrored["camera"], np.asarray(camera_label(-0.1 * k, 0.05)), atol=1e-6)
        assert original["identity"] == mirrored["identity"] == k


def test_convert_resizes(tmp_path):
    from gazejax.data import conversion

    write_zip(tmp_path / "FFHQ_8.zip", 2)
    summary = conversion.convert(ffhq_eg3d.converter(tmp_path / "FFHQ_8.zip", 4), tmp_path / "out",
                                 workers=0, progress=False)
    assert summary.records == {"train": 2}
    import tensorflow_datasets as tfds

    record = tfds.data_source("ffhq_eg3d/r4", split="train", data_dir=str(tmp_path / "out"))[1]
    assert record["image"].shape == (4, 4, 3)
    np.testing.assert_allclose(record["camera"], _label(1))


def test_script_reports_bad_labels_in_one_line(tmp_path, capsys):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "data_prep" / "ffhq_eg3d.py"
    spec = importlib.util.spec_from_file_location("ffhq_eg3d_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    write_zip(tmp_path / "bad.zip", 2, labels=[_label(0).tolist(), _label(1).tolist()[:16]])
    argv = ["--source", str(tmp_path / "bad.zip"), "--out", str(tmp_path / "out"), "--workers", "0"]
    assert script.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"ffhq_eg3d: error: {tmp_path / 'bad.zip'}/dataset.json: the label of 00000/img00000001.png "
                   "is not 25 numbers (flattened 4x4 cam2world + 3x3 normalized intrinsics)")
    assert not (tmp_path / "out").exists()


def test_eg3d_ffhq_config_reads_the_mirrored_conversion(tmp_path):
    from gazejax.data import conversion, pipeline
    from gazejax.train.config_loading import load_config

    write_zip(tmp_path / "FFHQ_8.zip", 2)
    conversion.convert(ffhq_eg3d.converter(tmp_path / "FFHQ_8.zip", SIZE, add_mirror=True), tmp_path / "out",
                       workers=0, progress=False)
    config = load_config("configs/eg3d.py:ffhq,gaze=on", [f"data.dir={tmp_path / 'out'}"])
    assert config.data.builder == "tfds:ffhq_eg3d/r512_mirror" and config.loss.gaze_weight == 1.0
    assert config.model.plane_resolution == load_config("configs/eg3d.py:paper").model.plane_resolution
    config.data.builder = "tfds:ffhq_eg3d/r8_mirror"  # the test's 8-pixel conversion
    source, _ = pipeline.open_source(config.data, config.data.split)
    assert len(source) == 4  # two images and their mirrors
    np.testing.assert_allclose(source[3]["camera"], np.asarray(camera_label(-0.1, 0.05)), atol=1e-6)  # mirror of 1


def test_write_folder_round_trips_through_read_and_never_overwrites(tmp_path):
    pairs = [(_image(k), _label(k)) for k in range(3)]
    assert ffhq_eg3d.write_folder(tmp_path / "set", iter(pairs)) == 3
    assert json.loads((tmp_path / "set" / "dataset.json").read_text())["labels"][2][0] == "00000/img00000002.png"
    back = list(ffhq_eg3d.read(tmp_path / "set"))
    for (image, label), (want_image, want_label) in zip(back, pairs, strict=True):
        np.testing.assert_array_equal(image, want_image)
        np.testing.assert_array_equal(label, want_label)
    with pytest.raises(DataError, match="exists and is not an empty folder"):
        ffhq_eg3d.write_folder(tmp_path / "set", iter(pairs))
    with pytest.raises(DataError, match="image 0: a label must be 25 finite numbers"):
        ffhq_eg3d.write_folder(tmp_path / "bad", [(_image(0), _label(0)[:16])])


def test_synthgaze_build_in_eg3d_layout_for_the_gaze_filter(tmp_path, monkeypatch, capsys):
    import importlib.util
    import pathlib

    from gazejax.data import synthgaze_tfds

    records = [{"image": _image(k), "camera": _label(k), "gaze": np.zeros(2, np.float32)} for k in range(2)]
    opened = {}

    def data_source(data_dir, name, split):
        opened.update(data_dir=data_dir, name=name, split=split)
        return records

    monkeypatch.setattr(synthgaze_tfds, "data_source", data_source)
    path = pathlib.Path(__file__).resolve().parents[1] / "data_prep" / "synthgaze_eg3d.py"
    spec = importlib.util.spec_from_file_location("synthgaze_eg3d_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    argv = ["--name", "r8_i2_f1_v1_t0_s0_cg80", "--data-dir", str(tmp_path), "--out", str(tmp_path / "eg3d")]
    assert script.main(argv) == 0
    assert opened == dict(data_dir=tmp_path, name="r8_i2_f1_v1_t0_s0_cg80", split="train")
    assert [label.tolist() for _, label in ffhq_eg3d.read(tmp_path / "eg3d")] == [_label(k).tolist() for k in range(2)]
    assert script.main(argv) == 2  # the folder is not empty now: refused in one line
    assert capsys.readouterr().err.strip() == (f"synthgaze_eg3d: error: {tmp_path / 'eg3d'}: exists and is not an "
                                               "empty folder; choose a new --out")
