"""The shared converter machinery: resume after a kill, atomic output, checks, skips, pipeline."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow_datasets as tfds
from ml_collections import ConfigDict

from gazejax.data import conversion, pipeline

FEATURES = {
    "image": conversion.Feature((4, 4, 3), np.uint8),
    "gaze": conversion.Feature((2,), np.float32, bounds=(-1.5, 1.5)),
    "identity": conversion.Feature((), np.int32),
    "frame": conversion.Feature((), np.int32),
    "view": conversion.Feature((), np.int32),
}
NUM_UNITS = 4
PER_UNIT = 3


def read_toy_unit(unit):
    """Unit ``i`` holds 3 records (frames 0..2 of identity i) and one skipped input.

    ``args = (log_dir, crash_on_unit)``: every call leaves a file in log_dir;
    the unit ``crash_on_unit`` kills its worker process, as an OOM kill would.
    """
    log_dir, crash_on = unit.args
    i = int(unit.key.removeprefix("u"))
    (pathlib.Path(log_dir) / f"read_{unit.key}_{os.getpid()}_{len(os.listdir(log_dir))}").touch()
    if i == crash_on:
        os._exit(17)
    for frame in range(PER_UNIT):
        image = np.full((4, 4, 3), 10 * i + frame, np.uint8)
        yield f"{i}_{frame}", dict(image=image, gaze=np.array([0.1 * frame, -0.1 * i]),
                                   identity=i, frame=frame, view=0)
    yield conversion.Skip(f"{unit.path}/broken.jpg", "no face")


def toy_converter(log_dir, crash_on=-1):
    units = [conversion.Unit(f"u{i}", "train" if i < 3 else "test", f"/data/unit{i}", (str(log_dir), crash_on))
             for i in range(NUM_UNITS)]
    return conversion.Converter("toy_gaze", "small", FEATURES, units, read_toy_unit, {"size": 4}, "toy")


def _records(out_dir, split):
    source = tfds.data_source("toy_gaze/small", split=split, data_dir=str(out_dir))
    return [source[i] for i in range(len(source))]


def test_killed_conversion_resumes_to_the_same_dataset(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    clean = tmp_path / "clean"
    summary = conversion.convert(toy_converter(logs), clean, workers=2, progress=False)
    assert summary.records == {"train": 9, "test": 3}
    assert len(summary.skipped) == NUM_UNITS and summary.skipped[0] == ("/data/unit0/broken.jpg", "no face")

    killed = tmp_path / "killed"
    crash_logs = tmp_path / "crash_logs"
    crash_logs.mkdir()
    script = (f"import sys; sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r}); "
              "import test_datasets_conversion as t; from gazejax.data import conversion; "
              f"conversion.convert(t.toy_converter({str(crash_logs)!r}, crash_on=3), {str(killed)!r}, "
              "workers=1, progress=False)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "rerun to resume" in run.stderr
    assert not (killed / "toy_gaze").exists()  # nothing half-written is visible
    finished_before = {p.name.split("_")[1] for p in crash_logs.iterdir()} - {"u3"}
    assert finished_before == {"u0", "u1", "u2"}  # one worker, in order: all before u3 are cached

    resume_logs = tmp_path / "resume_logs"
    resume_logs.mkdir()
    summary = conversion.convert(toy_converter(resume_logs), killed, workers=2, progress=False)
    assert summary.resumed_units == 3
    assert [p.name.split("_")[1] for p in resume_logs.iterdir()] == ["u3"]  # finished units not redone
    assert not (killed / ".work").joinpath("toy_gaze", "small").exists()  # work dir removed on success
    for split in ("train", "test"):
        a, b = _records(clean, split), _records(killed, split)
        assert len(a) == len(b)
        for ra, rb in zip(a, b):
            assert ra.keys() == rb.keys()
            for key in ra:
                np.testing.assert_array_equal(ra[key], rb[key])


def test_records_keep_unit_order_dtypes_and_values(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    conversion.convert(toy_converter(logs), tmp_path / "out", workers=0, progress=False)
    train = _records(tmp_path / "out", "train")
    assert [(int(r["identity"]), int(r["frame"])) for r in train] == [(i, f) for i in range(3) for f in range(3)]
    assert train[4]["image"].dtype == np.uint8 and int(train[4]["image"][0, 0, 0]) == 11
    assert train[4]["gaze"].dtype == np.float32
    np.testing.assert_allclose(train[4]["gaze"], [0.1, -0.1], rtol=1e-6)
    index = np.load(tmp_path / "out" / "gazejax_index" / "toy_gaze_small_train.npz")
    assert list(index["identity"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2] and list(index["frame"]) == [0, 1, 2] * 3


def test_converted_dataset_feeds_the_pipeline_with_pairs(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    conversion.convert(toy_converter(logs), tmp_path / "out", workers=0, progress=False)
    config = ConfigDict(dict(builder="tfds:toy_gaze/small", dir=str(tmp_path / "out"), pairs=True,
                             same_camera=None, num_threads=0))
    pipes = [pipeline.make_pipeline(config, "train", global_batch_size=4, seed=0, process_index=p,
                                    process_count=2) for p in range(2)]
    halves = [pipe.local_batch(0) for pipe in pipes]
    for batch in halves:
        assert batch["source"]["image"].shape == (2, 4, 4, 3) and batch["source"]["image"].dtype == np.float32
        same_identity = batch["source"]["identity"] == batch["target"]["identity"]
        assert same_identity.all() and (batch["source"]["frame"] != batch["target"]["frame"]).all()
    # the two processes read disjoint halves of one global batch
    single = pipeline.make_pipeline(config, "train", global_batch_size=4, seed=0, process_index=0,
                                    process_count=1).local_batch(0)
    np.testing.assert_array_equal(np.concatenate([h["source"]["image"] for h in halves]),
                                  single["source"]["image"])


@pytest.mark.parametrize("record, message", [
    (dict(gaze=np.array([0.0, 2.0])), "gaze value 2 outside [-1.5, 1.5]"),
    (dict(gaze=np.array([np.nan, 0.0])), "gaze is not finite"),
    (dict(image=np.zeros((4, 4, 3), np.float32)), "image is float32, expected uint8"),
    (dict(image=np.zeros((4, 4), np.uint8)), "image has shape (4, 4), expected (4, 4, 3)"),
])
def test_bad_records_are_one_line_naming_the_file(record, message):
    good = dict(image=np.zeros((4, 4, 3), np.uint8), gaze=np.zeros(2), identity=0, frame=0, view=0)
    with pytest.raises(conversion.DataError) as error:
        conversion.check_record(FEATURES, {**good, **record}, "/data/p00/day01/0001.jpg")
    assert str(error.value) == f"/data/p00/day01/0001.jpg: {message}"


def test_work_dir_of_other_settings_is_refused(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    converter = toy_converter(logs)
    work = tmp_path / "work"
    work.mkdir()
    (work / "settings.json").write_text(json.dumps({"name": "toy_gaze", "config": "small", "size": 8}))
    with pytest.raises(conversion.DataError, match="other settings"):
        conversion.convert(converter, tmp_path / "out", work_dir=work, progress=False)


def test_joined_split_index_comes_from_the_converted_parts(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    out = tmp_path / "out"
    conversion.convert(toy_converter(logs), out, workers=0, progress=False)
    config = ConfigDict(dict(builder="tfds:toy_gaze/small", dir=str(out)))
    source, cache = pipeline.open_source(config, "train+test")
    assert len(source) == 12 and cache.is_file()
    with np.load(cache) as index:
        assert list(index["identity"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_sliced_split_index_is_cut_from_the_converted_index(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    out = tmp_path / "out"
    conversion.convert(toy_converter(logs), out, workers=0, progress=False)
    config = ConfigDict(dict(builder="tfds:toy_gaze/small", dir=str(out)))
    source, cache = pipeline.open_source(config, "train[3:]+test[:1]")
    with np.load(cache) as index:
        assert list(index["identity"]) == [int(source[i]["identity"]) for i in range(len(source))]
        assert list(index["identity"]) == [1, 1, 1, 2, 2, 2, 3] and list(index["frame"]) == [0, 1, 2, 0, 1, 2, 0]
