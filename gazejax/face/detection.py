"""Faces and their mesh landmarks in a photo, by MediaPipe's face mesh (optional; see docs/photos.md).

``detect_faces(image)`` returns one ``(478, 2)`` pixel landmark array per face
(iris included), largest face first. It runs MediaPipe's legacy ``FaceMesh``
(static images, iris refinement), the one release line whose wheel carries
its models and so runs offline. Landmarks from any other detector in the
same 468/478-point topology can be given to the rest of :mod:`gazejax.face`
instead (``--landmarks`` on the command line).
"""

import numpy as np

from gazejax.face.errors import FaceError

MAX_FACES = 8
MIN_DETECTION_CONFIDENCE = 0.5


class DetectorUnavailable(FaceError):
    """MediaPipe is not installed, or not a version whose face mesh runs here."""


def detect_faces(image, max_faces=MAX_FACES):
    """Landmarks ``[(478, 2) float64, ...]`` of the faces in ``image (H, W, 3)`` float in [0, 1].

    Raises:
      DetectorUnavailable: one line saying what to install.
    """
    try:
        import mediapipe  # noqa: PLC0415

        face_mesh = mediapipe.solutions.face_mesh
    except (ImportError, AttributeError) as e:
        raise DetectorUnavailable(
            "finding faces needs MediaPipe's face mesh (mediapipe 0.10.14, see docs/photos.md), which is "
            f"not usable here ({type(e).__name__}); or give the landmarks with --landmarks") from None
    rgb = np.ascontiguousarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
    height, width = rgb.shape[:2]
    try:
        with face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces=max_faces,
                                min_detection_confidence=MIN_DETECTION_CONFIDENCE) as mesh:
            result = mesh.process(rgb)
    except (AttributeError, TypeError) as e:  # a protobuf runtime newer than its generated code
        raise DetectorUnavailable(f"MediaPipe's face mesh does not run with the installed protobuf "
                                  f"({type(e).__name__}: {e}); see docs/photos.md") from None
    faces = [np.array([(p.x * width, p.y * height) for p in face.landmark], np.float64)
             for face in (result.multi_face_landmarks or [])]
    return sorted(faces, key=lambda f: -np.ptp(f[:, 0]) * np.ptp(f[:, 1]))
