"""gazejax.face head pose: the PnP fit recovers known poses of the canonical face, intrinsics are read."""

import numpy as np
import pytest

from face_poses import facing_camera, head_rotation, project
from gazejax import face
from gazejax.face.face_model import FACE_CENTRE


def _angle_deg(a, b):
    return np.degrees(np.arccos(np.clip((np.trace(a.T @ b) - 1) / 2, -1, 1)))


@pytest.mark.parametrize("pitch,yaw,position", [
    (0.0, 0.0, (0, 0, 600)), (0.2, -0.3, (80, -40, 700)), (-0.25, 0.45, (-120, 60, 500)),
])
def test_fit_recovers_a_known_pose_from_noisy_landmarks(pitch, yaw, position):
    k = face.camera_matrix(1280, 720)
    rotation = head_rotation(pitch, yaw)
    landmarks = project(rotation, position, k) + np.random.default_rng(0).normal(0, 0.5, (468, 2))
    pose = face.fit_head_pose(landmarks, k)
    assert _angle_deg(pose.rotation, rotation) < 1.5
    np.testing.assert_allclose(pose.pitchyaw, [pitch, yaw], atol=0.03)
    # within 1 cm at 50-70 cm: depth is what half-pixel noise blurs most
    np.testing.assert_allclose(pose.face_centre, rotation @ FACE_CENTRE + position, atol=10.0)
    assert pose.reprojection_error < 1.0


def test_head_pose_signs_follow_the_conventions():
    """A face turned toward image left has a positive yaw; the sign is what docs/conventions.md says."""
    k = face.camera_matrix(640, 480)
    landmarks = project(head_rotation(0.0, 0.4), (0, 0, 600), k)
    nose, face_centre = landmarks[1], landmarks[[33, 263]].mean(0)
    assert nose[0] < face_centre[0]  # the nose tip moved toward image left
    assert face.fit_head_pose(landmarks, k).pitchyaw[1] > 0.3


def test_look_at_camera_is_zero_in_the_normalized_frame():
    k = face.camera_matrix(1280, 720)
    position = np.array([150.0, -60.0, 650.0])
    landmarks = project(facing_camera(position), position, k)
    pose = face.fit_head_pose(landmarks, k)
    crop = face.normalize(np.zeros((720, 1280, 3), np.float32), landmarks, pose, k,
                          face.NormalizationSpec.for_size(64))
    gaze = face.look_at_camera_gaze(pose.face_centre)
    assert np.abs(gaze).max() > 0.05  # off-centre face: not (0, 0) in the camera frame
    np.testing.assert_allclose(crop.gaze_to_normalized(gaze), [0.0, 0.0], atol=1e-5)
    np.testing.assert_allclose(crop.gaze_to_camera(crop.gaze_to_normalized(gaze)), gaze, atol=1e-5)


def test_model_gaze_is_the_head_frame_gaze_in_photo_and_crop():
    rotation = head_rotation(0.1, 0.3)
    gaze = np.array([0.2, -0.1])
    head_gaze = face.model_gaze(gaze, rotation)
    np.testing.assert_allclose(face.camera_gaze(head_gaze, rotation), gaze, atol=1e-5)
    np.testing.assert_allclose(face.model_gaze(gaze, np.eye(3)), gaze, atol=1e-6)
    assert np.abs(head_gaze - gaze).max() > 0.1


def test_eg3d_view_of_a_turned_head():
    """A head turned to yaw y is seen from the orbit at camera yaw y; facing up, from below."""
    yaw, pitch = face.eg3d_view(head_rotation(0.0, 0.3))
    assert yaw == pytest.approx(0.3, abs=1e-5) and pitch == pytest.approx(0.0, abs=1e-5)
    yaw, pitch = face.eg3d_view(head_rotation(0.2, 0.0))
    assert yaw == pytest.approx(0.0, abs=1e-5) and pitch == pytest.approx(-0.2, abs=1e-5)


def test_default_and_calibrated_intrinsics(tmp_path):
    import cv2

    k = face.camera_matrix(640, 480)
    np.testing.assert_allclose(k, [[640, 0, 320], [0, 640, 240], [0, 0, 1]])
    calibrated = np.array([[900.0, 0, 300], [0, 905, 250], [0, 0, 1]])
    path = tmp_path / "cam.yaml"
    storage = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
    storage.write("camera_matrix", calibrated)
    storage.release()
    np.testing.assert_allclose(face.read_calibration(path), calibrated)
    (tmp_path / "empty.yaml").write_text("%YAML:1.0\n---\nother: 1\n")
    with pytest.raises(ValueError, match="no camera_matrix or Camera_Matrix node"):
        face.read_calibration(tmp_path / "empty.yaml")
    with pytest.raises(ValueError, match="positive number of pixels"):
        face.camera_matrix(640, 480, focal=float("nan"))


@pytest.mark.parametrize("landmarks,message", [
    (np.zeros((68, 2)), "468 or 478"), (np.full((468, 2), np.nan), "NaN or inf"),
])
def test_bad_landmarks_are_one_line_errors(landmarks, message):
    with pytest.raises(ValueError, match=message):
        face.fit_head_pose(landmarks, face.camera_matrix(640, 480))
