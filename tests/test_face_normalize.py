"""gazejax.face normalization and paste-back: canonical eye positions, masks, and an exact identity paste.

The landmarks are MediaPipe's canonical face model projected with a known
pose (no detector involved), so what is tested is the geometry: the PnP fit,
the normalization warp, the contour masks and the inverse warp and blend.
"""

import numpy as np
import pytest
from matplotlib import cbook

from face_poses import facing_camera, head_rotation, project
from gazejax import face
from gazejax.commands.image_files import read_rgb
from gazejax.face.face_model import FACE_CENTRE

SPEC = face.NormalizationSpec.for_size(128)


def _canonical_eye_centres(spec):
    """Where the eyes of a frontal canonical face land in the crop: face centre straight ahead at the distance."""
    k_n = np.array([[spec.focal, 0, spec.size / 2], [0, spec.focal, spec.size / 2], [0, 0, 1]])
    return face.eye_centres(project(np.eye(3), np.array([0, 0, spec.distance]) - FACE_CENTRE, k_n))


@pytest.mark.parametrize("position", [(0, 0, 600), (200, -120, 900), (-150, 90, 450)])
def test_eyes_of_a_face_looking_at_the_camera_land_on_canonical_positions(position):
    k = face.camera_matrix(1920, 1080)
    rotation = facing_camera(position)  # position is the face centre's
    landmarks = project(rotation, np.asarray(position) - rotation @ FACE_CENTRE, k)
    pose = face.fit_head_pose(landmarks, k)
    crop = face.normalize(np.zeros((1080, 1920, 3), np.float32), landmarks, pose, k, SPEC)
    np.testing.assert_allclose(face.eye_centres(crop.landmarks), _canonical_eye_centres(SPEC), atol=2.0)
    np.testing.assert_allclose(crop.head_pose, [0.0, 0.0], atol=0.01)


def test_masks_follow_the_contours_and_the_subjects_left_eye_is_on_the_image_right():
    k = face.camera_matrix(640, 480)
    landmarks = project(head_rotation(0.1, -0.2), (10, 20, 600), k)
    crop = face.normalize(np.ones((480, 640, 3), np.float32), landmarks, face.fit_head_pose(landmarks, k), k, SPEC)
    for eye in (crop.left_eye_mask, crop.right_eye_mask):
        assert 10 < eye.sum() < 0.05 * SPEC.size ** 2
        assert (crop.face_mask[eye > 0] == 1).all()  # the eyes lie inside the face oval
    assert 0.2 < crop.face_mask.mean() < 0.8
    left_x = np.nonzero(crop.left_eye_mask)[1].mean()
    right_x = np.nonzero(crop.right_eye_mask)[1].mean()
    assert left_x > SPEC.size / 2 > right_x
    # the crop of an all-white photo is white inside the face
    assert crop.image[crop.face_mask > 0].min() == pytest.approx(1.0, abs=1e-5)


def test_a_face_too_small_for_the_crop_is_refused():
    k = face.camera_matrix(4000, 3000)
    landmarks = project(np.eye(3), (0, 0, 20000), k)  # 20 m away: eyes ~9 px apart
    with pytest.raises(face.FaceError, match="face too small"):
        face.normalize(np.zeros((3000, 4000, 3), np.float32), landmarks, face.fit_head_pose(landmarks, k), k,
                       face.NormalizationSpec.for_size(512))


def _psnr(a, b):
    return 10 * np.log10(1.0 / np.mean((a - b) ** 2))


def test_identity_paste_back_reproduces_a_real_photo():
    """matplotlib's grace_hopper.jpg, a canonical face posed over hers; the 'model' returns its input."""
    photo = read_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    height, width = photo.shape[:2]
    k = face.camera_matrix(width, height)
    landmarks = project(head_rotation(0.05, 0.1), (-10, -40, 350), k)
    pose = face.fit_head_pose(landmarks, k)
    spec = face.NormalizationSpec.for_size(512)
    crop = face.normalize(photo, landmarks, pose, k, spec)
    out, alpha = face.paste(photo, crop.image, crop, crop.face_mask)
    inside = alpha > 0
    assert inside.mean() > 0.1
    assert _psnr(out[inside], photo[inside]) >= 40.0
    as_bytes = (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)
    original = (photo * 255 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(as_bytes[~inside], original[~inside])


def test_paste_puts_the_model_output_inside_the_mask_only():
    photo = np.full((300, 400, 3), 0.25, np.float32)
    k = face.camera_matrix(400, 300)
    landmarks = project(np.eye(3), (0, 0, 400), k)
    crop = face.normalize(photo, landmarks, face.fit_head_pose(landmarks, k), k, SPEC)
    white = np.ones_like(crop.image)
    out, alpha = face.paste(photo, white, crop, face.region_mask(crop, "eyes"))
    assert out.max() == pytest.approx(1.0, abs=0.02)  # the eye centres are fully pasted
    assert (out[alpha == 0] == 0.25).all()
    assert 0 < (alpha > 0).sum() < 0.2 * (face.paste(photo, white, crop, crop.face_mask)[1] > 0).sum()
    eye_pixels = np.round(face.eye_centres(landmarks)).astype(int)
    assert (alpha[eye_pixels[:, 1], eye_pixels[:, 0]] > 0.9).all()
