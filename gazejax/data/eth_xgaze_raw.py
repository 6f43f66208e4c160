"""ETH-XGaze's raw release (18 cameras + calibration + annotations), re-normalized at any size.

Layout, as the authors distribute it::

    calibration/cam_calibration/cam00.xml ... cam17.xml    (OpenCV FileStorage)
    calibration/face_model.txt                             (50 x 3, mm)
    data/train/subject0000/frame0000/cam00.JPG ...
    data/annotation_train/subject0000.csv                  (no header, one row per image)

Calibration nodes used: ``Camera_Matrix`` (3 x 3). Annotation columns
(0-based): 0 frame folder, 1 image name, 4-6 the gaze target in that
camera's frame (mm), 7-9 head rotation vector, 10-12 head translation (mm),
13-148 the 68 landmarks x0, y0, ... in original pixels. Cameras 3, 6 and 13
are mounted upside down: their photos are rotated by 180 degrees first (the
calibration and annotations describe the rotated photo). As the official
normalization example, photos are not undistorted.

The face centre is the mean of the eye-corner mean and the nose-wing mean
of face-model rows [20, 23, 26] / [29] and [15, 19] (rows 20, 23, 26, 29 =
eye corners, 15, 19 = nose wings) placed by the head pose. Normalization:
``focal``/``distance``/``size`` (GazeNeRF: 1600 px, 680 mm, 512 px).

Masks: ``masks="module:function"`` names ``function(image, landmarks) ->
{face_mask, left_eye_mask, right_eye_mask}`` ((size, size) uint8 {0, 1}), the
hook for a segmentation front end; without it the masks are filled from the
landmarks (:func:`gazejax.data.normalized_face.landmark_masks`).
Units are frames (18 photos), so a killed conversion loses at most a frame each.
"""

import csv
import importlib
import pathlib
import xml.etree.ElementTree as ElementTree

import numpy as np
from PIL import Image
from scipy.spatial.transform import Rotation

from gazejax.data import conversion, eth_xgaze, normalized_face

CAMERAS = 18
UPSIDE_DOWN_CAMERAS = (3, 6, 13)
EYE_CORNER_ROWS = [20, 23, 26, 29]
NOSE_ROWS = [15, 19]
TRAIN_COLUMNS = 149


def read_opencv_matrix(path, node):
    """One ``type_id="opencv-matrix"`` node of an OpenCV FileStorage XML file as float64."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise conversion.DataError(f"{path}: missing calibration file")
    try:
        element = ElementTree.parse(path).getroot().find(node)
    except ElementTree.ParseError as e:
        raise conversion.DataError(f"{path}: not an OpenCV XML file ({e})") from None
    if element is None:
        raise conversion.DataError(f"{path}: no {node} node")
    rows, cols = int(element.findtext("rows")), int(element.findtext("cols"))
    values = np.array(element.findtext("data").split(), np.float64)
    if values.size != rows * cols:
        raise conversion.DataError(f"{path}: {node} has {values.size} values, expected {rows}x{cols}")
    return values.reshape(rows, cols)


def read_face_model(path):
    """The 50 x 3 face model (mm)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise conversion.DataError(f"{path}: missing (the face model of the calibration folder)")
    model = np.loadtxt(path)
    if model.shape != (50, 3):
        raise conversion.DataError(f"{path}: face model has shape {model.shape}, expected (50, 3)")
    return model


def face_center(face_model, head_rotation, head_translation):
    """Face centre (3,) in camera coordinates: mean of the eye-corner and nose-wing centres."""
    placed = face_model @ np.asarray(head_rotation).T + np.asarray(head_translation).reshape(1, 3)
    return np.mean([placed[EYE_CORNER_ROWS].mean(0), placed[NOSE_ROWS].mean(0)], axis=0)


def features(size):
    """Records of a re-normalized photo: the 224 release's keys plus masks, landmarks, eye patches."""
    out = eth_xgaze.features(size)
    p = 64  # PRGAN's eye-patch side (gazejax.data.columbia.PATCH_SIZE)
    angle = out["head_pose"]
    out.update(
        gaze=angle,  # the raw release labels every split it ships annotations for
        gaze_head=angle,
        face_mask=conversion.Feature((size, size), np.uint8, bounds=(0, 1)),
        left_eye_mask=conversion.Feature((size, size), np.uint8, bounds=(0, 1)),
        right_eye_mask=conversion.Feature((size, size), np.uint8, bounds=(0, 1)),
        landmarks=conversion.Feature((68, 2), np.float32),
        left_eye_patch=conversion.Feature((p, p, 3), np.uint8),
        right_eye_patch=conversion.Feature((p, p, 3), np.uint8),
        left_eye_patch_gaze=angle,
        right_eye_patch_gaze=angle,
    )
    return out


def _rows(csv_path):
    if not csv_path.is_file():
        raise conversion.DataError(f"{csv_path}: missing annotation file")
    with open(csv_path, newline="") as f:
        rows = [row for row in csv.reader(f) if row]
    for number, row in enumerate(rows, 1):
        if len(row) != TRAIN_COLUMNS:
            raise conversion.DataError(
                f"{csv_path}: line {number} has {len(row)} columns, expected {TRAIN_COLUMNS}")
    return rows


def units(root, split="train", frames=0):
    """One unit per (subject, frame) of ``data/<split>``; calibration checked first.

    ``unit.args = (calibration_dir, csv rows of the frame)``. ``frames`` > 0
    keeps the first N frames of each subject's annotation file.
    """
    root = pathlib.Path(root)
    calibration = root / "calibration"
    read_face_model(calibration / "face_model.txt")
    for cam in range(CAMERAS):
        read_opencv_matrix(calibration / "cam_calibration" / f"cam{cam:02d}.xml", "Camera_Matrix")
    annotations = sorted((root / "data" / f"annotation_{split}").glob("subject*.csv"))
    if not annotations:
        raise conversion.DataError(f"{root / 'data' / f'annotation_{split}'}: no subjectNNNN.csv files")
    out = []
    for csv_path in annotations:
        by_frame = {}
        for row in _rows(csv_path):
            by_frame.setdefault(row[0], []).append(row)
        kept = list(by_frame)[:frames] if frames else list(by_frame)
        subject_dir = root / "data" / split / csv_path.stem
        out += [conversion.Unit(f"{split}/{csv_path.stem}/{frame}", split, str(subject_dir / frame),
                                (str(calibration), tuple(tuple(r) for r in by_frame[frame])))
                for frame in kept]
    return out


def _landmark_masks(image, landmarks):
    return normalized_face.landmark_masks(landmarks, image.shape[0])


def mask_function(masks):
    """The ``masks`` hook ``"module:function"`` (or landmark polygons for ``""``)."""
    if not masks:
        return _landmark_masks
    module, sep, name = masks.partition(":")
    try:
        return getattr(importlib.import_module(module), name) if sep else None
    except (ImportError, AttributeError) as e:
        raise conversion.DataError(f"masks hook {masks!r}: {e}") from None


def read_frame(unit, focal, distance, size, masks):
    """The records of one frame folder (up to 18 photos)."""
    calibration_dir, rows = unit.args
    calibration = pathlib.Path(calibration_dir)
    model = read_face_model(calibration / "face_model.txt")
    mask_fn = mask_function(masks)
    identity = eth_xgaze.subject_number(pathlib.Path(unit.path).parent.name)
    for row in rows:
        frame, name = row[0], row[1]
        cam = int(name[3:5])
        photo_path = pathlib.Path(unit.path) / name
        if not photo_path.is_file():
            yield conversion.Skip(str(photo_path), "photo listed in the annotations is missing")
            continue
        values = np.array(row, dtype=object)
        try:
            target, rotvec, translation, landmarks = (
                np.asarray(values[a:b], np.float64) for a, b in ((4, 7), (7, 10), (10, 13), (13, 149)))
        except ValueError:
            raise conversion.DataError(f"{photo_path}: non-numeric annotation columns") from None
        landmarks = landmarks.reshape(68, 2)
        photo = conversion.open_photo(photo_path)
        if cam in UPSIDE_DOWN_CAMERAS:
            photo = photo.transpose(Image.Transpose.ROTATE_180)
        camera_matrix = read_opencv_matrix(calibration / "cam_calibration" / f"cam{cam:02d}.xml",
                                           "Camera_Matrix")
        head_rotation = Rotation.from_rotvec(rotvec).as_matrix()
        center = face_center(model, head_rotation, translation)
        record, warp = normalized_face.normalize_photo(
            photo, camera_matrix, head_rotation, center, target, focal, distance, size)
        points = normalized_face.warp_points(warp, landmarks)
        record.update(mask_fn(record["image"], points))
        record.update(normalized_face.eye_patches(record["image"], points, record["gaze"]))
        record.update(landmarks=points, identity=identity, frame=int(frame[5:]), view=cam)
        yield f"{identity:04d}_{int(frame[5:]):05d}_{cam:02d}", record, str(photo_path)


def converter(root, split="train", size=512, focal=1600.0, distance=680.0, frames=0, masks=""):
    """The :class:`~gazejax.data.conversion.Converter` of the raw release at ``root``.

    Defaults are GazeNeRF's normalization (512 px, focal 1600 px, 680 mm).
    """
    if not 16 <= size <= 4096:
        raise conversion.DataError(f"size {size}: choose 16..4096 pixels")
    if mask_function(masks) is None:  # a bad hook fails here, before any work
        raise conversion.DataError(f"masks hook {masks!r}: expected module:function")
    config = f"raw{size}_focal{focal:g}_dist{distance:g}".replace(".", "p") + (
        f"_frames{frames}" if frames else "")
    return conversion.Converter(
        name="eth_xgaze", config=config, features=features(size), units=units(root, split, frames),
        read_unit=_FrameReader(focal, distance, size, masks),
        settings=dict(split=split, size=size, focal=focal, distance=distance, frames=frames, masks=masks),
        description=f"ETH-XGaze raw photos normalized at {size}^2 (focal {focal:g} px, {distance:g} mm)",
    )


class _FrameReader:
    """Picklable ``read_unit`` carrying the normalization settings to the workers."""

    def __init__(self, focal, distance, size, masks):
        self.settings = (focal, distance, size, masks)

    def __call__(self, unit):
        return read_frame(unit, *self.settings)

