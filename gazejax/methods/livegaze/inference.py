"""Inference from a trained LiveGaze run: load once, redirect batches (video frames).

    redirector = Redirector.from_workdir("runs/livegaze")
    out = redirector(frames, gaze)            # frames (N, R, R, 3) in [0, 1]
    out["image"], out["depth"]                 # numpy, (N, R, R, 3) / (N, r, r)

Gaze is the target (pitch, yaw) in radians in the head frame (the model's
prompt, LiveGaze paper Sec. 4.1); cameras are EG3D labels, by default the
frontal camera (for which head-frame and camera-frame gaze coincide).
Inputs must already be normalized face crops at the model's resolution;
:class:`FrameRedirector` takes whole photos and video frames instead.
"""

import jax
import numpy as np

from gazejax.geometry import camera_label
from gazejax.methods.livegaze.build import build_model, check_inputs
from gazejax.methods.livegaze.training import model_variables
from gazejax.run_loading import load_model


class Redirector:
    """A jitted, deterministic LiveGaze forward pass with loaded params."""

    def __init__(self, config, variables):
        self.config = config
        self.model = build_model(config.model)
        self.variables = variables
        self._apply = jax.jit(lambda v, x, g, c: self.model.apply(v, x, g, c, None))

    @classmethod
    def from_workdir(cls, workdir, step=None):
        """Loads a LiveGaze run with :func:`gazejax.run_loading.load_model`."""
        run = load_model(workdir, method="livegaze", step=step)
        return cls(run.config, model_variables(run.state["params"], run.state.get("extra")))

    @property
    def resolution(self):
        """Side of the face crops the model takes and returns."""
        return self.model.output_resolution

    def __call__(self, images, gaze, camera=None):
        """``images (N, R, R, 3)`` in [0, 1], ``gaze (N, 2)``, ``camera (N, 25)`` or None (frontal).

        Returns numpy ``image`` (clipped to [0, 1]), ``image_raw``, ``depth``, ``opacity``.
        Raises ValueError (one line) for wrongly shaped inputs.
        """
        images = np.asarray(images, np.float32)
        gaze = np.asarray(gaze, np.float32)
        if camera is None:
            camera = np.asarray(camera_label(np.zeros(len(images)), np.zeros(len(images))))
        camera = np.asarray(camera, np.float32)
        check_inputs(self.model, images, gaze, camera)
        out = jax.device_get(self._apply(self.variables, images, gaze, camera))
        out["image"] = np.clip(out["image"], 0.0, 1.0)
        return out


class FrameRedirector:
    """LiveGaze on whole photos and video frames: normalize each face, redirect it, paste it back.

        frames = FrameRedirector.from_workdir("runs/livegaze")
        result = frames(photo, gaze=(0.1, -0.2))        # or frames(photo, look_at_camera=True)
        result.image                                    # (H, W, 3), faces redirected

    ``gaze`` is in the frame's camera frame (docs/conventions.md) and is turned
    into each face's head-frame gaze by :func:`gazejax.face.model_gaze`; each
    face is rendered from the normalized camera's view of its head
    (:func:`gazejax.face.eg3d_view`). The face front end is :mod:`gazejax.face`.
    """

    def __init__(self, redirector):
        from gazejax.face import NormalizationSpec  # noqa: PLC0415

        self.redirector = redirector
        self.spec = NormalizationSpec.for_size(redirector.resolution)

    @classmethod
    def from_workdir(cls, workdir, step=None):
        """Loads a LiveGaze run (or bundle) with :meth:`Redirector.from_workdir`."""
        return cls(Redirector.from_workdir(workdir, step))

    def prepare(self, frame, camera_matrix=None, landmarks=None):
        """The frame's faces at the model's input (:func:`gazejax.face.prepare_faces`); K defaults to the FOV guess."""
        from gazejax import face  # noqa: PLC0415

        if camera_matrix is None:
            camera_matrix = face.camera_matrix(frame.shape[1], frame.shape[0])
        return face.prepare_faces(frame, camera_matrix, self.spec, landmarks)

    def __call__(self, frame, gaze=None, look_at_camera=False, region="face", faces=None):
        """:class:`gazejax.face.RedirectedFrame` of ``frame (H, W, 3)`` float32 in [0, 1].

        ``faces`` (from :meth:`prepare`) skips the detection; a frame without a
        face comes back unchanged.
        """
        frame = np.asarray(frame, np.float32)
        faces = self.prepare(frame) if faces is None else faces
        return self.redirect_frames([frame], [faces], gaze, look_at_camera, region)[0]

    def redirect_frames(self, frames, faces, gaze=None, look_at_camera=False, region="face"):
        """:meth:`__call__` on several frames with their prepared ``faces`` lists, in one model call.

        The model's batch is padded to a power of two, so a video's batches
        (whose face counts vary) compile a few shapes only.
        """
        from gazejax import face  # noqa: PLC0415

        every = [f for frame_faces in faces for f in frame_faces]
        head_gaze = face.faces_model_gaze(every, gaze, look_at_camera)
        r = self.resolution
        outputs = np.zeros((0, r, r, 3), np.float32)
        if every:
            views = np.array([face.eg3d_view(f.crop.head_rotation) for f in every], np.float32)
            cameras = np.asarray(camera_label(views[:, 0], views[:, 1]), np.float32)
            crops = np.stack([f.crop.image for f in every])
            pad = face.pad_to_power_of_two
            outputs = self.redirector(pad(crops), pad(head_gaze), pad(cameras))["image"][: len(every)]
        return face.paste_frames(frames, faces, outputs, head_gaze, region)

    @property
    def resolution(self):
        """Side of the normalized crops."""
        return self.redirector.resolution
