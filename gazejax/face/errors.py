"""The one error of the face front end: a photo or frame it cannot turn into a model input."""


class FaceError(ValueError):
    """No face, a face too small to normalize, unusable landmarks; the message is one line."""
