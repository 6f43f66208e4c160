"""Normalized-face helpers of the converters: warp, head rotation, camera label, landmark masks."""

import math

import numpy as np
from PIL import Image

from gazejax.data import normalized_face
from gazejax.geometry import camera_angles, head_pose_from_rotation


def test_warp_photo_samples_at_the_inverse_warp_in_opencv_pixel_centres():
    ramp = np.tile((10 * np.arange(24))[None, :, None], (8, 1, 3)).astype(np.uint8)  # value 10 x
    out = normalized_face.warp_photo(Image.fromarray(ramp), np.diag([2.0, 2.0, 1.0]), 16)
    # output pixel x samples the photo at x / 2: value 5 x
    np.testing.assert_allclose(out[4, 2:15, 0], 5.0 * np.arange(2, 15), atol=1.0)


def test_head_rotation_from_pose_inverts_head_pose_and_has_no_roll():
    for pose in ([0.0, 0.0], [0.3, -0.5], [-0.4, 0.8]):
        rotation = normalized_face.head_rotation_from_pose(pose)
        np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(rotation) > 0 and abs(rotation[1, 0]) < 1e-12  # head x axis: no y part
        np.testing.assert_allclose(head_pose_from_rotation(rotation), pose, atol=1e-6)


def test_camera_label_of_a_frontal_and_a_turned_head():
    frontal = normalized_face.camera_label(np.eye(3), focal=960.0, size=224)
    np.testing.assert_allclose(frontal[:16].reshape(4, 4)[:3, :3], np.diag([1.0, -1.0, -1.0]), atol=1e-7)
    np.testing.assert_allclose(frontal[[3, 7, 11]], [0.0, 0.0, 2.7], atol=1e-6)
    assert frontal[16] == np.float32(960 / 224) and frontal[18] == 0.5
    # the head pitched up by 0.2 rad: the camera sits below the face, looking up (world y is up)
    turned = normalized_face.camera_label(normalized_face.head_rotation_from_pose([0.2, 0.0]), 960.0, 224)
    np.testing.assert_allclose(turned[[3, 7, 11]], 2.7 * np.array([0.0, -math.sin(0.2), math.cos(0.2)]),
                               atol=1e-6)
    np.testing.assert_allclose(camera_angles(turned), [0.0, -0.2], atol=1e-6)


def test_landmark_masks_fill_the_polygons():
    landmarks = np.zeros((68, 2))
    landmarks[42:48] = [[20, 10], [22, 8], [26, 8], [28, 10], [26, 12], [22, 12]]  # subject's left eye
    landmarks[36:42] = [[4, 10], [6, 8], [10, 8], [12, 10], [10, 12], [6, 12]]
    masks = normalized_face.landmark_masks(landmarks, 32)
    assert masks["left_eye_mask"][10, 24] == 1 and masks["left_eye_mask"][10, 8] == 0
    assert masks["right_eye_mask"][10, 8] == 1 and masks["right_eye_mask"].dtype == np.uint8
