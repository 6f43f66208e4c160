"""``gazejax redirect --image PHOTO``: redirect every face of a whole photo and paste it back.

    gazejax redirect --checkpoint RUN --image photo.jpg --gaze P,Y --out out.jpg [--region eyes]
    gazejax redirect --checkpoint RUN --image photo.jpg --look-at-camera --out out.jpg

The target gaze is in the photo's **camera** frame (docs/conventions.md);
``--look-at-camera`` makes each face look into the lens. Each face is found
and normalized by :mod:`gazejax.face` and redirected with its head-frame
gaze (:func:`gazejax.face.model_gaze`); a target outside the run's training
range is refused (:mod:`gazejax.commands.training_range`).

LiveGaze runs redirect the crops in one batch. GazeNeRF runs first fit the
faces, all at once (``--fit-steps``; codes from the dataset mean, the face's own gaze taken
as looking into the lens) with :func:`gazejax.methods.gazenerf.inference.photo_record`.
MGGR runs redirect the eye patches cut from each crop
(:mod:`gazejax.face.eye_patches`) and paste back the eyes only.
"""

from gazejax.cli import UsageError
from gazejax.commands.outputs import check_finite, write_image
from gazejax.commands.photo_input import photo_faces, write_debug
from gazejax.commands.training_range import check_in_training_range

def model_resolution(config, method):
    """Side of the crops the run's method takes (MGGR: the crop its eye patches are cut from)."""
    if method == "mggr":
        from gazejax.methods.mggr.inference import CROP_PER_PATCH  # noqa: PLC0415

        return CROP_PER_PATCH * config.model.patch_size
    if method == "gazenerf":
        from gazejax.methods.gazenerf.training import image_size  # noqa: PLC0415

        return image_size(config)
    return config.model.output_resolution


def run(args, config, method, gaze, photo):
    """Redirects ``photo`` (``args.image``, read) with the LiveGaze, GazeNeRF or MGGR run ``args.checkpoint``."""
    from gazejax import face  # noqa: PLC0415

    spec = face.NormalizationSpec.for_size(model_resolution(config, method))
    faces = photo_faces(args, photo, spec, args.image)
    head_gaze = face.faces_model_gaze(faces, gaze, args.look_at_camera)
    check_in_training_range(head_gaze, config, args.allow_extrapolation)
    if method == "gazenerf":
        return _gazenerf(args, config, photo, faces, head_gaze)
    if method == "mggr":
        return _mggr(args, photo, faces, gaze)
    from gazejax.methods.livegaze.inference import FrameRedirector, Redirector  # noqa: PLC0415

    try:
        frames = FrameRedirector(Redirector.from_workdir(args.checkpoint))
    except ValueError as e:  # RunError: no checkpoint
        raise UsageError(str(e)) from None
    result = frames(photo, gaze, args.look_at_camera, args.region, faces)
    check_finite("LiveGaze's output", image=result.image, raw_image=result.outputs)
    if args.debug_dir:
        write_debug(args.debug_dir, faces, result.outputs)
    write_image(args.out, result.image)
    _summary(head_gaze)
    return 0


def _gazenerf(args, config, photo, faces, head_gaze):
    """Fits GazeNeRF to every face at once, renders each at its target gaze and pastes them back."""
    import numpy as np  # noqa: PLC0415

    from gazejax import face  # noqa: PLC0415
    from gazejax.methods.gazenerf.inference import photo_record, redirect_records  # noqa: PLC0415
    from gazejax.run_loading import load_model  # noqa: PLC0415

    source_gaze = face.faces_model_gaze(faces, look_at_camera=True)
    records = [photo_record(config, f.crop, source) for f, source in zip(faces, source_gaze)]
    records = {key: np.concatenate([r[key] for r in records]) for key in records[0]}
    try:
        rendered, losses = redirect_records(load_model(args.checkpoint, method="gazenerf"), records,
                                            np.asarray(head_gaze, np.float32)[:, None], fit_steps=args.fit_steps)
    except ValueError as e:  # RunError, or a crop that does not fit the run's config
        raise UsageError(str(e)) from None
    check_finite("GazeNeRF's output", image=rendered, fit_loss=losses)
    for loss in losses:
        print(f"fitted {len(loss)} steps: loss {loss[0]:.4g} -> {loss[-1]:.4g}")
    image = photo
    for f, output in zip(faces, rendered[:, 0]):
        image, _ = face.paste(image, output, f.crop, face.region_mask(f.crop, args.region))
    if args.debug_dir:
        write_debug(args.debug_dir, faces, rendered[:, 0])
    write_image(args.out, image)
    _summary(head_gaze)
    return 0


def _summary(head_gaze):
    print(f"redirected {len(head_gaze)} face{'s' * (len(head_gaze) != 1)} "
          f"(head-frame gaze {', '.join(f'({p:.3f}, {y:.3f})' for p, y in head_gaze)})")


def _mggr(args, photo, faces, gaze):
    """Cuts each face's eye patches as MGGR is trained on them, redirects them, pastes the eyes back."""
    from gazejax.methods.mggr.inference import EyeFrameRedirector, EyeRedirector  # noqa: PLC0415

    try:
        frames = EyeFrameRedirector(EyeRedirector.from_workdir(args.checkpoint))
    except ValueError as e:  # RunError: no checkpoint
        raise UsageError(str(e)) from None
    result = frames(photo, gaze, args.look_at_camera, faces)
    check_finite("MGGR's output", image=result.image)
    if args.debug_dir:
        write_debug(args.debug_dir, faces, result.outputs)
    write_image(args.out, result.image)
    print(f"redirected the eyes of {len(faces)} face{'s' * (len(faces) != 1)}")
    return 0
