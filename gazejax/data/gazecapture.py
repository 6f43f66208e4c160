"""GazeCapture as its authors distribute it: one folder per recording session.

Layout (``NNNNN`` = 5-digit session number)::

    NNNNN/frames/00000.jpg ...
    NNNNN/{appleFace,appleLeftEye,appleRightEye,dotInfo,faceGrid,frames,info,screen}.json

``frames.json`` lists the frame files; the other per-frame files are dicts of
equal-length arrays indexed like it. ``appleFace`` boxes ``X, Y, W, H`` are
pixels of the frame, the eye boxes are relative to the face box ("left" is
the subject's left eye), ``IsValid`` marks a detection. ``dotInfo`` gives the
target dot ``DotNum`` and its position ``XCam, YCam`` in cm from the camera
(y up: negative below the camera). ``faceGrid`` ``X, Y`` are 1-based cells of
a 25x25 grid. ``info.json``'s ``Dataset`` is the session's official split
(``train``, ``val`` or ``test``). ``screen.json``'s ``Orientation`` (1
portrait, 2 upside down, 3/4 landscape) may be per frame or one number.

GazeCapture has no 3-D gaze, so records carry the dot position in the
dataset's own units (``gaze_target_cm``), not gaze angles. As iTracker's
``prepareDataset.py``, only frames whose face and both eyes were detected are
used, and crops outside the frame are padded with zeros.
"""

import json
import pathlib
import re

import numpy as np
from PIL import Image

from gazejax.data.conversion import Converter, DataError, Feature, Skip, Unit, open_photo

SPLITS = ("train", "val", "test")
NAME = "gazecapture"
# Dot positions beyond this many cm from the camera are not on any iPhone/iPad screen.
MAX_TARGET_CM = 50.0
GRID_SIZE = 25
FILES = ("appleFace", "appleLeftEye", "appleRightEye", "dotInfo", "faceGrid", "frames", "info", "screen")
_FRAME = re.compile(r"(\d{5})\.jpg$")
_BOX = ("X", "Y", "W", "H")



def _load(session_dir, name):
    path = pathlib.Path(session_dir) / f"{name}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path}: missing (a GazeCapture session has {', '.join(FILES)} .json)") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not JSON ({e})") from None


def _columns(session_dir, name, keys, count):
    """``{key: float64 (count,)}`` from a per-frame JSON; one-line error naming it otherwise."""
    path = pathlib.Path(session_dir) / f"{name}.json"
    data = _load(session_dir, name)
    out = {}
    for key in keys:
        try:
            value = np.asarray(data[key], np.float64)
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{path}: no numeric {key!r} array") from None
        if value.ndim == 0:  # one value for the whole session
            value = np.full(count, value)
        if value.shape != (count,):
            raise DataError(f"{path}: {key!r} has {value.size} entries, frames.json lists {count}")
        out[key] = value
    return out


def session_split(session_dir):
    """A session's official split, from its ``info.json``."""
    info = _load(session_dir, "info")
    split = info.get("Dataset") if isinstance(info, dict) else None
    if split not in SPLITS:
        raise DataError(f"{pathlib.Path(session_dir) / 'info.json'}: Dataset is {split!r}, "
                        f"not one of {', '.join(SPLITS)}")
    return split


def read_session(session_dir):
    """Reads one session's JSON files into per-frame numpy arrays.

    Returns a dict: ``session`` (int), ``split`` (str), ``frame_files`` (list
    of names), ``frame_index`` (N,) int (from the file names), ``valid`` (N,)
    bool (face and both eyes detected), ``face_box``, ``left_eye_box``,
    ``right_eye_box`` (N, 4) ``[x, y, w, h]`` frame pixels, ``face_grid``
    (N, 4) int ``[x, y, w, h]`` 0-based cells, ``dot`` (N,) int,
    ``gaze_target_cm`` (N, 2) ``(XCam, YCam)``, ``orientation`` (N,) int.
    Raises :class:`DataError` (one line naming the file) for a missing or
    malformed file, an unknown split or a non-finite dot position.
    """
    session_dir = pathlib.Path(session_dir)
    try:
        session = int(session_dir.name)
    except ValueError:
        raise DataError(f"{session_dir}: not a session folder (named by its 5-digit number)") from None
    split = session_split(session_dir)
    frame_files = _load(session_dir, "frames")
    matches = [_FRAME.search(str(f)) for f in frame_files] if isinstance(frame_files, list) else [None]
    if not all(matches):
        raise DataError(f"{session_dir / 'frames.json'}: not a list of NNNNN.jpg frame names")
    n = len(frame_files)
    face = _columns(session_dir, "appleFace", _BOX + ("IsValid",), n)
    left = _columns(session_dir, "appleLeftEye", _BOX + ("IsValid",), n)
    right = _columns(session_dir, "appleRightEye", _BOX + ("IsValid",), n)
    grid = _columns(session_dir, "faceGrid", _BOX, n)
    dots = _columns(session_dir, "dotInfo", ("DotNum", "XCam", "YCam"), n)
    screen = _columns(session_dir, "screen", ("Orientation",), n)
    target = np.stack([dots["XCam"], dots["YCam"]], -1)
    valid = (face["IsValid"] > 0) & (left["IsValid"] > 0) & (right["IsValid"] > 0)
    if not np.all(np.isfinite(target[valid])):
        raise DataError(f"{session_dir / 'dotInfo.json'}: XCam/YCam not finite for a detected frame")
    far = valid & np.any(np.abs(target) > MAX_TARGET_CM, axis=-1)
    if np.any(far):
        i = int(np.argmax(far))
        raise DataError(f"{session_dir / 'dotInfo.json'}: XCam/YCam {target[i].tolist()} of frame "
                        f"{frame_files[i]} more than {MAX_TARGET_CM:g} cm from the camera")
    boxes = {name: np.stack([d[k] for k in _BOX], -1) for name, d in
             (("face", face), ("left", left), ("right", right), ("grid", grid))}
    eye_offset = np.concatenate([boxes["face"][:, :2], np.zeros((n, 2))], -1)
    return {
        "session": session,
        "split": split,
        "frame_files": [str(f) for f in frame_files],
        "frame_index": np.array([int(m.group(1)) for m in matches], np.int64),
        "valid": valid,
        "face_box": boxes["face"],
        "left_eye_box": boxes["left"] + eye_offset,
        "right_eye_box": boxes["right"] + eye_offset,
        "face_grid": (boxes["grid"] - np.array([1, 1, 0, 0])).astype(np.int64),
        "dot": dots["DotNum"].astype(np.int64),
        "gaze_target_cm": target,
        "orientation": screen["Orientation"].astype(np.int64),
    }


def crop(image, box):
    """``image[y:y+h, x:x+w]`` of an ``[x, y, w, h]`` box (truncated to whole pixels), with the
    part outside the image zero-padded, as iTracker's ``cropImage``."""
    x, y, w, h = (int(v) for v in box)
    if w <= 0 or h <= 0:
        raise ValueError(f"empty box {list(box)}")
    out = np.zeros((h, w) + image.shape[2:], image.dtype)
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, image.shape[1]), min(y + h, image.shape[0])
    if x1 > x0 and y1 > y0:
        out[y0 - y:y1 - y, x0 - x:x1 - x] = image[y0:y1, x0:x1]
    return out


def read_frame(path):
    """A frame as uint8 ``(H, W, 3)`` RGB; :class:`DataError` naming the file if unreadable."""
    return np.asarray(open_photo(path, listed_in="frames.json"))


def record(session_dir, session, i, resolution):
    """Frame ``i`` of a :func:`read_session` result as a record.

    ``image`` (R, R, 3) uint8: the Apple face box, resized bilinearly;
    ``left_eye_box`` / ``right_eye_box`` (4,) float32 ``[x, y, w, h]`` as
    fractions of the face box; ``face_grid`` (4,) int32; ``gaze_target_cm``
    (2,) float32; ``orientation``, ``frame_index``; and the pairing ids
    ``identity`` = session, ``frame`` = dot (frames of one dot share the
    gaze target), ``view`` = 0 (one camera).
    """
    path = pathlib.Path(session_dir) / "frames" / session["frame_files"][i]
    face_box = session["face_box"][i]
    frame = read_frame(path)
    try:
        face = crop(frame, face_box)
    except ValueError as e:
        raise DataError(f"{path}: {e} (appleFace.json)") from None
    size = np.array([face_box[2], face_box[3], face_box[2], face_box[3]])
    origin = np.array([face_box[0], face_box[1], 0.0, 0.0])
    return {
        "image": np.asarray(Image.fromarray(face).resize((resolution, resolution), Image.BILINEAR)),
        "left_eye_box": ((session["left_eye_box"][i] - origin) / size).astype(np.float32),
        "right_eye_box": ((session["right_eye_box"][i] - origin) / size).astype(np.float32),
        "face_grid": session["face_grid"][i].astype(np.int32),
        "gaze_target_cm": session["gaze_target_cm"][i].astype(np.float32),
        "orientation": np.int32(session["orientation"][i]),
        "frame_index": np.int32(session["frame_index"][i]),
        "identity": np.int32(session["session"]),
        "frame": np.int32(session["dot"][i]),
        "view": np.int32(0),
    }


def features(resolution):
    """The converted dataset's features (see :func:`record`)."""
    scalar = Feature((), np.int32)
    return {
        "image": Feature((resolution, resolution, 3), np.uint8),
        "left_eye_box": Feature((4,), np.float32),
        "right_eye_box": Feature((4,), np.float32),
        "face_grid": Feature((4,), np.int32, bounds=(0, GRID_SIZE)),
        "gaze_target_cm": Feature((2,), np.float32, bounds=(-MAX_TARGET_CM, MAX_TARGET_CM)),
        "orientation": Feature((), np.int32, bounds=(1, 4)),
        "frame_index": scalar,
        "identity": scalar,
        "frame": scalar,
        "view": scalar,
    }


def read_unit(unit):
    """Converter reader: one session folder -> its detected frames' records (``unit.args = (R,)``)."""
    (resolution,) = unit.args
    session = read_session(unit.path)
    for i, name in enumerate(session["frame_files"]):
        if not session["valid"][i]:
            yield Skip(f"{unit.path}/frames/{name}", "face or an eye not detected by Apple's detector")
            continue
        yield f"{session['session']:05d}/{session['frame_index'][i]:05d}", record(unit.path, session, i, resolution)


def converter(root, resolution):
    """The :class:`~gazejax.data.conversion.Converter` of a GazeCapture folder: one unit per
    session, in the official split named by its ``info.json``; TFDS config ``face<R>``."""
    root = pathlib.Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (the GazeCapture root, holding NNNNN/ session folders)")
    sessions = sorted(d for d in root.iterdir() if d.is_dir() and re.fullmatch(r"\d{5}", d.name))
    if not sessions:
        raise DataError(f"{root}: no NNNNN/ session folders (is this the GazeCapture root?)")
    splits = {d: session_split(d) for d in sessions}
    units = sorted((Unit(f"{splits[d]}/{d.name}", splits[d], str(d), (resolution,)) for d in sessions),
                   key=lambda u: (SPLITS.index(u.split), u.key))
    return Converter(NAME, f"face{resolution}", features(resolution), units, read_unit,
                     settings={"resolution": resolution},
                     description=f"GazeCapture Apple face boxes at {resolution}^2, dot targets in cm")
