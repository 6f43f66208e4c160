"""Normalized face records for the converters: the warp of a photo and what follows from it (numpy).

After ETH-XGaze data normalization the virtual camera looks at the face
centre and its x axis lies in the plane of the head's x and z axes, so the
head has no roll in the image: its rotation follows from the 2-angle head
pose alone (:func:`head_rotation_from_pose`). From it comes the EG3D camera
label of the normalized camera (:func:`camera_label`), which LiveGaze and
EG3D-style renderers condition on. Masks and eye patches come from the
68 dlib landmarks mapped into the normalized image.
"""

import numpy as np
from PIL import Image, ImageDraw

from gazejax.data import columbia
from gazejax.geometry import gaze_in_head_frame, head_pose_from_rotation, normalize_face, vector_to_pitchyaw
from gazejax.geometry.camera import EG3D_RADIUS

# Head frame (x right, y down, z into the head) -> EG3D world (y up, face toward +z).
_HEAD_TO_WORLD = np.diag([1.0, -1.0, -1.0])
JAW_AND_BROWS = list(range(0, 17)) + list(range(26, 16, -1))  # dlib-68 outline of the face


def head_rotation_from_pose(head_pose):
    """Head (pitch, yaw) ``(2,)`` in a normalized camera -> head->camera rotation ``(3, 3)``.

    The third column is the head's z axis, ``-g(pitch, yaw)`` (the head pose is
    the direction the face points, as :func:`gazejax.geometry.head_pose_from_rotation`);
    the x axis is the unit vector orthogonal to it with no y component (no roll).
    """
    pitch, yaw = np.asarray(head_pose, np.float64)
    z = np.array([np.cos(pitch) * np.sin(yaw), np.sin(pitch), np.cos(pitch) * np.cos(yaw)])
    x = np.array([z[2], 0.0, -z[0]]) / np.hypot(z[0], z[2])
    return np.stack([x, np.cross(z, x), z], axis=1)


def camera_label(head_rotation, focal, size, radius=EG3D_RADIUS):
    """EG3D label ``(25,)`` of the normalized camera, in the head-centred world.

    Args:
      head_rotation: head->normalized-camera rotation ``(3, 3)``.
      focal, size: the normalized camera's focal length and image side (px).
      radius: camera distance in world units (the face centre is the origin;
        the normalization distance becomes ``radius``).

    A frontal head gives EG3D's frontal camera: position (0, 0, radius),
    rotation diag(1, -1, -1).
    """
    m = np.asarray(head_rotation, np.float64)
    cam2world = np.eye(4)
    cam2world[:3, :3] = _HEAD_TO_WORLD @ m.T
    cam2world[:3, 3] = _HEAD_TO_WORLD @ (-m.T @ np.array([0.0, 0.0, radius]))
    k = np.array([[focal / size, 0.0, 0.5], [0.0, focal / size, 0.5], [0.0, 0.0, 1.0]])
    return np.concatenate([cam2world.ravel(), k.ravel()]).astype(np.float32)


def warp_points(warp, points):
    """Pixel points ``(K, 2)`` of the original image -> normalized image, by the 3x3 ``warp``."""
    p = np.concatenate([np.asarray(points, np.float64), np.ones((len(points), 1))], 1) @ np.asarray(warp).T
    return p[:, :2] / p[:, 2:]


def _polygon_mask(points, size):
    canvas = Image.new("L", (size, size), 0)
    ImageDraw.Draw(canvas).polygon([tuple(p) for p in np.asarray(points, np.float64)], fill=1)
    return np.asarray(canvas, np.uint8)


def landmark_masks(landmarks, size):
    """Face and eye masks ``(size, size)`` uint8 {0, 1} filled from 68 landmarks (normalized px).

    The face is the jaw line closed by the brows; the eyes are dlib's eye
    polygons. ``left`` is the subject's left eye (dlib 42-47, image right),
    as in SynthGaze. A segmentation front end replaces these with its masks.
    """
    landmarks = np.asarray(landmarks, np.float64)
    return dict(
        face_mask=_polygon_mask(landmarks[JAW_AND_BROWS], size),
        left_eye_mask=_polygon_mask(landmarks[columbia.LEFT_EYE], size),
        right_eye_mask=_polygon_mask(landmarks[columbia.RIGHT_EYE], size),
    )


def eye_patches(image, landmarks, gaze):
    """MGGR's eye-patch keys, cut from a normalized face by PRGAN's crop rule.

    Same rule and labels as ColumbiaGaze's patches (:mod:`gazejax.data.columbia`):
    the subject's right eye is mirrored and its patch gaze has its yaw negated.
    """
    landmarks = np.asarray(landmarks, np.float64)
    gaze = np.asarray(gaze, np.float32)
    return dict(
        left_eye_patch=columbia.crop_eye(image, landmarks[columbia.LEFT_EYE]),
        right_eye_patch=columbia.crop_eye(image, landmarks[columbia.RIGHT_EYE], mirror=True),
        left_eye_patch_gaze=gaze,
        right_eye_patch_gaze=gaze * np.float32([1.0, -1.0]),
    )


def warp_photo(image, warp, size):
    """Re-projects a photo by the 3x3 ``warp`` (original px -> normalized px) to ``(size, size, 3)`` uint8.

    Args:
      image: a ``PIL.Image`` (RGB).
      warp: :attr:`gazejax.geometry.Normalization.warp`.
      size: output side in pixels.

    PIL's perspective transform (bilinear) samples the photo at the inverse
    warp of each output pixel; outside the photo is black. PIL puts pixel
    centres at +0.5, OpenCV (whose convention ``K`` and the warp follow) at
    integers, hence the half-pixel shifts around the inverse warp.
    """
    shift = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    inverse = shift @ np.linalg.inv(np.asarray(warp, np.float64)) @ np.linalg.inv(shift)
    inverse = inverse / inverse[2, 2]
    out = image.transform((size, size), Image.Transform.PERSPECTIVE, tuple(inverse.ravel()[:8]),
                          resample=Image.Resampling.BILINEAR)
    return np.asarray(out, np.uint8)


def normalize_photo(image, camera_matrix, head_rotation, face_center, gaze_target, focal, distance, size):
    """ETH-XGaze data normalization of one photo and its labels (numpy out).

    Args:
      image: ``PIL.Image`` RGB photo.
      camera_matrix: its intrinsics ``(3, 3)`` px; head_rotation: head->camera ``(3, 3)``.
      face_center, gaze_target: ``(3,)`` in camera coordinates (mm).
      focal, distance, size: the normalized camera (px, mm, px).

    Returns:
      ``(record, warp)``: record has ``image`` (size, size, 3) uint8, ``gaze``
      (normalized camera, rotated by R only), ``gaze_head`` (head frame),
      ``head_pose``, ``head_rotation`` (R R_h), ``normalization_rotation`` R
      and ``camera`` (EG3D label); ``warp`` maps original pixels to normalized
      ones (for landmarks).
    """
    norm = normalize_face(camera_matrix, head_rotation, face_center, focal, distance, size)
    rotation = np.asarray(norm.rotation, np.float64)
    head = rotation @ np.asarray(head_rotation, np.float64)
    direction = rotation @ (np.asarray(gaze_target, np.float64) - np.asarray(face_center, np.float64))
    gaze = np.asarray(vector_to_pitchyaw(direction / np.linalg.norm(direction)), np.float64)
    record = dict(
        image=warp_photo(image, norm.warp, size),
        gaze=gaze,
        gaze_head=np.asarray(gaze_in_head_frame(gaze, head)),
        head_pose=np.asarray(head_pose_from_rotation(head)),
        head_rotation=head,
        normalization_rotation=rotation,
        camera=camera_label(head, focal, size),
    )
    return record, np.asarray(norm.warp, np.float64)
