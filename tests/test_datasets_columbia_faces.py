"""ColumbiaGaze whole-face converter on small photos written here in the published layout."""

import importlib.util
import math
import pathlib

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from gazejax.data import columbia_faces, conversion

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAMES = {1: ["0001_2m_-15P_10V_-5H.jpg", "0001_2m_0P_0V_0H.jpg"], 2: ["0002_2m_30P_-10V_15H.jpg"]}


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "Columbia Gaze Data Set"
    for subject, names in NAMES.items():
        folder = root / f"{subject:04d}"
        folder.mkdir(parents=True)
        for name in names:
            photo = np.zeros((24, 36, 3), np.uint8)  # 3:2 like the 5184 x 3456 originals
            photo[:, 6:30] = 200  # the centred square is bright, the side bands black
            Image.fromarray(photo).save(folder / name, quality=95)
        (folder / "Thumbs.db").write_bytes(b"\0")
    return root


def test_labels_from_names_and_centre_square(dataset, tmp_path):
    summary = conversion.convert(columbia_faces.converter(dataset, size=16), tmp_path / "out",
                                 workers=0, progress=False)
    assert summary.records == {"test": 3}
    assert [reason for _, reason in summary.skipped] == ["not a ColumbiaGaze photo name "
                                                        "(NNNN_2m_<P>P_<V>V_<H>H.jpg)"] * 2
    source = tfds.data_source("columbia_faces/r16", split="test", data_dir=str(tmp_path / "out"))
    records = [source[i] for i in range(len(source))]
    # sorted names: 0001_2m_-15P_10V_-5H, 0001_2m_0P_0V_0H, 0002_2m_30P_-10V_15H
    expected = [((10, -15 + 5), -15), ((0, 0), 0), ((-10, 30 - 15), 30)]
    for r, ((v, yaw), p) in zip(records, expected):
        np.testing.assert_allclose(r["gaze_head"], np.radians([v, yaw]), atol=1e-6)
        np.testing.assert_allclose(r["head_pose"], [0.0, math.radians(p)], atol=1e-6)
    assert [(int(r["identity"]), int(r["frame"]), int(r["view"])) for r in records] == [
        (1, 2 * 7 + 2, 1), (1, 1 * 7 + 3, 2), (2, 0 * 7 + 6, 4)]
    image = records[0]["image"]
    assert image.shape == (16, 16, 3) and image.min() > 150  # only the centred square is kept


def test_truncated_photo_names_it(dataset, tmp_path):
    photo = dataset / "0002" / "0002_2m_30P_-10V_15H.jpg"
    photo.write_bytes(photo.read_bytes()[:150])
    with pytest.raises(conversion.DataError, match=f"^{photo}: not a readable image"):
        conversion.convert(columbia_faces.converter(dataset, size=16), tmp_path / "out", progress=False)


def test_script_reports_no_subjects(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("columbia_faces_prep", ROOT / "data_prep" / "columbia_faces.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--root", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == f"columbia_faces: error: {tmp_path}: no subject folders 0001 ... 0056\n"
