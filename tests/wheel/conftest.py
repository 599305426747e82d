"""The wheel is built once per session and installed once into a fresh venv: every test of the
installed package shares them (each build or install costs seconds to a minute)."""

from __future__ import annotations

import pytest

from .fresh_venv import Dist, Installed, build, install


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    return build(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install(dist, tmp_path_factory.mktemp("wheel"))
