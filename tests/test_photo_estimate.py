"""``gazejax estimate --images PHOTO``: every face of a photo normalized, estimated, reported in both frames.

A random-weight judge and landmarks given with ``--landmarks`` (the canonical
face posed over grace_hopper.jpg): what is tested is that the camera-frame
gaze is the normalized estimate rotated back, the head pose is the fitted
one, and the drawing and the refusals.
"""

import json

import numpy as np
import pytest
from matplotlib import cbook
from PIL import Image

from face_poses import head_rotation, project
from gazejax import face
from gazejax.cli import main
from gazejax.commands.image_files import read_rgb
from random_judge import save_random_judge

PHOTO = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("photo_estimate")
    photo = read_rgb(PHOTO)
    k = face.camera_matrix(photo.shape[1], photo.shape[0])
    np.save(root / "faces.npy", np.stack([project(head_rotation(0.05, 0.1), (-10, -40, 350), k),
                                          project(head_rotation(0.0, -0.3), (150, 150, 700), k)]))
    return {"root": root, "judge": save_random_judge(root / "judge", 32), "faces": str(root / "faces.npy")}


def test_every_face_is_reported_in_camera_and_normalized_frames(paths):
    out, drawing = paths["root"] / "gaze.json", paths["root"] / "drawn.png"
    assert main(["estimate", "--checkpoint", paths["judge"], "--images", PHOTO, "--landmarks", paths["faces"],
                 "--json", str(out), "--draw", str(drawing)]) == 0
    rows = json.loads(out.read_text())
    assert [r["face"] for r in rows] == [0, 1]
    np.testing.assert_allclose([rows[0]["head_pitch"], rows[0]["head_yaw"]], [0.05, 0.1], atol=0.02)
    np.testing.assert_allclose([rows[1]["head_pitch"], rows[1]["head_yaw"]], [0.0, -0.3], atol=0.02)
    photo = read_rgb(PHOTO)
    faces = face.prepare_faces(photo, face.camera_matrix(photo.shape[1], photo.shape[0]),
                               face.NormalizationSpec.face_only(32), list(np.load(paths["faces"])))
    for r, f in zip(rows, faces):
        normalized, camera = [r["normalized_pitch"], r["normalized_yaw"]], [r["pitch"], r["yaw"]]
        # the camera-frame gaze is the normalized estimate rotated back by R^T, and R is not the identity
        np.testing.assert_allclose(camera, f.crop.gaze_to_camera(normalized), atol=1e-5)
        assert not np.allclose(normalized, camera, atol=1e-3)
    drawn, photo = np.asarray(Image.open(drawing)), (read_rgb(PHOTO) * 255 + 0.5).astype(np.uint8)
    assert drawn.shape == photo.shape
    assert 0 < (drawn != photo).any(-1).mean() < 0.05  # two arrows, nothing else


@pytest.mark.parametrize("flags,message", [
    (["--landmarks", "{root}/faces.npy", "--images", "{photo}", "{photo}"], "faces of one photo"),
    (["--images", "{photo}", "--draw", "{root}/d.txt"], "cannot tell an image format"),
    (["--images", "{root}/crop.png", "--draw", "{root}/d.png"], "every --images file is a face crop"),
    (["--images", "{photo}", "--landmarks", "{root}/missing.npy"], "--landmarks: no such file"),
])
def test_bad_photo_estimate_input_is_one_line_and_exit_2(paths, capsys, flags, message):
    Image.new("RGB", (32, 32)).save(paths["root"] / "crop.png")
    flags = [f.format(root=paths["root"], photo=PHOTO) for f in flags]
    assert main(["estimate", "--checkpoint", paths["judge"], *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
