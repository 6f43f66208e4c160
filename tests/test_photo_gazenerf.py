"""``gazejax redirect --image PHOTO`` with a GazeNeRF run: each face fitted from the photo, pasted back.

A tiny GazeNeRF run trained for two steps on fake SynthGaze records; the
photo is grace_hopper.jpg with the canonical face posed over hers as
``--landmarks``. What is tested is the path (record from the crop, fit,
render, paste), not the quality.
"""

import numpy as np
import pytest
from matplotlib import cbook
from PIL import Image

import fake_synthgaze
from face_poses import head_rotation, project
from gazejax import face
from gazejax.cli import main
from gazejax.commands.image_files import read_rgb

PHOTO = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("photo_gazenerf")
    overrides = [f"--config.{a}" for a in [
        f"model.iden_dim={fake_synthgaze.SHAPE_DIM}", f"model.expr_dim={fake_synthgaze.EXPRESSION_DIM}",
        f"model.text_dim={fake_synthgaze.TEXTURE_DIM}", f"model.illu_dim={fake_synthgaze.ILLUMINATION_DIM}",
        "data.builder=test_gazenerf_train:make_source", "num_steps=2", "checkpoint_every=2", "sample_every=0"]]
    assert main(["train", "--config", "configs/gazenerf.py:tiny", "--workdir", str(root / "run"), *overrides]) == 0
    photo = read_rgb(PHOTO)
    k = face.camera_matrix(photo.shape[1], photo.shape[0])
    np.save(root / "face.npy", project(head_rotation(0.05, 0.1), (-10, -40, 350), k))
    return root


def test_a_photo_face_is_fitted_redirected_and_pasted_back(run, capsys):
    out, debug = run / "out.png", run / "debug"
    assert main(["redirect", "--checkpoint", str(run / "run"), "--image", PHOTO, "--landmarks",
                 str(run / "face.npy"), "--gaze=0.05,0.2", "--fit-steps", "1", "--region", "eyes",
                 "--debug-dir", str(debug), "--out", str(out)]) == 0
    assert "fitted 1 steps" in capsys.readouterr().out
    before = (read_rgb(PHOTO) * 255 + 0.5).astype(np.uint8)
    after = np.asarray(Image.open(out))
    changed = (after != before).any(-1)
    assert after.shape == before.shape and 0 < changed.mean() < 0.05  # the eyes only
    assert Image.open(debug / "face0_output.png").size == (32, 32)


def test_photo_and_h5_together_are_refused(run, capsys):
    assert main(["redirect", "--checkpoint", str(run / "run"), "--image", PHOTO, "--h5", str(run / "x.h5"),
                 "--gaze=0,0", "--out", str(run / "refused.png")]) == 2
    assert "not both" in capsys.readouterr().err
