"""Faces with known head poses for the tests (the posing lives in :mod:`gazejax.face.posed_face`)."""

from gazejax.face.posed_face import facing_camera, head_rotation, project

__all__ = ["facing_camera", "head_rotation", "project"]
