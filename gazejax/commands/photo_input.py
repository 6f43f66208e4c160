"""Photos on the command line: the face front end's flags, and its failures as one-line errors.

Used by ``gazejax redirect`` and ``gazejax estimate`` on whole photos
(docs/photos.md). ``--landmarks`` takes the faces' landmarks from a file
instead of the detector: a ``.npy`` or ``.json`` array of shape ``(N, 2)``
(one face) or ``(F, N, 2)``, pixels in MediaPipe's 468/478-point order.
"""

import json
import math
import pathlib

from gazejax.cli import UsageError
from gazejax.commands.outputs import check_directory_destination, write_image


def add_photo_arguments(parser):
    parser.add_argument("--focal", help="the photo's focal length in pixels (default: the image width, a "
                        "53 degree horizontal field of view)")
    parser.add_argument("--calibration", help="OpenCV calibration file (.xml/.yaml/.json) with a 3x3 "
                        "camera_matrix, instead of --focal")
    parser.add_argument("--landmarks", help="face landmarks (.npy or .json, (N, 2) or (F, N, 2) pixels in "
                        "MediaPipe's 468/478-point order) instead of detecting the faces")
    parser.add_argument("--debug-dir", help="folder for each face's crop, masks, landmarks and raw model output")


def check_photo_arguments(args):
    """The front-end flags checked before any work: ``--focal`` a finite positive number, files present."""
    if args.focal is not None and args.calibration:
        raise UsageError("give --focal or --calibration, not both")
    if args.focal is not None:
        try:
            focal = float(args.focal)
        except ValueError:
            raise UsageError(f"--focal must be a number of pixels, got {args.focal!r}") from None
        if not (math.isfinite(focal) and focal > 0):
            raise UsageError(f"--focal must be a finite positive number of pixels, got {args.focal}")
    for flag in ("calibration", "landmarks"):
        path = getattr(args, flag)
        if path and not pathlib.Path(path).is_file():
            raise UsageError(f"--{flag}: no such file: {path}")
    if args.debug_dir:
        check_directory_destination(args.debug_dir, "--debug-dir")


def camera_matrix_for(args, photo):
    """The photo's ``K`` from ``--calibration``, ``--focal`` or the default field of view."""
    from gazejax import face  # noqa: PLC0415

    try:
        if args.calibration:
            return face.read_calibration(args.calibration)
        return face.camera_matrix(photo.shape[1], photo.shape[0], None if args.focal is None else float(args.focal))
    except ValueError as e:
        raise UsageError(f"--calibration: {e}") from None


def read_landmarks(path, video=False):
    """``[(N, 2) float64, ...]`` per face from a ``.npy`` or ``.json`` file (UsageError in one line).

    With ``video``, an array ``(T, F, N, 2)`` is also read: frame t's faces are
    ``[t]``, and a face whose points are all NaN is absent from that frame.
    Anything else applies to every frame.
    """
    import numpy as np  # noqa: PLC0415

    path = pathlib.Path(path)
    try:
        if path.suffix.lower() == ".json":
            points = np.asarray(json.loads(path.read_text()), np.float64)
        else:
            points = np.load(path, allow_pickle=False)
    except (OSError, ValueError, TypeError) as e:
        raise UsageError(f"--landmarks {path} is not a .npy or .json array of landmarks: {e}") from None
    if points.ndim == 2:
        points = points[None]
    if video and points.ndim == 4:
        return [[face for face in frame if not np.isnan(face).all()] for frame in points]
    if points.ndim != 3:
        expected = "(N, 2), (F, N, 2) or (T, F, N, 2)" if video else "(N, 2) or (F, N, 2)"
        raise UsageError(f"--landmarks {path} has shape {points.shape}; expected {expected}")
    return list(points)


def photo_faces(args, photo, spec, path):
    """The photo's :class:`gazejax.face.PreparedFace` list for ``spec``; UsageError when there is none."""
    from gazejax import face  # noqa: PLC0415

    landmarks = read_landmarks(args.landmarks) if args.landmarks else None
    try:
        faces = face.prepare_faces(photo, camera_matrix_for(args, photo), spec, landmarks)
    except ValueError as e:  # FaceError, or landmarks that are not a face
        raise UsageError(f"{path}: {e}") from None
    if not faces:
        raise UsageError(f"no face found in {path}")
    return faces


def write_debug(directory, faces, outputs=None):
    """Each face's crop, masks, landmarks drawn on the crop and (when given) the model's raw output."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    directory = pathlib.Path(directory)
    for index, f in enumerate(faces):
        crop = f.crop
        drawn = np.ascontiguousarray(crop.image.copy())
        for x, y in crop.landmarks:
            cv2.circle(drawn, (int(round(x)), int(round(y))), 1, (0.0, 1.0, 0.0), -1)
        images = {"crop": crop.image, "landmarks": drawn,
                  "face_mask": crop.face_mask, "eye_masks": np.maximum(crop.left_eye_mask, crop.right_eye_mask)}
        if outputs is not None:
            images["output"] = outputs[index]
        for name, image in images.items():
            image = np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image
            write_image(directory / f"face{index}_{name}.png", image)
        pose = {"head_pose_camera": f.pose.pitchyaw.tolist(), "head_pose_normalized": crop.head_pose.tolist(),
                "face_centre_mm": f.pose.face_centre.tolist(), "reprojection_error_px": f.pose.reprojection_error}
        (directory / f"face{index}_pose.json").write_text(json.dumps(pose, indent=1))
