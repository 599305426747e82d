"""The wheel and the sdist built from the checkout, and a fresh venv outside it with the wheel
installed (every dependency from the index, pinned by requirements.lock): what a user gets.

Building or installing failing is a test failure, never a skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# The checkout the wheel is built from.
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


@dataclass(frozen=True)
class Installed:
    bin: Path  # the venv's bin/
    home: Path  # cwd for every command, outside the checkout
    env: dict[str, str]

    def dnc(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "dnc"), *args],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _run(command: list[str], cwd: Path, what: str, timeout: float = 600) -> None:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )


def build(dist: Path) -> Dist:
    _run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-t", "sdist", "-d", str(dist)],
        REPO_ROOT,
        "building the wheel and sdist",
    )
    return Dist(wheel=next(dist.glob("*.whl")), sdist=next(dist.glob("*.tar.gz")))


def install(dist: Dist, root: Path) -> Installed:
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], root, "creating a fresh venv")
    _run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--constraint",
            str(REPO_ROOT / "requirements.lock"),
            str(dist.wheel),
        ],
        root,
        "installing the wheel into the fresh venv",
    )
    home = root / "home"
    home.mkdir()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DNC_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["DNC_DATA_DIR"] = str(root / "data")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return Installed(bin=venv / "bin", home=home, env=env)
