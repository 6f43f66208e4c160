"""Gaze360: metadata.mat and imgs/ head crops written here in the published layout."""

import math

import numpy as np
import pytest
import scipy.io
from PIL import Image

from gazejax.data import gaze360
from gazejax.data.conversion import DataError
from gazejax.geometry.conventions import from_gaze360

HEAD_W, HEAD_H = 40, 32
HEAD_BOX = [0.25, 0.25, 0.5, 0.25]
# maps to pixels (10, 8, 20, 16) of the 40x32 head crop: the 20^2 square at left 10, top 6
FACE_BOX = [0.375, 0.3125, 0.25, 0.125]
NO_FACE = [-1.0, -1.0, -1.0, -1.0]

# (recording, person, frame, split, gaze_dir, face box, (pitch, yaw) by hand)
SAMPLES = [
    (0, 0, 131, 0, [0.0, 0.0, -1.0], FACE_BOX, (0.0, 0.0)),  # into the camera
    (0, 0, 132, 0, [math.sin(0.3), 0.0, -math.cos(0.3)], FACE_BOX, (0.0, 0.3)),  # +x = camera's left
    (0, 1, 7, 2, [0.0, 2 * math.sin(0.2), -2 * math.cos(0.2)], FACE_BOX, (0.2, 0.0)),  # +y up; unnormalized
    (1, 0, 7, 2, [0.0, 0.0, 1.0], FACE_BOX, (0.0, math.pi)),  # away from the camera: not front 180
    (1, 0, 8, 1, [0.0, 0.0, -1.0], NO_FACE, (0.0, 0.0)),  # dlib found no face
]


def head_image(k):
    rng = np.random.default_rng(k)
    return rng.integers(0, 256, (HEAD_H, HEAD_W, 3), dtype=np.uint8)


def write_gaze360(root, samples=SAMPLES):
    """metadata.mat as loadmat returns it ((1, N) index rows, (N, k) arrays, cell rows of names)
    and imgs/<rec>/head/<%06d person>/<%06d frame>.jpg head crops (stored losslessly as PNG bytes
    under the .jpg name, so pixels can be compared exactly; PIL reads by content)."""
    recordings = np.empty((1, 2), dtype=object)
    recordings[0, 0], recordings[0, 1] = "rec_022", "rec_031"
    splits = np.empty((1, 4), dtype=object)
    for j, name in enumerate(gaze360.SPLITS):
        splits[0, j] = name
    row = lambda j: np.array([[s[j] for s in samples]], np.int32)  # noqa: E731
    scipy.io.savemat(root / "metadata.mat", {
        "recordings": recordings, "splits": splits,
        "recording": row(0), "person_identity": row(1), "frame": row(2), "split": row(3),
        "gaze_dir": np.array([s[4] for s in samples], np.float64),
        "person_head_bbox": np.array([HEAD_BOX] * len(samples), np.float64),
        "person_face_bbox": np.array([s[5] for s in samples], np.float64),
        "ts": np.zeros((1, len(samples))),
    })
    for k, (rec, person, frame, *_) in enumerate(samples):
        path = root / "imgs" / ["rec_022", "rec_031"][rec] / "head" / f"{person:06d}" / f"{frame:06d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(head_image(k)).save(path, format="png")


def test_metadata_labels_and_filters(tmp_path):
    write_gaze360(tmp_path)
    meta = gaze360.read_metadata(tmp_path / "metadata.mat")
    assert meta.recordings == ("rec_022", "rec_031") and meta.splits == gaze360.SPLITS
    assert len(meta) == 5
    np.testing.assert_allclose(gaze360.gaze(meta), [s[6] for s in SAMPLES], atol=1e-6)
    np.testing.assert_array_equal(gaze360.has_face(meta), [True, True, True, True, False])
    np.testing.assert_array_equal(gaze360.front_180(gaze360.gaze(meta)), [True, True, True, False, True])
    # person 0 of rec_022, person 1 of rec_022, person 0 of rec_031: three subjects
    np.testing.assert_array_equal(gaze360.identities(meta), [0, 0, 1, 2, 2])
    assert gaze360.head_image_path(tmp_path, meta, 2) == tmp_path / "imgs/rec_022/head/000001/000007.jpg"


def test_convention_matches_official_loader_formula():
    g = np.array([[0.3, -0.4, -0.866], [-0.5, 0.1, 0.2]])
    g_unit = g / np.linalg.norm(g, axis=1, keepdims=True)
    # the official loader's [atan2(x, -z), asin(y)] = [yaw, pitch]
    want = np.stack([np.arcsin(g_unit[:, 1]), np.arctan2(g_unit[:, 0], -g_unit[:, 2])], -1)
    np.testing.assert_allclose(from_gaze360(g), want, atol=1e-6)


def test_face_box_by_hand():
    assert gaze360.face_box((HEAD_W, HEAD_H), HEAD_BOX, FACE_BOX) == (10, 6, 20)
    # a face at the top-left corner: the square is pushed inside (centre at least half a side)
    corner = [0.25, 0.25, 0.125, 0.125]  # pixels (0, 0, 10, 16): half 8, centre (5, 8) -> (8, 8)
    assert gaze360.face_box((HEAD_W, HEAD_H), HEAD_BOX, corner) == (0, 0, 16)


def test_record_is_the_gazehub_face_crop(tmp_path):
    write_gaze360(tmp_path)
    meta = gaze360.read_metadata(tmp_path / "metadata.mat")
    record = gaze360.record(tmp_path, meta, 1, 20, identity=0, pitchyaw=gaze360.gaze(meta)[1])
    np.testing.assert_array_equal(record["image"], head_image(1)[6:26, 10:30])
    np.testing.assert_allclose(record["gaze"], (0.0, 0.3), atol=1e-6)
    assert (record["identity"], record["frame"], record["view"]) == (0, 132, 0)
    assert gaze360.record(tmp_path, meta, 1, 8, 0, (0.0, 0.0))["image"].shape == (8, 8, 3)


def test_bad_input_names_the_file(tmp_path):
    with pytest.raises(DataError, match="metadata.mat: missing"):
        gaze360.read_metadata(tmp_path / "metadata.mat")
    with pytest.raises(DataError, match="nowhere/metadata.mat: missing"):
        gaze360.converter(tmp_path / "nowhere", 8)
    scipy.io.savemat(tmp_path / "other.mat", {"frame": np.zeros((1, 2))})
    with pytest.raises(DataError, match="other.mat: no recordings, splits, gaze_dir"):
        gaze360.read_metadata(tmp_path / "other.mat")
    bad = [SAMPLES[0], SAMPLES[1][:4] + ([0.0, 0.0, 0.0],) + SAMPLES[1][5:]]
    write_gaze360(tmp_path, bad)
    with pytest.raises(DataError, match="gaze_dir row 1 is not a direction"):
        gaze360.read_metadata(tmp_path / "metadata.mat")
    write_gaze360(tmp_path, SAMPLES[:2])
    meta = gaze360.read_metadata(tmp_path / "metadata.mat")
    path = gaze360.head_image_path(tmp_path, meta, 0)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(DataError, match="000131.jpg: not a readable image") as info:
        gaze360.record(tmp_path, meta, 0, 8, 0, (0.0, 0.0))
    assert "\n" not in str(info.value)


CONVERT = SAMPLES + [
    (1, 0, 9, 1, [0.0, 0.0, -1.0], FACE_BOX, (0.0, 0.0)),  # val
    (0, 0, 133, 3, [0.0, 0.0, -1.0], FACE_BOX, (0.0, 0.0)),  # unused: not converted
]


@pytest.mark.parametrize("workers", [0, 1])
def test_convert_and_read_back(tmp_path, workers):
    import tensorflow_datasets as tfds

    from gazejax.data import conversion

    write_gaze360(tmp_path, CONVERT)
    converter = gaze360.converter(tmp_path, 20)
    assert [u.key for u in converter.units] == ["train/rec_022", "val/rec_031", "test/rec_022", "test/rec_031"]
    summary = conversion.convert(converter, tmp_path / "out", workers=workers, progress=False)
    assert summary.records == {"train": 2, "val": 1, "test": 1}
    assert sorted(summary.skipped) == sorted([
        (str(tmp_path / "imgs/rec_031/head/000000/000007.jpg"), "gaze beyond front 180 (L2CS-Net's evaluation)"),
        (str(tmp_path / "imgs/rec_031/head/000000/000008.jpg"), "no face detected (GazeHub/L2CS-Net filter)"),
    ])
    train = tfds.data_source("gaze360/face20", split="train", data_dir=str(tmp_path / "out"))
    np.testing.assert_array_equal(train[1]["image"], head_image(1)[6:26, 10:30])
    np.testing.assert_allclose([r["gaze"] for r in train], [(0.0, 0.0), (0.0, 0.3)], atol=1e-6)
    assert [int(r["frame"]) for r in train] == [131, 132]
    test = tfds.data_source("gaze360/face20", split="test", data_dir=str(tmp_path / "out"))
    np.testing.assert_allclose(test[0]["gaze"], (0.2, 0.0), atol=1e-6)
    assert int(test[0]["identity"]) == 1  # person 1 of rec_022


def test_unfiltered_keeps_the_back_of_the_head(tmp_path):
    from gazejax.data import conversion

    write_gaze360(tmp_path, CONVERT)
    summary = conversion.convert(gaze360.converter(tmp_path, 8, front_filter=False), tmp_path / "out",
                                 workers=0, progress=False)
    assert summary.records == {"train": 2, "val": 1, "test": 2}
    assert (tmp_path / "out" / "gaze360" / "face8_unfiltered").is_dir()


def test_l2cs_gaze360_config_trains_and_evaluates_on_the_conversion(tmp_path):
    import jax
    import jax.numpy as jnp

    from gazejax.data import conversion
    from gazejax.data import pipeline as pipeline_lib
    from gazejax.methods.l2cs import evaluation as l2cs_evaluation
    from gazejax.methods.l2cs import training as l2cs
    from gazejax.train import config_loading

    (tmp_path / "raw").mkdir()
    write_gaze360(tmp_path / "raw", CONVERT)
    converter = gaze360.converter(tmp_path / "raw", 224)
    conversion.convert(converter, tmp_path / "out", workers=0, progress=False)
    # the paper's recipe, shrunk to seconds: a narrow ResNet-18 at 32^2
    config = config_loading.load_config("configs/l2cs.py:gaze360", [
        f"data.dir={tmp_path / 'out'}", "model.depth=18", "model.width=8", "model.input_size=32",
        "batch_size=2", "eval.num_batches=1", "data.num_threads=0"])
    assert config.data.builder == "tfds:gaze360/face224" and config.model.binning == "gaze360"
    pipe = pipeline_lib.make_pipeline(config.data, "train", global_batch_size=2, seed=0,
                                      process_index=0, process_count=1)
    batch = jax.tree.map(jnp.asarray, pipe.local_batch(0))
    assert batch["image"].shape == (2, 224, 224, 3) and batch["image"].dtype == jnp.float32
    state = jax.jit(lambda k: l2cs.init(config, k, batch))(jax.random.key(0, impl="rbg"))
    state, metrics = jax.jit(lambda s, b, k: l2cs.train_step(config, s, b, k))(state, batch, jax.random.key(1))
    assert np.isfinite(float(metrics["loss"]))
    result = l2cs_evaluation.evaluate(config, state, workdir=tmp_path)
    assert result["pairs"] == 1  # the one front-180 test sample


def test_l2cs_mpiifacegaze_folds_leave_one_person_out():
    from gazejax.train import config_loading
    from gazejax.train.config_loading import ConfigError

    config = config_loading.load_config("configs/l2cs.py:mpiifacegaze,fold=3")
    assert config.model.binning == "mpiigaze" and config.model.depth == 50 and config.batch_size == 16
    assert config.data.eval_split == "p03"
    assert config.data.split.split("+") == [f"p{i:02d}" for i in range(15) if i != 3]
    assert config_loading.load_config("configs/l2cs.py:mpiifacegaze").data.eval_split == "p00"
    with pytest.raises(ConfigError, match="fold is for the mpiifacegaze variant"):
        config_loading.load_config("configs/l2cs.py:gaze360,fold=3")
