"""``gazejax redirect --video IN.mp4 --out OUT.mp4``: every face of every frame redirected, audio kept.

    gazejax redirect --checkpoint RUN --video in.mp4 --look-at-camera --region eyes --out out.mp4

Frames are read with PyAV (:mod:`gazejax.face.video`), their faces found and
their landmarks smoothed over time (:mod:`gazejax.face.smoothing`), then
``--batch`` frames at a time go through the jitted model together and are
pasted back. A frame without a usable face (none found, or only faces too
small) is an error naming the frame, unless ``--skip-missing`` is given: then
it is written unchanged and counted. The output is written to a temporary file next to
``--out`` and renamed at the end, so a failure leaves nothing behind. LiveGaze
runs redirect the faces (``--region``), MGGR runs their eyes
(:class:`~gazejax.methods.mggr.inference.EyeFrameRedirector`).
"""

import contextlib
import pathlib

from gazejax.cli import CommandFailed, UsageError
from gazejax.commands.outputs import check_finite
from gazejax.commands.photo_input import camera_matrix_for, read_landmarks
from gazejax.commands.training_range import check_in_training_range

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov")


def run(args, config, method, gaze):
    """Redirects ``args.video`` with the LiveGaze or MGGR run ``args.checkpoint`` into ``args.out``."""
    from tqdm import tqdm  # noqa: PLC0415

    from gazejax import face  # noqa: PLC0415
    from gazejax.face.video import VideoError, VideoReader, VideoWriter  # noqa: PLC0415

    try:
        reader = VideoReader(args.video)
    except VideoError as e:
        raise UsageError(str(e)) from None
    with contextlib.closing(reader):
        given = read_landmarks(args.landmarks, video=True) if args.landmarks else None
        per_frame = given is not None and isinstance(given[0], list)
        if per_frame and reader.frame_count and len(given) != reader.frame_count:
            raise UsageError(f"--landmarks has {len(given)} frames, {args.video} has {reader.frame_count}")
        frames, region = _frame_redirector(args, method)
        out = pathlib.Path(args.out)
        partial = out.with_name(f".{out.name}.partial{out.suffix}")
        out.parent.mkdir(parents=True, exist_ok=True)
        writer = VideoWriter(partial, reader.size, reader.rate, reader)
        smoother = face.LandmarkSmoother(args.smoothing)
        counts = {"frames": 0, "faces": 0, "without_face": 0}
        k = None
        try:
            batch, batch_faces = [], []
            # a context, so that an error's line starts below the closed progress bar, not on it
            with tqdm(reader.frames(), total=reader.frame_count or None, unit="frame", desc="redirect") as progress:
                for index, frame in enumerate(progress):
                    k = camera_matrix_for(args, frame) if k is None else k
                    if given is None:
                        try:
                            found = face.detect_faces(frame)
                        except face.DetectorUnavailable as e:
                            raise UsageError(str(e)) from None
                    elif per_frame and index >= len(given):
                        raise UsageError(f"--landmarks has {len(given)} frames; {args.video} has more")
                    else:
                        found = given[index] if per_frame else given
                    faces, problem = _prepare(frame, k, frames.spec, smoother(found))
                    if not faces and not args.skip_missing:
                        raise UsageError(f"frame {index} of {args.video}: {problem} (--skip-missing passes such "
                                         "frames through unchanged)")
                    counts["frames"] += 1
                    counts["faces"] += len(faces)
                    counts["without_face"] += not faces
                    check_in_training_range(face.faces_model_gaze(faces, gaze, args.look_at_camera), config,
                                            args.allow_extrapolation)
                    batch.append(frame)
                    batch_faces.append(faces)
                    if len(batch) == args.batch:
                        _write(writer, frames, batch, batch_faces, gaze, args, region)
                        batch, batch_faces = [], []
            _write(writer, frames, batch, batch_faces, gaze, args, region)
            writer.close()
        except BaseException:
            writer.container.close()
            partial.unlink(missing_ok=True)
            raise
    if not counts["faces"]:
        partial.unlink()
        raise CommandFailed(f"no face found in any frame of {args.video}; nothing was written")
    partial.replace(out)
    print(f"wrote {out}: {counts['frames']} frames, {counts['faces']} faces redirected, "
          f"{counts['without_face']} frames without a face passed through unchanged")
    return 0


def _prepare(frame, k, spec, landmarks):
    """``(faces, problem)``: the frame's usable faces, and why there is none when ``faces`` is empty.

    A face too small (or landmarks that are no face) is left out, so that the
    other faces of the frame are still redirected.
    """
    from gazejax import face  # noqa: PLC0415

    faces, problem = [], "no face found"
    for points in landmarks:
        try:
            faces.extend(face.prepare_faces(frame, k, spec, [points]))
        except ValueError as e:
            problem = str(e)
    return faces, problem


def _frame_redirector(args, method):
    """``(frame redirector of the run, the region it pastes back)``."""
    try:
        if method == "mggr":
            from gazejax.methods.mggr.inference import EyeFrameRedirector, EyeRedirector  # noqa: PLC0415

            return EyeFrameRedirector(EyeRedirector.from_workdir(args.checkpoint)), "eyes"
        from gazejax.methods.livegaze.inference import FrameRedirector, Redirector  # noqa: PLC0415

        return FrameRedirector(Redirector.from_workdir(args.checkpoint)), args.region
    except ValueError as e:  # RunError: no checkpoint
        raise UsageError(str(e)) from None


def _write(writer, frames, batch, batch_faces, gaze, args, region):
    if not batch:
        return
    for result in frames.redirect_frames(batch, batch_faces, gaze, args.look_at_camera, region):
        check_finite("the model's output", image=result.image)
        writer.write(result.image)
