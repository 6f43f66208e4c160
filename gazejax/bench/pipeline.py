"""``gazejax bench pipeline``: per-frame latency of the photo/video path (docs/photos.md), stage by stage.

For each frame size (720p, 1080p) and batch (1, 8 frames per model call), one
``photo_pipeline`` record with the milliseconds per frame of

- ``detection``: MediaPipe's face mesh (:mod:`gazejax.face.detection`) on
  ``grace_hopper.jpg`` (matplotlib's sample photo) scaled into the frame,
  where the detector works (LiteRT and its model files); else the stage says
  it was not measured and why;
- ``head_pose``: the PnP fit of the landmarks;
- ``normalization``: the warp to the model's crop and the crop's masks;
- ``model``: one jitted LiveGaze forward on the batch's crops (numpy in, so
  the transfer to the device counts), divided by the batch; its compile time
  and XLA's memory analysis are the record's ``compile_ms`` and ``memory``;
- ``paste``: the inverse warp and feathered blend of the face region;

their sum ``total_ms_per_frame`` (detection included only when measured), and
``frame_redirector_ms_per_frame``: the whole
:class:`~gazejax.methods.livegaze.inference.FrameRedirector` path after
detection (prepare the faces, one model call, paste) timed end to end.

Without a detector the landmarks are MediaPipe's canonical face posed in the
frame (:mod:`gazejax.face.posed_face`), one face per frame, 600 mm from a
camera of the default field of view. The model is a random-weight LiveGaze
``:tiny`` (64^2 crops) unless ``--checkpoint RUN`` names a LiveGaze run.
``--quick`` times one 360p frame size at batch 1 and 2, a few runs (a smoke test).
"""

import functools
import pathlib

import jax
import numpy as np

from gazejax.bench.memory import ShapeTooBig
from gazejax.bench.timing import record, skipped_record, time_host, time_jax
from gazejax.cli import UsageError

FRAME_SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
BATCHES = (1, 8)
QUICK_FRAME_SIZES = {"360p": (640, 360)}
QUICK_BATCHES = (1, 2)
# the posed face: a video call's distance from the camera, turned a little (pitch, yaw radians)
FACE_DISTANCE_MM = 600.0
FACE_PITCHYAW = (0.05, 0.1)
NAME = "photo_pipeline"
LIVEGAZE_CONFIG = pathlib.Path(__file__).resolve().parents[2] / "configs" / "livegaze.py"


def run(args):
    try:
        import cv2  # noqa: F401, PLC0415
    except ImportError:
        raise UsageError('bench pipeline needs the face extra: pip install -e ".[face]"') from None
    from gazejax.methods.livegaze.inference import FrameRedirector  # noqa: PLC0415

    redirector, config_name = _redirector(args.checkpoint)
    frames = FrameRedirector(redirector)
    sizes, batches = (QUICK_FRAME_SIZES, QUICK_BATCHES) if args.quick else (FRAME_SIZES, BATCHES)
    runs = min(args.runs, 3) if args.quick else args.runs
    records = []
    for label, (width, height) in sizes.items():
        frame, k, landmarks = _posed_frame(width, height)
        host = dict(detection=_detection(width, height, runs),
                    **_host_stages(frame, k, landmarks, frames, runs))
        for n in batches:
            records.append(_record(frames, redirector, config_name, label, frame, k, landmarks, host, n, runs,
                                   args.budget_bytes))
    return records


def _redirector(checkpoint):
    """``(Redirector, config name)``: the run's model, or a random-weight ``:tiny`` LiveGaze."""
    from gazejax.methods.livegaze.build import build_model, init_variables  # noqa: PLC0415
    from gazejax.methods.livegaze.inference import Redirector  # noqa: PLC0415

    if checkpoint is not None:
        try:
            return Redirector.from_workdir(checkpoint), str(checkpoint)
        except ValueError as e:  # RunError: no run there, or not a LiveGaze run (the message names it)
            raise UsageError(str(e)) from None
    from gazejax.geometry import camera_label  # noqa: PLC0415
    from gazejax.train.config_loading import load_config  # noqa: PLC0415

    config = load_config(f"{LIVEGAZE_CONFIG}:tiny")
    model = build_model(config.model)
    r = model.output_resolution
    variables = jax.jit(functools.partial(init_variables, model))(
        jax.random.key(0), np.zeros((1, r, r, 3), np.float32), np.zeros((1, 2), np.float32),
        camera_label(np.zeros(1), np.zeros(1)))
    return Redirector(config, variables), "configs/livegaze.py:tiny (random weights)"


def _posed_frame(width, height):
    """A random ``(H, W, 3)`` frame, its default camera matrix and the posed canonical face's ``[(468, 2)]``."""
    from gazejax import face  # noqa: PLC0415
    from gazejax.face.posed_face import head_rotation, project  # noqa: PLC0415

    frame = np.random.default_rng(0).uniform(size=(height, width, 3)).astype(np.float32)
    k = face.camera_matrix(width, height)
    return frame, k, [project(head_rotation(*FACE_PITCHYAW), (0.0, 0.0, FACE_DISTANCE_MM), k)]


def _detection(width, height, runs):
    """Timing of the face mesh on a real photo scaled into the frame, or why it was not measured."""
    from gazejax import face  # noqa: PLC0415

    try:
        photo = _photo_frame(width, height)
        found = face.detect_faces(photo)
    except (ImportError, face.DetectorUnavailable) as e:
        return dict(measured=False, reason=f"{type(e).__name__}: {e}")
    return dict(measured=True, faces_found=len(found), **time_host(lambda: face.detect_faces(photo), runs=runs))


def _photo_frame(width, height):
    """matplotlib's ``grace_hopper.jpg`` scaled to the frame's height, centred on grey."""
    import cv2  # noqa: PLC0415
    from matplotlib import cbook  # noqa: PLC0415

    from gazejax.commands.image_files import read_rgb  # noqa: PLC0415

    photo = read_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    scaled_width = min(width, round(photo.shape[1] * height / photo.shape[0]))
    photo = cv2.resize(photo, (scaled_width, height), interpolation=cv2.INTER_AREA)
    frame = np.full((height, width, 3), 0.5, np.float32)
    left = (width - scaled_width) // 2
    frame[:, left:left + scaled_width] = photo
    return frame


def _host_stages(frame, k, landmarks, frames, runs):
    """Timings of one face's head-pose fit, normalization and paste (the stages that run face by face)."""
    from gazejax import face  # noqa: PLC0415

    points = landmarks[0]
    pose = face.fit_head_pose(points, k)
    crop = face.normalize(frame, points, pose, k, frames.spec)
    mask = face.region_mask(crop, "face")
    return dict(
        head_pose=time_host(lambda: face.fit_head_pose(points, k), runs=runs),
        normalization=time_host(lambda: face.normalize(frame, points, pose, k, frames.spec), runs=runs),
        paste=time_host(lambda: face.paste(frame, crop.image, crop, mask), runs=runs),
    )


def _record(frames, redirector, config_name, label, frame, k, landmarks, host, n, runs, budget_bytes):
    """The ``photo_pipeline`` record of one frame size at ``n`` frames per model call."""
    from gazejax import face  # noqa: PLC0415
    from gazejax.geometry import camera_label  # noqa: PLC0415

    r = frames.resolution
    shapes = dict(frame=[frame.shape[0], frame.shape[1], 3], frame_size=label, batch=n, crop=[r, r, 3],
                  faces_per_frame=len(landmarks))
    prepared = frames.prepare(frame, k, landmarks)
    crops = np.stack([prepared[0].crop.image] * n)
    gaze = np.zeros((n, 2), np.float32)
    view = face.eg3d_view(prepared[0].crop.head_rotation)
    cameras = np.asarray(camera_label(np.full(n, view[0]), np.full(n, view[1])), np.float32)
    model = jax.jit(redirector.model.apply)
    try:
        model_timing = time_jax(model, redirector.variables, crops, gaze, cameras, runs=runs,
                                budget_bytes=budget_bytes)
    except ShapeTooBig as too_big:
        return skipped_record(NAME, config_name, shapes, too_big)
    batch_frames, batch_landmarks = [frame] * n, [landmarks] * n

    def whole_path():
        faces = [frames.prepare(f, k, points) for f, points in zip(batch_frames, batch_landmarks)]
        return frames.redirect_frames(batch_frames, faces, look_at_camera=True)

    whole = time_host(whole_path, runs=runs)
    stages = dict(host, model=model_timing)
    per_frame = {name: timing["median_ms"] / (n if name == "model" else 1)
                 for name, timing in stages.items() if timing.get("measured", True)}
    return record(NAME, config_name, shapes, memory=model_timing["memory"], compile_ms=model_timing["compile_ms"],
                  stages=stages, **{f"{name}_ms_per_frame": ms for name, ms in per_frame.items()},
                  total_ms_per_frame=sum(per_frame.values()),
                  frame_redirector_ms_per_frame=whole["median_ms"] / n, frame_redirector=whole)
