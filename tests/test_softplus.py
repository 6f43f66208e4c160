"""gazejax.nn.softplus: jax.nn.softplus's values and derivative, in XLA:CPU's faster form."""

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.nn.softplus import softplus

# the kink and both tails, where max(x, 0) and |x| meet and exp under- or overflows
POINTS = np.concatenate([np.linspace(-30, 30, 2001), [0.0, 1e-8, -1e-8, 88.0, -88.0, 1e4, -1e4]]).astype(np.float32)


def test_values_and_derivative_equal_jax_softplus_and_sigmoid():
    x = jnp.asarray(POINTS)
    np.testing.assert_allclose(softplus(x), jax.nn.softplus(x), rtol=2e-7, atol=1e-7)
    derivative = jax.vmap(jax.grad(softplus))(x)
    np.testing.assert_allclose(derivative, jax.nn.sigmoid(x), rtol=1e-6, atol=1e-7)
    assert float(jax.grad(softplus)(0.0)) == 0.5  # autodiff through max and |x| would give 0
    np.testing.assert_allclose(jax.vmap(jax.grad(jax.grad(softplus)))(x),  # sigmoid'(x)
                               jax.vmap(jax.grad(jax.nn.sigmoid))(x), atol=1e-6)


def test_bfloat16_stays_bfloat16():
    x = jnp.asarray(POINTS, jnp.bfloat16)
    y, dy = softplus(x), jax.vmap(jax.grad(softplus))(x)
    assert y.dtype == dy.dtype == jnp.bfloat16
    np.testing.assert_allclose(np.asarray(y, np.float32), jax.nn.softplus(x.astype(jnp.float32)), rtol=1e-2, atol=1e-2)
