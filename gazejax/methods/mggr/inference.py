"""Redirecting eye patches with a trained MGGR run, and the eyes of whole photos and video frames.

    redirector = EyeRedirector.from_workdir("runs/mggr")
    out = redirector(patches, head_pose, source_gaze, target_gaze)   # numpy (N, P, P, 3)
    frames = EyeFrameRedirector(redirector)
    result = frames(photo, gaze=(0.1, -0.2))                          # or look_at_camera=True

Patches are (N, P, P, 3) in [0, 1] at the run's ``model.patch_size``, right
eyes mirrored as in training; angles are (N, 2) radians (mirrored yaw for
right eyes). The run is loaded with :func:`gazejax.run_loading.load_model`:
the coarse and refiner networks only (no discriminator, optimizer or
perceptual network).
"""

import jax
import numpy as np

from gazejax.methods.mggr import training
from gazejax.run_loading import load_model


class EyeRedirector:
    """A jitted MGGR coarse + refine pass with loaded parameters."""

    def __init__(self, config, params):
        self.config = config
        self.params = params
        self._apply = jax.jit(lambda p, *args: training.redirect(config, p, *args))

    @classmethod
    def from_workdir(cls, workdir, step=None):
        run = load_model(workdir, method="mggr", step=step)
        return cls(run.config, run.state["params"])

    @property
    def patch_size(self):
        return self.config.model.patch_size

    def __call__(self, patches, head_pose, source_gaze, target_gaze):
        """The refined patches, numpy ``(N, P, P, 3)`` clipped to [0, 1] (``coarse`` is not returned)."""
        patches = np.asarray(patches, np.float32)
        p = self.patch_size
        if patches.ndim != 4 or patches.shape[1:] != (p, p, 3):
            raise ValueError(f"eye patches must be (N, {p}, {p}, 3), got {patches.shape}")
        angles = [np.asarray(a, np.float32) for a in (head_pose, source_gaze, target_gaze)]
        if any(a.shape != (len(patches), 2) for a in angles):
            raise ValueError(f"head pose and gazes must each be ({len(patches)}, 2) radians")
        out = jax.device_get(self._apply(self.params, patches, *angles))
        return np.clip(out["refined"], 0.0, 1.0)


# The whole-head crop the eye patches are cut from is this many patch sides wide (512 for 64 px
# patches): an eye then spans about 50 px, a patch 85 px, so patches are cut by down-sampling.
CROP_PER_PATCH = 8


class EyeFrameRedirector:
    """MGGR on whole photos and video frames: each face normalized, its eye patches redirected and pasted back.

    The patches are cut from the normalized crop as MGGR is trained on them
    (:mod:`gazejax.face.eye_patches`), all of a call's frames in one model
    call, padded to a power of two so that a video compiles a few batch
    shapes only. MGGR's gaze labels are in the (normalized) camera frame, so the
    camera-frame ``gaze`` is rotated into each crop's frame; each face is
    taken to look into the lens before (source gaze 0). Only the eyes are
    pasted back.
    """

    def __init__(self, redirector):
        from gazejax.face import NormalizationSpec  # noqa: PLC0415

        self.redirector = redirector
        self.spec = NormalizationSpec.for_size(CROP_PER_PATCH * redirector.patch_size)

    def __call__(self, frame, gaze=None, look_at_camera=False, faces=None):
        """:class:`gazejax.face.RedirectedFrame` of ``frame (H, W, 3)`` in [0, 1] (``faces`` skips the detection)."""
        from gazejax import face  # noqa: PLC0415

        frame = np.asarray(frame, np.float32)
        if faces is None:
            faces = face.prepare_faces(frame, face.camera_matrix(frame.shape[1], frame.shape[0]), self.spec)
        return self.redirect_frames([frame], [faces], gaze, look_at_camera)[0]

    def redirect_frames(self, frames, faces, gaze=None, look_at_camera=False, region="eyes"):
        """:meth:`__call__` on several frames with their prepared ``faces`` lists; ``region`` must be eyes."""
        from gazejax import face  # noqa: PLC0415
        from gazejax.face.eye_patches import MIRROR, cut_eye_patches, paste_eye_patches  # noqa: PLC0415

        if region != "eyes":
            raise ValueError(f"MGGR redirects eye patches: region must be 'eyes', got {region!r}")
        every = [f for frame_faces in faces for f in frame_faces]
        targets = np.array([np.zeros(2) if look_at_camera else f.crop.gaze_to_normalized(gaze) for f in every],
                           np.float32).reshape(-1, 2)
        patches = [cut_eye_patches(f.crop.image, f.crop.landmarks, self.redirector.patch_size) for f in every]
        crops = np.zeros((0, self.spec.size, self.spec.size, 3), np.float32)
        if every:
            flat = [p for face_patches in patches for p in face_patches]
            signs = np.array([MIRROR if p.mirrored else np.ones(2) for p in flat], np.float32)
            head_pose = np.repeat([f.crop.head_pose for f in every], 2, axis=0)
            pad = face.pad_to_power_of_two
            images = pad(np.stack([p.image for p in flat]))
            redirected = self.redirector(images, pad(signs * head_pose), np.zeros((len(images), 2), np.float32),
                                         pad(signs * np.repeat(targets, 2, axis=0)))[: len(flat)]
            crops = np.stack([paste_eye_patches(f.crop.image, face_patches, redirected[2 * i: 2 * i + 2])
                              for i, (f, face_patches) in enumerate(zip(every, patches))])
        return face.paste_frames(frames, faces, crops, targets, region)
