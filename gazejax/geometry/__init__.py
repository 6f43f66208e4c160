"""Gaze, head-pose and camera geometry: the project's conventions, in one place.

Everything in gazejax speaks these conventions; foreign ones are converted in
exactly one function each (:mod:`gazejax.geometry.conventions`).

- Gaze and head angles are ``(pitch, yaw)`` in radians (ETH-XGaze): for a
  unit direction ``g`` in an OpenCV frame (x right, y down, z forward),
  ``pitch = asin(-g_y)``, ``yaw = atan2(-g_x, -g_z)``; (0, 0) looks straight
  into the camera, positive pitch looks up, positive yaw looks toward the
  camera's -x (image left).
- Cameras are EG3D 25-vectors (:mod:`gazejax.geometry.camera`).

The package is split by concern: ``gaze`` (angles, vectors, rotations),
``head`` (head pose), ``camera`` (EG3D labels and rays), ``normalization``
(ETH-XGaze data normalization) and ``conventions`` (foreign conventions).
"""

from gazejax.geometry.camera import (
    EG3D_FOCAL,
    EG3D_RADIUS,
    camera_angles,
    camera_from_label,
    camera_label,
    eg3d_rays,
    lookat_rotation,
)
from gazejax.geometry.conventions import (
    columbia_filename_to_labels,
    from_eg3d_sampler_angles,
    from_gazenerf,
    from_gaze360,
    from_l2cs,
    from_prgan,
    to_gazenerf,
    to_prgan,
)
from gazejax.geometry.gaze import (
    angular_error,
    gaze_rotation,
    pitchyaw_to_vector,
    rotation_x,
    rotation_y,
    rotation_z,
    vector_to_pitchyaw,
)
from gazejax.geometry.head import gaze_in_head_frame, head_pose_from_rotation
from gazejax.geometry.normalization import Normalization, normalize_face

__all__ = [
    "EG3D_FOCAL",
    "EG3D_RADIUS",
    "Normalization",
    "angular_error",
    "camera_angles",
    "camera_from_label",
    "camera_label",
    "columbia_filename_to_labels",
    "eg3d_rays",
    "from_eg3d_sampler_angles",
    "from_gazenerf",
    "from_gaze360",
    "from_l2cs",
    "from_prgan",
    "gaze_in_head_frame",
    "gaze_rotation",
    "head_pose_from_rotation",
    "lookat_rotation",
    "normalize_face",
    "pitchyaw_to_vector",
    "rotation_x",
    "rotation_y",
    "rotation_z",
    "to_gazenerf",
    "to_prgan",
    "vector_to_pitchyaw",
]
