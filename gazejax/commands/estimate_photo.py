"""``gazejax estimate --images PHOTO ...``: gaze and head pose of every face of whole photos.

Each face is found and normalized by :mod:`gazejax.face` with the framing
the estimator expects (ETH-XGaze's, :meth:`~gazejax.face.NormalizationSpec.face_only`,
or the whole head for SynthGaze judges that crop it themselves), the
estimate is made on the crop, and both the normalized-frame angles and the
camera-frame ones (rotated back by ``R^T``) are reported. ``--draw`` writes the
photo with each face's gaze as an arrow from its face centre.
"""

import math

from gazejax.commands.image_files import read_rgb
from gazejax.commands.outputs import check_finite, write_image
from gazejax.commands.photo_input import camera_matrix_for, photo_faces, write_debug

# the drawn gaze arrow: 120 mm long in the scene, 2 px wide per 500 px of image width
ARROW_LENGTH_MM = 120.0
ARROW_WIDTH_PER_PIXEL = 2 / 500


def estimator_spec(info):
    """The :class:`gazejax.face.NormalizationSpec` of an estimator's input."""
    from gazejax.face import NormalizationSpec  # noqa: PLC0415

    if info.get("crop"):  # a SynthGaze judge: whole-head images it crops to (top, left, side) itself
        return NormalizationSpec.for_size(math.ceil(info["input_size"] / info["crop"][2]))
    return NormalizationSpec.face_only(info["input_size"])


def prepare_photo(path, args, info):
    """``(photo, faces)``: the photo read and its faces normalized for the estimator, before it is loaded."""
    photo = read_rgb(path)
    return photo, photo_faces(args, photo, estimator_spec(info), path)


def estimate_photo(path, photo, faces, args, estimate):
    """Rows (one per face) of a photo's estimates, and the photo with arrows when ``--draw`` is given."""
    import jax  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    rows = []
    for index, f in enumerate(faces):
        angles = jax.device_get(estimate(f.crop.image[None]))
        check_finite(f"the estimate for face {index} of {path}", **angles)
        normalized = np.asarray(angles["gaze"][0], np.float64)
        camera = f.crop.gaze_to_camera(normalized)
        rows.append({"image": str(path), "face": index, "pitch": float(camera[0]), "yaw": float(camera[1]),
                     "normalized_pitch": float(normalized[0]), "normalized_yaw": float(normalized[1]),
                     "head_pitch": float(f.pose.pitchyaw[0]), "head_yaw": float(f.pose.pitchyaw[1]),
                     "normalized_head_pitch": float(f.crop.head_pose[0]),
                     "normalized_head_yaw": float(f.crop.head_pose[1])})
    if args.debug_dir:
        write_debug(args.debug_dir, faces)
    drawn = draw_gaze(photo, faces, [(r["pitch"], r["yaw"]) for r in rows], camera_matrix_for(args, photo)) \
        if args.draw else None
    return rows, drawn


def draw_gaze(photo, faces, gazes, camera_matrix):
    """The photo with an arrow along each face's camera-frame gaze, from its face centre."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    from gazejax.geometry import pitchyaw_to_vector  # noqa: PLC0415

    image = np.ascontiguousarray(photo.copy())
    width = max(1, round(ARROW_WIDTH_PER_PIXEL * photo.shape[1]))
    for f, gaze in zip(faces, gazes):
        start = f.pose.face_centre
        end = start + ARROW_LENGTH_MM * np.asarray(pitchyaw_to_vector(np.float32(gaze)), np.float64)
        pixels = np.stack([start, end]) @ np.asarray(camera_matrix).T
        (x0, y0), (x1, y1) = np.round(pixels[:, :2] / pixels[:, 2:]).astype(int)
        cv2.arrowedLine(image, (x0, y0), (x1, y1), (1.0, 0.2, 0.1), width, cv2.LINE_AA, tipLength=0.2)
    return image


def write_drawing(path, drawn):
    """Writes the ``--draw`` image (one photo) or the photos side by side (several, padded to one height)."""
    import numpy as np  # noqa: PLC0415

    height = max(d.shape[0] for d in drawn)
    write_image(path, np.concatenate([np.pad(d, ((0, height - d.shape[0]), (0, 0), (0, 0))) for d in drawn], 1))
