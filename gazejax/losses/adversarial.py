"""GAN losses: non-saturating logistic (StyleGAN2/EG3D), WGAN, and the R1 penalty."""

import jax
import jax.numpy as jnp


def nonsaturating_g(fake_logits):
    """Generator loss ``mean(softplus(-D(G(z))))``."""
    return jnp.mean(jax.nn.softplus(-fake_logits))


def nonsaturating_d(real_logits, fake_logits):
    """Discriminator loss ``mean(softplus(D(G(z)))) + mean(softplus(-D(x)))``."""
    return jnp.mean(jax.nn.softplus(fake_logits)) + jnp.mean(jax.nn.softplus(-real_logits))


def wasserstein_g(fake_logits):
    """WGAN generator loss ``-mean(D(G(z)))`` (PRGAN)."""
    return -jnp.mean(fake_logits)


def wasserstein_d(real_logits, fake_logits):
    """WGAN critic loss ``mean(D(G(z))) - mean(D(x))``."""
    return jnp.mean(fake_logits) - jnp.mean(real_logits)


def r1_penalty(d_fn, real):
    """R1 regulariser ``mean_i ||grad_x D(x_i)||^2`` (Mescheder et al. 2018).

    ``d_fn`` maps a batch of reals to per-sample logits; multiply by gamma/2
    at the call site (EG3D: gamma = 1 for FFHQ).
    """
    grads = jax.grad(lambda x: jnp.sum(d_fn(x)))(real)
    return jnp.mean(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=-1))
