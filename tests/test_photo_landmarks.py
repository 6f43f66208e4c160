"""``gazejax landmarks``: refusals in one line; the file it writes is what --landmarks reads."""

import numpy as np
import pytest
from matplotlib import cbook

from gazejax import face
from gazejax.cli import main
from gazejax.commands.image_files import read_rgb
from gazejax.commands.photo_input import read_landmarks
from gazejax.face import mediapipe_models

PHOTO = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


def _one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_landmarks_of_a_photo_round_trip_through_the_file(tmp_path):
    try:
        mediapipe_models.model_paths()
    except mediapipe_models.ModelFilesUnavailable as e:
        pytest.skip(str(e))
    out = tmp_path / "lm.npy"
    assert main(["landmarks", "--image", PHOTO, "--out", str(out)]) == 0
    faces = read_landmarks(out)
    assert len(faces) == 1 and faces[0].shape == (478, 2)
    np.testing.assert_allclose(faces[0], face.detect_faces(read_rgb(PHOTO))[0], atol=1e-6)


@pytest.mark.parametrize("flags,message", [
    (["--image", PHOTO, "--out", "{root}/lm.txt"], "landmarks are written as .npy"),
    (["--video", "{root}/missing.mp4", "--out", "{root}/lm.npy"], "cannot read video"),
    (["--image", "{root}/missing.png", "--out", "{root}/lm.npy"], "no such image"),
])
def test_bad_landmarks_input_is_one_line_and_exit_2(tmp_path, capsys, flags, message):
    flags = [f.format(root=tmp_path) for f in flags]
    assert main(["landmarks", *flags]) == 2
    assert message in _one_error_line(capsys)
    assert not list(tmp_path.glob("lm.*"))
