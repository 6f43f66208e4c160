"""A rigid 3D face for the head-pose fit: MediaPipe's canonical face model.

``canonical_face_model.txt`` holds its 468 vertices in face-mesh order, in
millimetres in the head frame of docs/conventions.md (x = image right of a
frontal face, y down, z into the head), converted from MediaPipe's
``canonical_face_model.obj`` (Apache-2.0; see the file's header). Its outer
eye corners are 88.9 mm apart.

The fit uses only points that move little with expression (:data:`PNP_INDICES`):
eye corners and lids, the nose, mouth corners, chin, forehead and the sides
of the face.
"""

import importlib.resources

import numpy as np

CANONICAL_FACE = np.loadtxt(importlib.resources.files(__package__) / "canonical_face_model.txt")
PNP_INDICES = (33, 133, 362, 263, 160, 158, 144, 153, 385, 387, 380, 373, 168, 6, 197, 195, 5, 4, 1, 98, 327,
               61, 291, 0, 17, 152, 10, 151, 234, 454, 127, 356)
# ETH-XGaze's face centre: the mean of the four eye corners and the two nose wings
FACE_CENTRE_INDICES = (33, 133, 362, 263, 98, 327)
FACE_CENTRE = CANONICAL_FACE[list(FACE_CENTRE_INDICES)].mean(axis=0)
