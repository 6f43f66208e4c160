"""Faces and their mesh landmarks in a photo: MediaPipe's face mesh run with LiteRT (docs/photos.md).

``detect_faces(image)`` returns one ``(478, 2)`` pixel landmark array per face,
largest face first, as MediaPipe's legacy ``FaceMesh`` (static images,
``refine_landmarks=True``) gives them: 468 mesh points, then 5 iris points
(centre, then contour) of the subject's right eye and 5 of the left. The models
are those of the mediapipe 0.10.14 wheel (:mod:`gazejax.face.mediapipe_models`),
the steps MediaPipe's:

1. BlazeFace finds faces (:mod:`gazejax.face.blazeface`);
2. each face's box, squared, 1.5 times as wide and turned so that the eyes are
   level, is cut out at 192x192 for the attention face-mesh model, whose
   custom operators run in numpy (:mod:`gazejax.face.mediapipe_operators`);
3. the model's lips, eye and iris outputs replace or extend its 468 mesh points,
   and all are mapped back to the photo.

Landmarks from any other detector in this topology can be given to the rest of
:mod:`gazejax.face` instead (``--landmarks`` on the command line).
"""

import functools
from typing import NamedTuple

import numpy as np

from gazejax.face import blazeface
from gazejax.face.errors import FaceError
from gazejax.face.mediapipe_models import ModelFilesUnavailable, model_paths
from gazejax.face.rotated_square import RotatedSquare, eye_line_angle

MAX_FACES = 8
MIN_DETECTION_CONFIDENCE = 0.5
MIN_FACE_PRESENCE = 0.5
MESH_INPUT_SIZE = 192
MESH_POINTS = 468
FACE_REGION_SCALE = 1.5
# A refined region's points replace the mesh points its crop was made from: the subset of the
# model's Landmarks2TransformMatrix operator whose rotation starts at this mesh point.
REFINED_REGIONS = {"output_lips": 61, "output_left_eye": 33, "output_right_eye": 362}
IRIS_OUTPUTS = ("output_left_iris", "output_right_iris")  # points 468-472, then 473-477


class DetectorUnavailable(FaceError):
    """The LiteRT runtime or the MediaPipe model files are not available here."""


class _FaceMeshModels(NamedTuple):
    face_detection: object  # LiteRTModel
    face_landmark: object  # LiteRTModel
    refined_points: dict  # output name → mesh point indices it replaces


def detect_faces(image, max_faces=MAX_FACES):
    """Landmarks ``[(478, 2) float64, ...]`` of the faces in ``image (H, W, 3)`` float in [0, 1].

    Raises:
      DetectorUnavailable: one line saying what to install or fetch.
    """
    models = _face_mesh_models()
    rgb = np.ascontiguousarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
    faces = []
    for found in blazeface.find_faces(models.face_detection, rgb, MIN_DETECTION_CONFIDENCE)[:max_faces]:
        region = RotatedSquare.around(found.box_min, found.box_max, FACE_REGION_SCALE,
                                      eye_line_angle(found.keypoints[0], found.keypoints[1]))
        outputs = models.face_landmark(region.cut(rgb, MESH_INPUT_SIZE) / np.float32(255))
        if 1 / (1 + np.exp(-float(outputs["conv_faceflag"].item()))) < MIN_FACE_PRESENCE:
            continue
        mesh = outputs["output_mesh_identity"].reshape(MESH_POINTS, 3)[:, :2].copy()
        for name, indices in models.refined_points.items():
            mesh[indices] = outputs[name].reshape(-1, 2)
        points = np.concatenate([mesh, *(outputs[name].reshape(-1, 2) for name in IRIS_OUTPUTS)])
        faces.append(region.to_image(points.astype(np.float64), MESH_INPUT_SIZE))
    return sorted(faces, key=lambda f: -np.ptp(f[:, 0]) * np.ptp(f[:, 1]))


@functools.cache
def _face_mesh_models():
    try:
        from gazejax.face.litert_model import LiteRTModel  # noqa: PLC0415
    except ImportError:
        raise DetectorUnavailable("finding faces needs the LiteRT runtime: pip install -e '.[face]' "
                                  "(docs/photos.md), or give the landmarks with --landmarks") from None
    from gazejax.face.mediapipe_operators import OPERATORS  # noqa: PLC0415

    try:
        paths = model_paths()
    except ModelFilesUnavailable as e:
        raise DetectorUnavailable(str(e)) from None
    mesh = LiteRTModel(paths["face_landmark"], OPERATORS)
    subsets = {options["left_rotation_idx"]: options["subset_idxs"]
               for options in mesh.custom_options("Landmarks2TransformMatrix")}
    return _FaceMeshModels(LiteRTModel(paths["face_detection"]), mesh,
                           {name: np.asarray(subsets[first]) for name, first in REFINED_REGIONS.items()})
