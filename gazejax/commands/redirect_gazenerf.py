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
from gazejax.commands.outputs import check_finite, write_image
from gazejax.errors import first_line


def _source(config, h5):
    """The records to take the input from, and how to name them."""
    from gazejax.data.pipeline import open_source  # noqa: PLC0415

    if h5:
        from gazejax.data.gazenerf_h5 import GazeNeRFH5Source  # noqa: PLC0415

        try:
            return GazeNeRFH5Source([h5]), h5
        except ValueError as e:  # a missing file or key, inconsistent shapes
            raise UsageError(str(e)) from None
        except OSError as e:  # h5py: not an HDF5 file, unreadable
            raise UsageError(f"--h5 {h5} is not a readable HDF5 file: {e}") from None
    split = config.data.eval_split
    try:
        return open_source(config.data, split)[0], f"the run's {split} split"
    except (OSError, ValueError) as e:
        reason = first_line(e)
        raise UsageError(f"the run's {split} split cannot be read: {reason}") from None


def _record(config, args):
    from gazejax.data.pipeline import to_float  # noqa: PLC0415

    source, where = _source(config, args.h5)
    if not 0 <= args.index < len(source):
        raise UsageError(f"--index {args.index} is out of range: {where} has {len(source)} records")
    print(f"input: record {args.index} of {where}")
    try:
        record = to_float(source[args.index])
    except (OSError, KeyError, ValueError) as e:  # a damaged record inside a valid file
        raise UsageError(f"record {args.index} of {where} cannot be read: {e}") from None
    return {k: np.asarray(v)[None] for k, v in record.items()}


def run(args, config, gaze, gaze_yaws):
    """The GazeNeRF branch of ``gazejax redirect``, after its command line was checked.

    ``gaze`` (pitch, yaw) for ``--out`` (or None), ``gaze_yaws`` for ``--sweep``.
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
    except ValueError as e:  # RunError, or a record that does not fit the run's config
        raise UsageError(str(e)) from None
    check_finite("GazeNeRF's output", image=images, fit_loss=losses)
    print(f"fitted {len(losses)} steps: loss {losses[0]:.4g} -> {losses[-1]:.4g}")
    if args.out:
        write_image(args.out, images[0])
        images = images[1:]
    if args.sweep:
        write_image(args.sweep, np.concatenate([record["image"][0], *images], axis=1))
    return 0
