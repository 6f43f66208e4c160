"""``gazejax redirect --image PHOTO`` and LiveGaze's FrameRedirector on a real photo.

The photo is matplotlib's grace_hopper.jpg; its face landmarks are MediaPipe's
canonical face posed over hers and given with ``--landmarks`` (the detector is
optional, see docs/photos.md). The LiveGaze run is tiny and untrained: what is
tested is the path photo -> crops -> model -> paste-back, not the redirection.
"""

import jax
import numpy as np
import pytest
from matplotlib import cbook
from PIL import Image

import livegaze_tiny
from face_poses import head_rotation, project
from gazejax import face
from gazejax.cli import main
from gazejax.commands.image_files import read_rgb
from gazejax.methods.livegaze import training as livegaze
from gazejax.methods.livegaze.inference import FrameRedirector, Redirector
from gazejax.train import checkpointing

PHOTO = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


def _landmarks(pose=(0.05, 0.1), position=(-10, -40, 350)):
    photo = read_rgb(PHOTO)
    k = face.camera_matrix(photo.shape[1], photo.shape[0])
    return project(head_rotation(*pose), position, k)


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("photo_redirect")
    config = livegaze_tiny.config()
    batch = livegaze_tiny.pair_batch()
    state = jax.jit(lambda k: livegaze.init(config, k, batch))(jax.random.key(0))
    run = root / "run"
    run.mkdir()
    (run / "config.json").write_text(config.to_json_best_effort())
    saved = checkpointing.Checkpoints(run, keep=1)
    saved.save(state, jax.random.key(1), 0)
    saved.close()
    np.save(root / "face.npy", _landmarks())
    np.save(root / "tiny_face.npy", _landmarks(position=(0, 0, 20000)))
    np.save(root / "no_face.npy", np.zeros((0, 468, 2)))
    truncated = root / "truncated.jpg"
    truncated.write_bytes(open(PHOTO, "rb").read()[:5000])
    return {"root": root, "run": str(run), "face": str(root / "face.npy")}


def _bytes(image):
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def _redirect(paths, out, *flags):
    return main(["redirect", "--checkpoint", paths["run"], "--image", PHOTO, "--landmarks", paths["face"],
                 "--out", str(out), *flags])


def test_photo_is_redirected_in_the_face_only_and_debug_files_are_written(paths):
    out, debug = paths["root"] / "out.png", paths["root"] / "debug"
    assert _redirect(paths, out, "--gaze=0.1,0.1", "--debug-dir", str(debug)) == 0
    before, after = _bytes(read_rgb(PHOTO)), np.asarray(Image.open(out))
    assert after.shape == before.shape
    changed = (after != before).any(-1)
    assert 0.02 < changed.mean() < 0.5
    rows, cols = np.nonzero(changed)
    eyes = face.eye_centres(_landmarks())
    assert rows.min() < eyes[:, 1].min() < rows.max() and cols.min() < eyes[:, 0].min() < cols.max()
    for name in ("crop", "landmarks", "face_mask", "eye_masks", "output"):
        assert Image.open(debug / f"face0_{name}.png").size == (livegaze_tiny.RESOLUTION,) * 2
    assert "head_pose_camera" in (debug / "face0_pose.json").read_text()


def test_eyes_region_changes_less_than_the_face(paths):
    face_out, eyes_out = paths["root"] / "face_region.png", paths["root"] / "eyes_region.png"
    assert _redirect(paths, face_out, "--look-at-camera") == 0
    assert _redirect(paths, eyes_out, "--look-at-camera", "--region", "eyes") == 0
    before = _bytes(read_rgb(PHOTO))
    changed = {p: (np.asarray(Image.open(p)) != before).any(-1).sum() for p in (face_out, eyes_out)}
    assert 0 < changed[eyes_out] < 0.3 * changed[face_out]


def test_frame_redirector_keeps_every_pixel_outside_the_paste_mask(paths):
    frames = FrameRedirector(Redirector.from_workdir(paths["run"]))
    photo = read_rgb(PHOTO)
    k = face.camera_matrix(photo.shape[1], photo.shape[0])
    faces = face.prepare_faces(photo, k, frames.spec, [_landmarks()])
    result = frames(photo, gaze=(0.0, 0.2), faces=faces)
    assert result.outputs.shape == (1, livegaze_tiny.RESOLUTION, livegaze_tiny.RESOLUTION, 3)
    np.testing.assert_array_equal(result.image[result.alpha == 0], photo[result.alpha == 0])
    assert np.abs(result.image - photo)[result.alpha > 0.5].mean() > 0.01
    # gaze (0, 0.2) in the camera frame of a head turned to yaw 0.1 is about yaw 0.1 in the head frame
    assert result.gaze[0, 1] == pytest.approx(0.1, abs=0.03)
    empty = frames(photo, gaze=(0.0, 0.0), faces=[])
    np.testing.assert_array_equal(empty.image, photo)


@pytest.mark.parametrize("flags,message", [
    (["--landmarks", "{root}/no_face.npy", "--gaze=0,0"], "no face found in"),
    (["--landmarks", "{root}/tiny_face.npy", "--gaze=0,0"], "face too small"),
    (["--gaze=0,0.9"], "outside the model's training range"),
    (["--gaze=nan,0"], "--gaze pitch must be a finite number"),
    (["--gaze=0,0", "--focal", "inf"], "--focal must be a finite positive number"),
    (["--gaze=0,0", "--image", "{root}/truncated.jpg"], "cannot read image"),
    (["--gaze=0,0", "--look-at-camera"], "not both"),
    (["--gaze=0,0", "--sweep", "{root}/s.png"], "apply to normalized crops"),
])
def test_bad_photo_input_is_one_line_and_exit_2(paths, capsys, flags, message):
    flags = [f.format(root=paths["root"]) for f in flags]
    out = paths["root"] / "refused.png"
    assert _redirect(paths, out, *flags) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_extrapolation_is_allowed_on_request(paths):
    assert _redirect(paths, paths["root"] / "far.png", "--gaze=0,0.9", "--allow-extrapolation") == 0
