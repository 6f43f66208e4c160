"""FID and KID of EG3D samples against the real images of the training split.

As EG3D's ``fid50k_full`` / ``kid50k_full``: ``eval.fid_images`` samples,
each rendered from (and conditioned on) the camera label of a real image,
truncation ``eval.fid_truncation_psi`` (1 = none), against
``eval.fid_real_images`` real images of ``data.split`` (0 = all of them; a
smaller number takes a seeded random subset). Real images are resized to the
generator's output size as training sees them. Features: the FID Inception
of ``eval.fid_checkpoint``. Samples use constant noise and deterministic ray
samples, so a run's scores are reproducible.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.data.pipeline import open_source, to_float
from gazejax.methods.eg3d.discriminator import filtered_resize
from gazejax.metrics import kernel_inception_distance
from gazejax.methods.eg3d.training import SR_OUTPUT
from gazejax.metrics import frechet_inception_distance
from gazejax.pretrained.fid import load_fid_features


def real_subset(config):
    """The training split's source and the indices of the real images scored."""
    source, _ = open_source(config.data, config.data.split)
    wanted = config.eval.fid_real_images
    if not wanted or wanted >= len(source):
        return source, np.arange(len(source))
    return source, np.sort(np.random.default_rng(config.seed).choice(len(source), wanted, replace=False))


def fid_and_kid(config, generator, g_vars):
    """``{'fid', 'kid', 'fid_images', 'fid_real_images'}`` of the EMA generator ``g_vars``."""
    e = config.eval
    features = load_fid_features(e.fid_checkpoint)
    source, indices = real_subset(config)
    output_side = SR_OUTPUT[config.model.sr_variant]

    @jax.jit
    def samples(g_vars, z, cameras):
        out = generator.apply(g_vars, z, cameras, cameras, truncation_psi=e.fid_truncation_psi,
                              noise_mode="const")
        return jnp.clip((out["image"] + 1) / 2, 0.0, 1.0)

    real_features, fake_features, cameras = [], [], []
    for start in range(0, len(indices), e.fid_batch):
        records = [to_float(source[int(i)]) for i in indices[start:start + e.fid_batch]]
        images = jnp.asarray(np.stack([r["image"] for r in records]))
        cameras.append(np.stack([r["camera"] for r in records]).astype(np.float32))
        if images.shape[1] != output_side:
            images = filtered_resize(images, output_side)
        real_features.append(np.asarray(features(images)))
    cameras = np.concatenate(cameras)
    rng = np.random.RandomState(config.seed)
    for start in range(0, e.fid_images, e.fid_batch):
        n = min(e.fid_batch, e.fid_images - start)
        z = rng.randn(n, config.model.z_dim).astype(np.float32)
        labels = cameras[np.arange(start, start + n) % len(cameras)]
        fake_features.append(np.asarray(features(samples(g_vars, jnp.asarray(z), jnp.asarray(labels)))))
    real, fake = np.concatenate(real_features), np.concatenate(fake_features)
    return {"fid": frechet_inception_distance(fake, real),
            "kid": kernel_inception_distance(fake, real, e.kid_subsets, e.kid_subset_size, config.seed),
            "fid_images": len(fake), "fid_real_images": len(real)}
