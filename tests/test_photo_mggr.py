"""``gazejax redirect --image PHOTO`` (and ``--video``) with an MGGR run: eye patches cut, redirected,
the eyes pasted back.

A tiny MGGR run trained for a few steps on fake eye patches; the photo is
grace_hopper.jpg with the canonical face posed over hers as ``--landmarks``.
"""

import numpy as np
import pytest
from matplotlib import cbook
from PIL import Image

from face_poses import head_rotation, project
from gazejax import face
from gazejax.cli import main
from gazejax.commands.image_files import read_rgb
from gazejax.face.eye_patches import cut_eye_patches, paste_eye_patches
import test_photo_video

PHOTO = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


def _crop(size=128):
    photo = read_rgb(PHOTO)
    k = face.camera_matrix(photo.shape[1], photo.shape[0])
    landmarks = project(head_rotation(0.05, 0.1), (-10, -40, 350), k)
    return landmarks, face.normalize(photo, landmarks, face.fit_head_pose(landmarks, k), k,
                                     face.NormalizationSpec.for_size(size))


def test_eye_patches_are_centred_on_the_eyes_and_the_right_one_is_mirrored():
    _, crop = _crop()
    left, right = cut_eye_patches(crop.image, crop.landmarks, 32)
    assert (left.eye, left.mirrored, right.eye, right.mirrored) == ("left", False, "right", True)
    for patch, centre in zip((left, right), face.eye_centres(crop.landmarks)[::-1]):
        opening = np.argwhere(patch.mask > 0).mean(0)[::-1]  # (x, y) of the eye opening in the patch
        np.testing.assert_allclose(opening, [16, 16], atol=2.5)
        np.testing.assert_allclose(patch.affine[:, :2] @ centre + patch.affine[:, 2], [16, 16], atol=2.5)
    # the mirrored right eye's outer corner (33) lies on the patch's right, as a left eye's outer corner (263)
    outer = crop.landmarks[[263, 33]]
    assert (left.affine[:, :2] @ outer[0] + left.affine[:, 2])[0] > 16
    assert (right.affine[:, :2] @ outer[1] + right.affine[:, 2])[0] > 16
    # pasting white patches whitens the eyes and nothing far from them
    white = paste_eye_patches(crop.image, [left, right], np.ones((2, 32, 32, 3), np.float32))
    changed = (white != crop.image).any(-1)
    assert changed[crop.left_eye_mask > 0].all() and changed[crop.right_eye_mask > 0].all()
    assert changed.mean() < 0.1


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    overrides = ["--config.data.builder=test_mggr_train:fake_patch_source", "--config.num_steps=2",
                 "--config.schedule.coarse_steps=1", "--config.schedule.fine_steps=1",
                 "--config.checkpoint_every=2", "--config.sample_every=0"]
    run = str(tmp_path_factory.mktemp("mggr") / "run")
    assert main(["train", "--config", "configs/mggr.py:tiny", "--workdir", run, *overrides]) == 0
    return run


def _changed_around_the_eyes_only(before, after, landmarks):
    changed = (after != before).any(-1)
    rows, cols = np.nonzero(changed)
    assert 0 < changed.mean() < 0.05
    eyes = face.eye_centres(landmarks)
    assert rows.min() <= eyes[:, 1].min() and rows.max() >= eyes[:, 1].max()
    assert cols.min() <= eyes[:, 0].min() and cols.max() >= eyes[:, 0].max()


def test_mggr_run_redirects_the_eyes_of_a_photo(run, tmp_path, capsys):
    landmarks, _ = _crop()
    np.save(tmp_path / "face.npy", landmarks)
    out = tmp_path / "out.png"
    assert main(["redirect", "--checkpoint", run, "--image", PHOTO, "--landmarks", str(tmp_path / "face.npy"),
                 "--gaze=0.1,0.1", "--out", str(out)]) == 0
    assert "redirected the eyes of 1 face" in capsys.readouterr().out
    before = (read_rgb(PHOTO) * 255 + 0.5).astype(np.uint8)
    _changed_around_the_eyes_only(before, np.asarray(Image.open(out)), landmarks)


def test_mggr_run_redirects_the_eyes_of_every_video_frame(run, tmp_path, capsys):
    photo = read_rgb(PHOTO)[:, :510]  # even sides for the video encoder
    frames = 3
    test_photo_video._write_video(tmp_path / "in.mp4", [photo] * frames, audio=False)
    landmarks, _ = _crop()
    np.save(tmp_path / "face.npy", landmarks)
    out = tmp_path / "out.mp4"
    assert main(["redirect", "--checkpoint", run, "--video", str(tmp_path / "in.mp4"), "--landmarks",
                 str(tmp_path / "face.npy"), "--gaze=0.1,0.1", "--batch", "2", "--out", str(out)]) == 0
    assert f"{frames} frames, {frames} faces redirected" in capsys.readouterr().out
    before, _ = test_photo_video._decoded(tmp_path / "in.mp4")
    after, _ = test_photo_video._decoded(out)
    assert len(after) == frames
    # the same frame as a photo: where the photo path changes pixels, the video changes them too
    Image.fromarray((before[0] * 255 + 0.5).astype(np.uint8)).save(tmp_path / "frame.png")
    assert main(["redirect", "--checkpoint", run, "--image", str(tmp_path / "frame.png"), "--landmarks",
                 str(tmp_path / "face.npy"), "--gaze=0.1,0.1", "--out", str(tmp_path / "frame_out.png")]) == 0
    photo_out = np.asarray(Image.open(tmp_path / "frame_out.png"), np.float32) / 255
    eyes = np.abs(photo_out - before[0]).max(-1) > 0.05
    assert 0 < eyes.mean() < 0.05
    for b, a in zip(before, after):  # elsewhere only the codec's noise
        difference = np.abs(a - b).mean(-1)
        assert difference[eyes].mean() > 3 * difference[~eyes].mean()
        assert np.abs(a - photo_out)[eyes].mean() < np.abs(b - photo_out)[eyes].mean()


def test_frames_with_varying_face_counts_share_one_padded_batch_shape(run):
    from gazejax.methods.mggr.inference import EyeFrameRedirector, EyeRedirector  # noqa: PLC0415

    frames = EyeFrameRedirector(EyeRedirector.from_workdir(run))
    shapes, model = [], frames.redirector

    class Recording:  # the model, noting the batch shape of every call
        patch_size = model.patch_size

        def __call__(self, patches, *angles):
            shapes.append(np.shape(patches))
            return model(patches, *angles)

    frames.redirector = Recording()
    photo = read_rgb(PHOTO)
    landmarks, _ = _crop()
    prepared = face.prepare_faces(photo, face.camera_matrix(photo.shape[1], photo.shape[0]), frames.spec, [landmarks])
    alone = frames.redirect_frames([photo], [prepared], gaze=(0.1, 0.1))[0]
    three = frames.redirect_frames([photo] * 3, [prepared] * 3, gaze=(0.1, 0.1))
    frames.redirect_frames([photo] * 4, [prepared] * 4, gaze=(0.1, 0.1))
    p = model.patch_size
    assert shapes == [(2, p, p, 3), (8, p, p, 3), (8, p, p, 3)]  # 6 and 8 patches: one shape
    for result in three:  # the padding rows change nothing
        np.testing.assert_allclose(result.image, alone.image, atol=1e-5)
