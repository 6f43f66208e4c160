"""``gazejax bench``: variant checking and XLA's FLOP count (no timing assertions)."""

import json

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


def test_gazenerf_fit_steps_sets_the_timed_fit(tmp_path):
    out = tmp_path / "b.json"
    assert main(["bench", "gazenerf", "--quick", "--fit-steps", "2", "--json", str(out)]) == 0
    records = {r["name"]: r for r in json.loads(out.read_text())}
    assert records["gazenerf_fit_and_redirect"]["fit_steps"] == 2
    assert records["gazenerf_train_step"]["median_ms"] > 0


def test_fit_steps_is_refused_elsewhere(tmp_path, capsys):
    out = str(tmp_path / "b.json")
    assert main(["bench", "synthgaze", "--fit-steps", "3", "--json", out]) == 2
    assert "for the gazenerf benchmark only" in capsys.readouterr().err
