"""Photos and video frames in, model inputs out, and back: the face front end (docs/photos.md).

    from gazejax import face
    landmarks = face.detect_faces(photo)[0]            # (478, 2) px, MediaPipe face mesh
    K = face.camera_matrix(width, height)              # or face.read_calibration(path)
    pose = face.fit_head_pose(landmarks, K)            # R_h, face centre, pose.pitchyaw
    crop = face.normalize(photo, landmarks, pose, K, face.NormalizationSpec.for_size(512))
    crop.image, crop.face_mask, crop.left_eye_mask, crop.head_pose
    out, alpha = face.paste(photo, redirected, crop, face.region_mask(crop, "eyes"))

Everything here is numpy (OpenCV warps and PnP); images are float32 RGB in
[0, 1], pixels are (x right, y down). The gaze the user gives in the photo's
camera frame reaches a model through :mod:`gazejax.face.frames`; eye patches for
MGGR are in :mod:`gazejax.face.eye_patches`, video I/O in :mod:`gazejax.face.video`.
"""

from gazejax.face.detection import DetectorUnavailable, detect_faces
from gazejax.face.errors import FaceError
from gazejax.face.frames import camera_gaze, eg3d_view, faces_model_gaze, look_at_camera_gaze, model_gaze
from gazejax.face.head_pose import HeadPose, fit_head_pose
from gazejax.face.intrinsics import camera_matrix, read_calibration
from gazejax.face.mesh import eye_centres
from gazejax.face.normalized import NormalizationSpec, NormalizedFace, normalize
from gazejax.face.paste import REGIONS, paste, region_mask
from gazejax.face.pipeline import PreparedFace, RedirectedFrame, pad_to_power_of_two, paste_frames, prepare_faces
from gazejax.face.smoothing import LandmarkSmoother

__all__ = [
    "REGIONS", "DetectorUnavailable", "FaceError", "HeadPose", "LandmarkSmoother", "NormalizationSpec",
    "NormalizedFace", "PreparedFace", "RedirectedFrame", "camera_gaze", "camera_matrix", "detect_faces", "eg3d_view", "eye_centres",
    "faces_model_gaze", "fit_head_pose", "look_at_camera_gaze", "model_gaze", "normalize", "pad_to_power_of_two",
    "paste", "paste_frames",
    "prepare_faces", "read_calibration", "region_mask",
]
