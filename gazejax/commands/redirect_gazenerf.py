"""``gazejax redirect`` for a GazeNeRF run: fit the network to one input record, then render.

A GazeNeRF input is more than a picture: fitting starts from the face's
latent codes and needs its masks and camera, so the input is a record, either
from a GazeNeRF h5 file (``--h5 FILE --index I``) or the run's held-out
SynthGaze split (``--index I``). Fitting is
:func:`gazejax.methods.gazenerf.inference.redirect_record` (``fit.num_steps``
Adam steps, ``--fit-steps`` to change), the same compiled fit-and-render as
``gazejax evaluate`` (:func:`gazejax.methods.gazenerf.fitting.fit_and_redirect`);
every requested gaze is rendered from the same fitted subject.
"""

import numpy as np

from gazejax.cli import UsageError


def _record(config, args):
    from gazejax.data.pipeline import open_source, to_float  # noqa: PLC0415

    if args.h5:
        from gazejax.data.gazenerf_h5 import GazeNeRFH5Source  # noqa: PLC0415

        source, where = GazeNeRFH5Source([args.h5]), args.h5
    else:
        source, _ = open_source(config.data, config.data.eval_split)
        where = f"the run's {config.data.eval_split} split"
    if not 0 <= args.index < len(source):
        raise UsageError(f"--index {args.index} is out of range: {where} has {len(source)} records")
    print(f"input: record {args.index} of {where}")
    record = to_float(source[args.index])
    return {k: np.asarray(v)[None] for k, v in record.items()}


def run(args, config, gaze, gaze_yaws, save):
    """The ``--method gazenerf`` branch of ``gazejax redirect``.

    ``gaze`` (pitch, yaw) for ``--out`` (or None), ``gaze_yaws`` for
    ``--sweep``; ``save(path, image)`` writes a PNG.
    """
    if args.image:
        raise UsageError("GazeNeRF needs codes, masks and a camera with the image: give --h5 FILE "
                         "--index I (GazeNeRF h5 layout) or --index I of the run's held-out split")
    record = _record(config, args)
    targets = ([gaze] if args.out else []) + ([[0.0, y] for y in gaze_yaws] if args.sweep else [])
    from gazejax.methods.gazenerf.inference import redirect_record  # noqa: PLC0415

    try:
        images, losses = redirect_record(args.checkpoint, record, np.array(targets, np.float32),
                                         fit_steps=args.fit_steps)
    except ValueError as e:
        raise UsageError(str(e)) from None
    print(f"fitted {len(losses)} steps: loss {losses[0]:.4g} -> {losses[-1]:.4g}")
    if args.out:
        save(args.out, images[0])
        images = images[1:]
    if args.sweep:
        save(args.sweep, np.concatenate([record["image"][0], *images], axis=1))
