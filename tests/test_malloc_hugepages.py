"""The ``gazejax`` command restarts itself once with glibc's huge-page tunable."""

import os
import subprocess
import sys

import pytest

from gazejax import malloc_hugepages

HERE = dict(glibc_version=(2, 36), thp_available=True)


def test_appends_the_tunable_to_the_users_tunables():
    env = {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2", "PATH": "/bin"}
    new = malloc_hugepages.environment(env, **HERE)
    assert new == {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1", "PATH": "/bin"}
    assert env["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"  # the caller's environment is not modified
    assert malloc_hugepages.environment({}, **HERE) == {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}


@pytest.mark.parametrize("env, machine", [
    ({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}, HERE),  # the user's own value wins
    ({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}, HERE),  # already restarted: never a loop
    ({"GAZEJAX_HUGEPAGES": "0"}, HERE),
    ({}, dict(glibc_version=(2, 31), thp_available=True)),  # glibc without the tunable
    ({}, dict(glibc_version=(2, 36), thp_available=False)),  # transparent huge pages: never
])
def test_no_restart_when_it_cannot_help_or_was_turned_off(env, machine):
    assert malloc_hugepages.environment(env, **machine) is None


def test_no_restart_off_linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert malloc_hugepages.environment({}, **HERE) is None


@pytest.mark.parametrize("setting, available", [
    ("always [madvise] never\n", True), ("[always] madvise never\n", True), ("always madvise [never]\n", False),
])
def test_reads_the_kernels_setting(tmp_path, setting, available):
    path = tmp_path / "enabled"
    path.write_text(setting)
    assert malloc_hugepages._thp_available(path) is available
    assert malloc_hugepages._thp_available(tmp_path / "missing") is False


def test_restart_keeps_the_command_line_and_happens_once():
    code = ("import os, sys; from gazejax import malloc_hugepages; print('start', flush=True); "
            "malloc_hugepages.restart_with_hugepages(); "
            "print(os.environ.get('GLIBC_TUNABLES', ''), *sys.argv[1:])")
    env = {k: v for k, v in os.environ.items() if k not in ("GLIBC_TUNABLES", "GAZEJAX_HUGEPAGES")}
    out = subprocess.run([sys.executable, "-c", code, "bench", "--x", "a b"], env=env, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    if malloc_hugepages.environment(env) is None:  # this machine cannot use huge pages
        assert out == ["start", " bench --x a b"]
    else:
        assert out == ["start", "start", "glibc.malloc.hugetlb=1 bench --x a b"]
    off = subprocess.run([sys.executable, "-c", code, "bench"], env=dict(env, GAZEJAX_HUGEPAGES="0"),
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert off == ["start", " bench"]


def test_a_failed_restart_runs_on_without_huge_pages(monkeypatch):
    def refuse(*args):
        raise PermissionError("no exec here")
    monkeypatch.setattr(malloc_hugepages, "environment", lambda: {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"})
    monkeypatch.setattr(os, "execve", refuse)
    assert malloc_hugepages.restart_with_hugepages() is None
