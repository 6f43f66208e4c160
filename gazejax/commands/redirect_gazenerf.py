"""``gazejax redirect`` for a GazeNeRF run: fit the network to one input record, then render.

A GazeNeRF input is more than a picture: it needs the face's latent codes,
masks and camera (reference notes Sec. 5), so the input is a record, either
from a GazeNeRF h5 file (``--h5 FILE --index I``) or the run's held-out
SynthGaze split (``--index I``). Fitting is
``gazejax.train.gazenerf_fitting.fit`` (``fit.num_steps`` Adam steps,
``--fit-steps`` to change), compiled once; every requested gaze is then
rendered from the same fitted subject.
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


def redirect(config, workdir, record, gazes, fit_steps=None, seed=0):
    """Fits ``record`` (a batch of one) and renders it at each head-frame gaze.

    Returns ``(images (G, R, R, 3) merged outputs, fit losses (steps,))``.
    """
    import jax  # noqa: PLC0415
    import jax.numpy as jnp  # noqa: PLC0415

    from gazejax.train import gazenerf, gazenerf_fitting, trainer  # noqa: PLC0415

    gazenerf.check_record(config, record)
    state, _ = trainer.restore_state(config, workdir)
    steps = config.fit.num_steps if fit_steps is None else fit_steps

    @jax.jit
    def fit_and_render(net_params, extra, record, gazes, key):
        fitted, losses = gazenerf_fitting.fit(config, net_params, extra, record, key, steps)
        many = jax.tree.map(lambda a: jnp.repeat(a, gazes.shape[0], axis=0), (fitted, record))
        return gazenerf_fitting.redirect(config, *many, gazes)["merged"], losses[0]

    images, losses = fit_and_render(state.params["net"], state.extra, record, jnp.asarray(gazes),
                                    jax.random.PRNGKey(seed))
    return np.asarray(images), np.asarray(losses)


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
    try:
        images, losses = redirect(config, args.checkpoint, record, np.array(targets, np.float32),
                                  fit_steps=args.fit_steps)
    except ValueError as e:
        raise UsageError(str(e)) from None
    print(f"fitted {len(losses)} steps: loss {losses[0]:.4g} -> {losses[-1]:.4g}")
    if args.out:
        save(args.out, images[0])
        images = images[1:]
    if args.sweep:
        save(args.sweep, np.concatenate([record["image"][0], *images], axis=1))
