"""Redirecting with a trained GazeNeRF run: fit the subject of one record, render it at new gazes.

A GazeNeRF input is more than a picture: it needs the face's latent codes,
masks and camera, so the input is a dataset record (SynthGaze, or a
GazeNeRF h5 file). The run is loaded with
:func:`gazejax.run_loading.load_model`: the network's parameters and the
frozen loss networks' variables that fitting uses (the functional and
perceptual terms), no optimizer state or data.
"""

import jax
import numpy as np

from gazejax.methods.gazenerf import fitting
from gazejax.run_loading import load_model


def redirect_record(run_dir, record, gazes, fit_steps=None, seed=0):
    """Fits ``record`` (a batch of one) and renders it at each head-frame gaze ``(G, 2)``.

    Returns ``(images (G, R, R, 3) merged outputs, fit losses (steps,))``.
    Raises ValueError (one line) when the record does not fit the run's config.
    """
    run = load_model(run_dir, method="gazenerf")
    images, losses = fitting.fit_and_redirect(
        run.config, run.state["params"]["net"], run.state.get("extra", {}), record,
        np.asarray(gazes, np.float32)[None], jax.random.PRNGKey(seed), num_steps=fit_steps)
    return np.asarray(images["merged"][0]), np.asarray(losses[0])
