"""The composite GitHub Action (action.yml) runs here as a runner would run it: each `shell: bash`
step in order, with `${{ inputs.* }}` and `${{ steps.*.outputs.* }}` substituted, in a fresh
virtualenv, with GITHUB_ACTION_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP in a
temporary directory, against a real reference server. Only the `uses:` steps (setup-python,
upload-artifact) are not run; the files upload-artifact would upload must exist.

The fresh virtualenv sees the project's installed dependencies (a .pth file), so that the
install step builds and installs dnc-kit itself without downloading the world.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from .faults import catalogue
from .harness import KEY_A, KEY_B, serve

pytestmark = pytest.mark.e2e

# The checkout this file belongs to: the action's own repository.
REPO_ROOT = Path(__file__).resolve().parents[2]

ACTION = REPO_ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# The action installs the package as a user's job would (not editable): the spec and the
# fixtures must then come from the installed wheel.
SPEC_PROBE = (
    "from dnc_kit.resources import OPENAPI_PATH, load_openapi; load_openapi();"
    " assert 'site-packages' in str(OPENAPI_PATH), OPENAPI_PATH"
)


@dataclass
class ActionRun:
    steps: list[tuple[str, int | None]] = field(default_factory=list)  # (name, exit code)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    uploads: list[Path] = field(default_factory=list)
    summary: str = ""
    log: str = ""

    def exit_code(self, name_start: str) -> int | None:
        return next(code for name, code in self.steps if name.startswith(name_start))


def _evaluate(expression: str, inputs: dict[str, str], run: ActionRun) -> str:
    parts = expression.split(".")
    if parts[0] == "inputs" and len(parts) == 2:
        return inputs[parts[1]]
    if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
        return run.outputs.get(parts[1], {}).get(parts[3], "")
    raise AssertionError(f"action.yml uses an expression this runner does not know: {expression}")


def _substitute(value: Any, inputs: dict[str, str], run: ActionRun) -> str:
    return EXPRESSION.sub(lambda m: _evaluate(m.group(1), inputs, run), str(value))


def _read_outputs(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line)


@dataclass
class Runner:
    tmp: Path
    env: dict[str, str]
    installed: bool = False

    def run(self, given: dict[str, str], *, skip_install: bool = False) -> ActionRun:
        action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
        inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
        missing = {name for name, spec in action["inputs"].items() if spec.get("required")}
        assert missing <= set(given), f"required inputs not given: {missing - set(given)}"
        inputs.update(given)
        run = ActionRun()
        failed = False
        summary = self.tmp / "summary.md"
        summary.write_text("", encoding="utf-8")
        for index, step in enumerate(action["runs"]["steps"]):
            name = step.get("name", f"step {index}")
            condition = step.get("if")
            assert condition in (None, "always()"), f"unsupported if: {condition}"
            if failed and condition is None:
                run.steps.append((name, None))
                continue
            if "uses" in step:
                if step["uses"].startswith("actions/upload-artifact"):
                    paths = _substitute(step["with"]["path"], inputs, run)
                    run.uploads += [Path(p.strip()) for p in paths.splitlines() if p.strip()]
                run.steps.append((name, None))
                continue
            assert step["shell"] == "bash", name
            if skip_install and "pip install" in step["run"]:
                run.steps.append((name, 0))
                continue
            outputs = self.tmp / f"output-{index}"
            outputs.write_text("", encoding="utf-8")
            script = self.tmp / f"step-{index}.sh"
            script.write_text(_substitute(step["run"], inputs, run), encoding="utf-8")
            env = {
                **self.env,
                "GITHUB_OUTPUT": str(outputs),
                "GITHUB_STEP_SUMMARY": str(summary),
                **{k: _substitute(v, inputs, run) for k, v in step.get("env", {}).items()},
            }
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                env=env,
                cwd=self.env["GITHUB_WORKSPACE"],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            run.log += f"--- {name} (exit {proc.returncode})\n{proc.stdout}{proc.stderr}"
            run.steps.append((name, proc.returncode))
            if "id" in step:
                run.outputs[step["id"]] = _read_outputs(outputs)
            failed = failed or proc.returncode != 0
            if "pip install" in step["run"] and proc.returncode == 0:
                self._require_installed_spec()
                self.installed = True
        run.summary = summary.read_text(encoding="utf-8")
        return run

    def _require_installed_spec(self) -> None:
        python = str(self.tmp / "venv" / "bin" / "python")
        # Away from the checkout, so that `import dnc_kit` finds the installed package.
        probe = subprocess.run(
            [python, "-c", SPEC_PROBE], env=self.env, cwd=self.tmp, capture_output=True, text=True
        )
        assert probe.returncode == 0, f"the installed package has no spec:\n{probe.stderr}"


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    tmp = tmp_path_factory.mktemp("action")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "dnc-kit-test-deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    (tmp / "workspace").mkdir()
    (tmp / "runner").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DNC_", "VIRTUAL_ENV"))}
    env.pop("PYTHONPATH", None)
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        GITHUB_ACTION_PATH=str(REPO_ROOT),
        GITHUB_WORKSPACE=str(tmp / "workspace"),
        RUNNER_TEMP=str(tmp / "runner"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return Runner(tmp, env)


def test_the_action_installs_the_suite_runs_it_and_publishes_a_passing_verdict(
    runner: Runner,
) -> None:
    baseline = Path(runner.env["GITHUB_WORKSPACE"]) / "dnc-baseline.yaml"
    # Listed but not selected (-m): neither an expected failure nor stale.
    baseline.write_text("expected-failures:\n  - list.total\n")
    with serve() as base_url:
        run = runner.run(
            {
                "base-url": base_url,
                "api-key": KEY_A,
                "second-api-key": KEY_B,
                "rate-window": "2",
                "baseline": "dnc-baseline.yaml",
                "args": '-m "check or isolation"',
            }
        )
    assert run.exit_code("Install dnc-kit") == 0, run.log[-4000:]
    assert run.exit_code("Run the conformance suite") == 0, run.log[-6000:]
    assert run.outputs["run"]["verdict"] == "pass", run.log[-6000:]
    assert run.exit_code("Fail the job") == 0, run.log[-3000:]
    assert "# DNC API conformance: **PASS**" in run.summary
    assert "| Team isolation | ✅ pass |" in run.summary
    assert [p.name for p in run.uploads] == ["junit.xml", "verdict.json", "verdict.md"]
    for path in run.uploads:
        assert path.is_file(), path
        assert path.stat().st_size > 0, path
    assert f"::add-mask::{KEY_A}" in run.log
    for path in run.uploads:
        text = path.read_text(encoding="utf-8")
        assert KEY_A not in text
        assert KEY_B not in text


def test_the_action_fails_the_job_when_the_deployment_breaks_the_contract(
    runner: Runner,
) -> None:
    broken = next(i for i, f in enumerate(catalogue()) if f.name == "check not-found omits entry")
    with serve(broken) as base_url:
        run = runner.run(
            {"base-url": base_url, "api-key": KEY_A, "rate-window": "2", "args": "-m check"},
            skip_install=runner.installed,  # the first test installed it into the same venv
        )
    assert run.exit_code("Run the conformance suite") == 0, run.log[-6000:]
    assert run.outputs["run"]["verdict"] == "fail"
    assert run.exit_code("Fail the job") == 1, run.log[-3000:]
    assert "# DNC API conformance: **FAIL**" in run.summary
    assert "check.not-found" in run.summary
    assert all(path.is_file() for path in run.uploads)
