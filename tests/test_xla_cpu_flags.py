"""The XLA:CPU flags gazejax adds before JAX starts."""

import os
import subprocess
import sys

import pytest

from gazejax import xla_cpu_flags


@pytest.fixture
def checked_jaxlib(monkeypatch):
    monkeypatch.setattr(xla_cpu_flags, "_jaxlib_version", lambda: xla_cpu_flags.CHECKED_JAXLIB[0])


def test_adds_the_ynn_flag_after_the_users_flags(checked_jaxlib):
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    assert xla_cpu_flags.apply(env) == ("--xla_cpu_experimental_ynn_fusion_type=reduce",)
    assert env["XLA_FLAGS"] == ("--xla_force_host_platform_device_count=2 "
                                "--xla_cpu_experimental_ynn_fusion_type=reduce")
    assert xla_cpu_flags.apply(env) == ()  # idempotent
    empty = {}
    xla_cpu_flags.apply(empty)
    assert empty["XLA_FLAGS"] == "--xla_cpu_experimental_ynn_fusion_type=reduce"


def test_users_own_value_and_opt_out_win(checked_jaxlib):
    env = {"XLA_FLAGS": "--xla_cpu_experimental_ynn_fusion_type="}
    assert xla_cpu_flags.apply(env) == ()
    assert env["XLA_FLAGS"] == "--xla_cpu_experimental_ynn_fusion_type="
    env = {"GAZEJAX_XLA_CPU_DEFAULTS": "0"}
    assert xla_cpu_flags.apply(env) == () and "XLA_FLAGS" not in env


@pytest.mark.parametrize("version", [(0, 9, 0), (0, 11, 0), None])
def test_unchecked_jaxlib_gets_no_flags(monkeypatch, version):
    monkeypatch.setattr(xla_cpu_flags, "_jaxlib_version", lambda: version)
    env = {}
    assert xla_cpu_flags.apply(env) == () and env == {}


def test_importing_gazejax_sets_flags_that_xla_accepts():
    # XLA aborts the process on an unknown flag: run a computation in a fresh one.
    code = ("import os, gazejax, jax.numpy as jnp; "
            "print(float(jnp.arange(4.0).sum())); print(os.environ.get('XLA_FLAGS', ''))")
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "GAZEJAX_XLA_CPU_DEFAULTS")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "6.0"
    expected = xla_cpu_flags.DEFAULT_FLAGS if xla_cpu_flags.apply({}) else ()
    assert out[1].split() == list(expected)
