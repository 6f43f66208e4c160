"""Gaze360 as its authors distribute it: ``metadata.mat`` + ``imgs/`` head crops.

Layout::

    metadata.mat
    imgs/<recordings[recording[i]]>/head/<%06d person_identity[i]>/<%06d frame[i]>.jpg

``metadata.mat`` (MATLAB, ``scipy.io.loadmat``) holds per-sample index rows
``(1, N)`` (``recording``, ``person_identity``, ``frame``, ``split``; 0-based),
per-sample rows ``(N, k)`` (``gaze_dir`` (N, 3), ``person_head_bbox``,
``person_face_bbox`` as ``[x, y, w, h]`` normalized by the full frame, ``-1``
where dlib found no face) and the cell rows ``recordings`` and ``splits``
(``train``, ``val``, ``test``, ``unused``).

Each sample becomes the face crop used by GazeHub (and so by L2CS-Net): the
square of side ``max(w, h)`` of the face box, mapped into the head crop,
centred on the box and moved inside the crop's top/left edge. Samples without
a face box are skipped (GazeHub's filter). L2CS-Net evaluates on the
"front 180" samples, ``|pitch|, |yaw| <= 90 deg`` (:func:`front_180`).
Gaze is converted by :func:`gazejax.geometry.conventions.from_gaze360`.

The converter writes ``train``, ``val`` and ``test`` (the dataset's own
``unused`` split is left out), one unit per (split, recording); with the
front-180 filter (the default) ``val`` and ``test`` hold only front-180
samples, as L2CS-Net's evaluation.
"""

import dataclasses
import functools
import math
import pathlib

import numpy as np
import scipy.io
from PIL import Image

from gazejax.data.conversion import Converter, DataError, Feature, Skip, Unit, open_photo

from gazejax.geometry.conventions import from_gaze360

NAME = "gaze360"
SPLITS = ("train", "val", "test", "unused")
CONVERTED_SPLITS = ("train", "val", "test")  # "unused": the first/last frames and marker-occluded ones
FILTERED_SPLITS = ("val", "test")  # where front_filter applies (L2CS-Net trains on all angles)
FRONT_180 = math.pi / 2  # L2CS-Net's test filter: |pitch|, |yaw| <= 90 deg
_INDEX_FIELDS = ("recording", "person_identity", "frame", "split")
_BOX_FIELDS = ("person_head_bbox", "person_face_bbox")



@dataclasses.dataclass(frozen=True)
class Metadata:
    """``metadata.mat`` as numpy arrays, one row per sample (N samples)."""

    recordings: tuple  # recording folder names, e.g. "rec_022"
    splits: tuple  # split names by split index
    recording: np.ndarray  # (N,) int, index into recordings
    person_identity: np.ndarray  # (N,) int, unique within a recording
    frame: np.ndarray  # (N,) int
    split: np.ndarray  # (N,) int, index into splits
    gaze_dir: np.ndarray  # (N, 3) Gaze360 Eye frame
    person_head_bbox: np.ndarray  # (N, 4) [x, y, w, h] / full frame size
    person_face_bbox: np.ndarray  # (N, 4), -1 where no face was detected

    def __len__(self):
        return len(self.frame)


def _names(cells):
    return tuple(str(np.asarray(c).ravel()[0]) for c in np.asarray(cells, dtype=object).ravel())


def read_metadata(path):
    """Reads ``metadata.mat``; :class:`DataError` (one line naming it) when it is not Gaze360's."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataError(f"{path}: missing (Gaze360's metadata.mat)")
    try:
        mat = scipy.io.loadmat(str(path))
    except (ValueError, NotImplementedError, OSError, TypeError) as e:
        raise DataError(f"{path}: not a readable MATLAB file ({e})") from None
    needed = ("recordings", "splits", "gaze_dir") + _INDEX_FIELDS + _BOX_FIELDS
    missing = [k for k in needed if k not in mat]
    if missing:
        raise DataError(f"{path}: no {', '.join(missing)} (not Gaze360's metadata.mat)")
    index = {k: np.asarray(mat[k]).ravel().astype(np.int64) for k in _INDEX_FIELDS}
    n = len(index["frame"])
    arrays = {k: np.asarray(mat[k], np.float64).reshape(-1, 3 if k == "gaze_dir" else 4)
              for k in ("gaze_dir",) + _BOX_FIELDS}
    bad = [k for k, v in {**index, **arrays}.items() if len(v) != n]
    if bad:
        raise DataError(f"{path}: {', '.join(bad)} do not have {n} rows like frame")
    norms = np.linalg.norm(arrays["gaze_dir"], axis=1)
    if not np.all(np.isfinite(norms) & (norms > 0)):
        row = int(np.argmin(np.isfinite(norms) & (norms > 0)))
        raise DataError(f"{path}: gaze_dir row {row} is not a direction ({arrays['gaze_dir'][row]})")
    meta = Metadata(recordings=_names(mat["recordings"]), splits=_names(mat["splits"]), **index, **arrays)
    if meta.recording.max(initial=0) >= len(meta.recordings) or meta.split.max(initial=0) >= len(meta.splits):
        raise DataError(f"{path}: recording or split indices beyond recordings/splits")
    return meta


def head_image_path(root, meta, i):
    """Where sample ``i``'s head crop lives under the dataset root."""
    return (pathlib.Path(root) / "imgs" / meta.recordings[meta.recording[i]] / "head"
            / f"{meta.person_identity[i]:06d}" / f"{meta.frame[i]:06d}.jpg")


def has_face(meta):
    """(N,) bool: dlib found a face (GazeHub's and hence L2CS-Net's filter)."""
    return ~np.all(meta.person_face_bbox == -1, axis=1)


def gaze(meta):
    """(N, 2) float32 gaze, our (pitch, yaw) radians."""
    return np.asarray(from_gaze360(meta.gaze_dir), np.float32)


def front_180(pitchyaw):
    """(...,) bool: L2CS-Net's "front 180" test samples, ``|pitch|`` and ``|yaw| <= 90 deg``."""
    return np.all(np.abs(np.asarray(pitchyaw)) <= FRONT_180, axis=-1)


def face_box(head_size, head_bbox, face_bbox):
    """The square face crop ``(left, top, side)`` in head-crop pixels.

    ``head_size`` is the head crop's ``(width, height)``; boxes are
    ``[x, y, w, h]`` normalized by the full frame. The face box is mapped into
    the head crop, truncated to whole pixels, and the square of side
    ``2 * int(max(w, h) / 2)`` is centred on it, pushed right/down so it
    does not start left of or above the crop (as GazeHub's ``CropFaceImg``).
    """
    size = np.asarray(head_size, np.float64)
    head_bbox, face_bbox = np.asarray(head_bbox, np.float64), np.asarray(face_bbox, np.float64)
    box = np.concatenate([(face_bbox[:2] - head_bbox[:2]) / head_bbox[2:], face_bbox[2:] / head_bbox[2:]])
    pixels = np.concatenate([box[:2] * size, box[2:] * size]).astype(int)
    half = int(max(pixels[2], pixels[3]) / 2)
    cx = max(pixels[0] + pixels[2] // 2, half)
    cy = max(pixels[1] + pixels[3] // 2, half)
    return cx - half, cy - half, 2 * half


def face_crop(head_image, head_bbox, face_bbox, resolution):
    """uint8 ``(resolution, resolution, 3)`` face from a head crop (:func:`face_box`; clipped at the
    right/bottom edge as numpy slicing does, then resized bilinearly)."""
    height, width = head_image.shape[:2]
    left, top, side = face_box((width, height), head_bbox, face_bbox)
    crop = head_image[top:top + side, left:left + side]
    if crop.size == 0:
        raise ValueError("empty face box")
    return np.asarray(Image.fromarray(crop).resize((resolution, resolution), Image.BILINEAR))


def read_head_image(path):
    """A head crop as uint8 ``(H, W, 3)`` RGB; :class:`DataError` naming the file if unreadable."""
    return np.asarray(open_photo(path, listed_in="metadata.mat"))


def identities(meta):
    """(N,) int32 subject ids: ``person_identity`` is only unique within a recording, so
    each (recording, person) pair is numbered in sorted order."""
    pairs = np.stack([meta.recording, meta.person_identity], axis=1)
    _, ids = np.unique(pairs, axis=0, return_inverse=True)
    return ids.reshape(-1).astype(np.int32)


def record(root, meta, i, resolution, identity, pitchyaw):
    """Sample ``i`` as a record: ``image`` (R, R, 3) uint8 face, ``gaze`` (2,) float32 (its
    :func:`gaze` row ``pitchyaw``), ``identity`` / ``frame`` / ``view`` int32 (view 0: one camera)."""
    path = head_image_path(root, meta, i)
    head = read_head_image(path)
    try:
        image = face_crop(head, meta.person_head_bbox[i], meta.person_face_bbox[i], resolution)
    except ValueError as e:
        raise DataError(f"{path}: {e} (person_face_bbox in metadata.mat)") from None
    return {
        "image": image,
        "gaze": np.asarray(pitchyaw, np.float32),
        "identity": np.int32(identity),
        "frame": np.int32(meta.frame[i]),
        "view": np.int32(0),
    }


def features(resolution):
    """The converted dataset's features (see :func:`record`)."""
    scalar = Feature((), np.int32)
    return {
        "image": Feature((resolution, resolution, 3), np.uint8),
        "gaze": Feature((2,), np.float32, bounds=(-math.pi, math.pi)),
        "identity": scalar,
        "frame": scalar,
        "view": scalar,
    }


@functools.lru_cache(maxsize=1)
def _cached_metadata(path):
    meta = read_metadata(path)
    return meta, gaze(meta), identities(meta), has_face(meta)


def read_unit(unit):
    """Converter reader: the samples ``unit.args = (root, resolution, front_filter, indices)`` of one
    recording and split, as records; samples without a face, or outside front 180 where filtered, skipped."""
    root, resolution, front_filter, indices = unit.args
    meta, pitchyaw, ids, face = _cached_metadata(str(pathlib.Path(root) / "metadata.mat"))
    for i in indices:
        if not face[i]:
            yield Skip(str(head_image_path(root, meta, i)), "no face detected (GazeHub/L2CS-Net filter)")
        elif front_filter and unit.split in FILTERED_SPLITS and not front_180(pitchyaw[i]):
            yield Skip(str(head_image_path(root, meta, i)), "gaze beyond front 180 (L2CS-Net's evaluation)")
        else:
            yield f"{i:06d}", record(root, meta, i, resolution, ids[i], pitchyaw[i])


def converter(root, resolution, front_filter=True):
    """The :class:`~gazejax.data.conversion.Converter` of a Gaze360 folder (``metadata.mat`` +
    ``imgs/``); TFDS config ``face<R>`` (``face<R>_unfiltered`` without the front-180 filter)."""
    root = pathlib.Path(root)
    meta = read_metadata(root / "metadata.mat")
    units = []
    for split in CONVERTED_SPLITS:
        if split not in meta.splits:
            raise DataError(f"{root / 'metadata.mat'}: splits {meta.splits} lack {split!r}")
        in_split = meta.split == meta.splits.index(split)
        for r, recording in enumerate(meta.recordings):
            indices = np.flatnonzero(in_split & (meta.recording == r))
            if len(indices):
                units.append(Unit(f"{split}/{recording}", split, str(root / "imgs" / recording),
                                  (str(root), resolution, front_filter, tuple(int(i) for i in indices))))
    config = f"face{resolution}" + ("" if front_filter else "_unfiltered")
    return Converter(NAME, config, features(resolution), units, read_unit,
                     settings={"resolution": resolution, "front_filter": front_filter},
                     description=f"Gaze360 GazeHub face crops at {resolution}^2"
                                 + (", val/test front 180" if front_filter else ""))
