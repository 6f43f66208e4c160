"""MGGR's objectives: reconstruction (Eq. 3, 8), perceptual (Eq. 9), gaze (Eq. 10),
adversarial (Eq. 11), and the overall ``L_D`` (Eq. 12) and ``L_G`` (Eq. 13).

Angles given to these functions are already normalised
(``gazemap.normalize_angles``), as the discriminator regresses them.
"""

import jax.numpy as jnp

from gazejax.losses.adversarial import nonsaturating_d, nonsaturating_g
from gazejax.losses.reconstruction import masked_mse


def reconstruction(pred, target):
    """``E ||pred - target||^2`` over pixels and channels (Eq. 3 and 8).

    The paper writes an L2 norm; we use the mean squared error (per-pixel
    scale, independent of the patch size). Images (N, H, W, 3) -> scalar.
    """
    return masked_mse(pred, target, jnp.ones(pred.shape[:3], pred.dtype))


def gram(features):
    """Gram matrix of (N, h, w, c) features, divided by ``h w c`` (Gatys et al.) -> (N, c, c)."""
    n, h, w, c = features.shape
    f = features.reshape(n, h * w, c)
    return jnp.einsum("npc,npd->ncd", f, f) / (h * w * c)


def feature(pred_features, target_features):
    """``L_g_feature`` (Eq. 9, top): mean squared difference of one feature map.

    The ``1 / (h_j w_j c_j)`` of Eq. 9 is the mean; (N, h, w, c) each -> scalar.
    """
    return jnp.mean((pred_features - target_features) ** 2)


def style(pred_features, target_features):
    """``L_g_style`` (Eq. 9, bottom): sum over layers of mean squared Gram differences.

    Args: two sequences of (N, h_j, w_j, c_j) feature maps, layer by layer.
    Returns: scalar.
    """
    return sum(
        jnp.mean((gram(p) - gram(t)) ** 2) for p, t in zip(pred_features, target_features)
    )


def gaze_regression(pred, target):
    """``L_d_gaze`` / ``L_g_gaze`` (Eq. 10): mean squared error of (N, 2) angles."""
    return jnp.mean((pred - target) ** 2)


def discriminator_objective(real_logits, real_gaze, fake_logits, target_gaze, weights):
    """``L_D = lambda_1 L_d_gaze - L_adv`` (Eq. 12).

    ``-L_adv`` of Eq. 11 is the logistic loss ``softplus(-D(x_b)) +
    softplus(D(x^_b))``; the gaze head regresses the real target's angles.

    Args:
      real_logits, fake_logits: adversarial logits of ``x_b`` and ``x^_b``.
      real_gaze: (N, 2) gaze head output on ``x_b``.
      target_gaze: (N, 2) normalised ``r_b``.
      weights: has ``d_gaze`` (lambda_1).

    Returns:
      (loss, {term: value}).
    """
    terms = dict(
        d_adv=nonsaturating_d(real_logits, fake_logits),
        d_gaze=gaze_regression(real_gaze, target_gaze),
    )
    return terms["d_adv"] + weights.d_gaze * terms["d_gaze"], terms


def generator_objective(
    refined, target, fake_logits, fake_gaze, target_gaze, weights, features=None
):
    """``L_G`` (Eq. 13) = l2 L_g_recon + l3 L_g_feature + l4 L_g_style + l5 L_g_gaze + l6 L_adv.

    The adversarial term is the non-saturating ``softplus(-D(x^_b))`` rather
    than Eq. 11's ``log(1 - D(x^_b))``, which has vanishing gradients while
    ``D`` wins (Goodfellow et al. 2014).

    Args:
      refined, target: (N, H, W, 3) ``x^_b`` and ``x_b`` in [0, 1].
      fake_logits, fake_gaze: discriminator outputs on ``refined``.
      target_gaze: (N, 2) normalised ``r_b``.
      weights: has ``g_recon``, ``g_feature``, ``g_style``, ``g_gaze``,
        ``g_adv`` (lambda_2 ... lambda_6).
      features: ``images -> (content_map, [style_maps...])`` (a frozen VGG16),
        needed when ``g_feature`` or ``g_style`` is non-zero.

    Returns:
      (loss, {term: value}).
    """
    terms = dict(
        g_recon=reconstruction(refined, target),
        g_gaze=gaze_regression(fake_gaze, target_gaze),
        g_adv=nonsaturating_g(fake_logits),
    )
    if weights.g_feature or weights.g_style:
        if features is None:
            raise ValueError("the perceptual terms need a feature extractor")
        pred_content, pred_style = features(refined)
        true_content, true_style = features(target)
        terms["g_feature"] = feature(pred_content, true_content)
        terms["g_style"] = style(pred_style, true_style)
    else:
        terms["g_feature"] = terms["g_style"] = jnp.zeros(())
    loss = sum(getattr(weights, name) * value for name, value in terms.items())
    return loss, terms
