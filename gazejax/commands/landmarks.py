"""``gazejax landmarks``: the face landmarks of a photo or video, saved for ``--landmarks``.

    gazejax landmarks --image photo.jpg --out photo_landmarks.npy
    gazejax landmarks --video call.mp4 --out call_landmarks.npy

The detector is MediaPipe's face mesh run with LiteRT (docs/photos.md). Saved
landmarks can be checked, corrected or reused: ``redirect``/``estimate
--landmarks`` read this file instead of detecting again. A photo gives
``(F, 478, 2)`` pixels, largest face first; a video gives ``(T, F, 478, 2)``
with F the most faces in any frame and NaN for a face a frame does not have.
"""

from gazejax.cli import UsageError
from gazejax.commands.image_files import read_rgb
from gazejax.commands.outputs import check_file_destination

HELP = "find the face landmarks of a photo or video (MediaPipe) and save them for --landmarks"


def add_arguments(parser):
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--image", help="a photo (PNG/JPEG, ...)")
    source.add_argument("--video", help="a video (.mp4, ...)")
    parser.add_argument("--out", required=True, help="the landmarks file to write (.npy)")


def run(args):
    import numpy as np  # noqa: PLC0415

    from gazejax import face  # noqa: PLC0415

    out = check_file_destination(args.out, "--out")
    if out.suffix != ".npy":
        raise UsageError(f"--out {out}: landmarks are written as .npy")
    try:
        if args.image:
            found = face.detect_faces(read_rgb(args.image))
            if not found:
                raise UsageError(f"no face found in {args.image}")
            landmarks = np.stack(found)
        else:
            landmarks = _video_landmarks(args.video)
    except face.FaceError as e:
        raise UsageError(str(e)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, landmarks)
    print(f"wrote {out}: landmarks of shape {landmarks.shape}")
    return 0


def _video_landmarks(path):
    import contextlib  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415

    from gazejax import face  # noqa: PLC0415
    from gazejax.face.mesh import MESH_POINTS_WITH_IRIS  # noqa: PLC0415
    from gazejax.face.video import VideoError, VideoReader  # noqa: PLC0415

    try:
        reader = VideoReader(path)
    except VideoError as e:
        raise UsageError(str(e)) from None
    with contextlib.closing(reader):
        frames = [face.detect_faces(frame) for frame in reader.frames()]
    most = max((len(f) for f in frames), default=0)
    if not most:
        raise UsageError(f"no face found in any frame of {path}")
    landmarks = np.full((len(frames), most, MESH_POINTS_WITH_IRIS, 2), np.nan)
    for t, found in enumerate(frames):
        for i, points in enumerate(found):
            landmarks[t, i] = points
    return landmarks
