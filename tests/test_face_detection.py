"""gazejax.face with MediaPipe's face mesh on a real photo and on SynthGaze renders of known head pose.

MediaPipe 0.10.14 (the last release whose wheel carries its face models)
needs protobuf < 5, which the rest of the test environment does not allow
(docs/photos.md); these tests run where it is installed and are skipped,
saying why, where it is not.
"""

import numpy as np
import pytest
from matplotlib import cbook

from gazejax import face
from gazejax.commands.image_files import read_rgb
from gazejax.data.synthgaze import controlled_records
from gazejax.geometry import EG3D_FOCAL


def _detect(image):
    try:
        return face.detect_faces(image)
    except face.DetectorUnavailable as e:
        pytest.skip(str(e))


def test_a_real_photo_is_found_normalized_and_pasted_back_exactly():
    photo = read_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    found = _detect(photo)
    assert len(found) == 1 and found[0].shape == (478, 2)
    right, left = face.eye_centres(found[0])
    assert left[0] > right[0]  # the subject's left eye is on the image right
    k = face.camera_matrix(photo.shape[1], photo.shape[0])
    pose = face.fit_head_pose(found[0], k)
    assert pose.reprojection_error < 8.0
    spec = face.NormalizationSpec.for_size(512)
    crop = face.normalize(photo, found[0], pose, k, spec)
    right, left = face.eye_centres(crop.landmarks)
    assert abs(left[1] - right[1]) < 2.0  # the crop has no roll
    assert abs((left[0] + right[0]) / 2 - spec.size / 2) < 2.0  # and is centred between the eyes
    out, alpha = face.paste(photo, crop.image, crop, crop.face_mask)
    inside = alpha > 0
    assert 10 * np.log10(1 / np.mean((out[inside] - photo[inside]) ** 2)) >= 40.0
    assert (out[~inside] == photo[~inside]).all()


def test_head_pose_of_synthgaze_renders():
    """SynthGaze faces are found; the fitted head pose follows the true one (yaw closely, pitch with a bias)."""
    resolution, n = 256, 4
    cameras = np.array([[-0.4, 0.0], [-0.15, 0.15], [0.15, -0.15], [0.4, 0.1]], np.float32)
    records = controlled_records(0, np.arange(n), np.zeros((n, 2), np.float32), cameras, resolution)
    k = np.array([[EG3D_FOCAL * resolution, 0, resolution / 2], [0, EG3D_FOCAL * resolution, resolution / 2],
                  [0, 0, 1]])
    errors = []
    for image, truth in zip(records["image"], records["head_pose"]):
        found = _detect(image.astype(np.float32) / 255)
        assert len(found) == 1
        errors.append(np.degrees(face.fit_head_pose(found[0], k).pitchyaw - truth))
    errors = np.abs(errors)
    assert errors[:, 1].max() < 6.0  # yaw
    assert errors[:, 0].max() < 15.0  # pitch: the canonical face is tilted against SynthGaze's head frame
