"""``gazejax bench``: variant checking and XLA's FLOP count (no timing assertions)."""

import jax
import jax.numpy as jnp

from gazejax.bench.timing import xla_flops
from gazejax.cli import main


def test_unknown_variant_is_a_one_line_error(tmp_path, capsys):
    out = str(tmp_path / "b.json")
    assert main(["bench", "gazenerf", "--variant", "huge", "--json", out]) == 2
    assert "has no variant 'huge'; choose from paper, synthgaze, tiny" in capsys.readouterr().err
    assert main(["bench", "synthgaze", "--variant", "paper", "--json", out]) == 2
    assert "it takes none" in capsys.readouterr().err


def test_xla_flops_of_a_matmul():
    a, b = jnp.ones((32, 48)), jnp.ones((48, 16))
    assert xla_flops(jax.jit(jnp.matmul), a, b) == 2 * 32 * 48 * 16
