"""The repository's own wiring: GitHub workflows, pre-commit hooks, editor settings, modelines."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from pre_commit.clientlib import load_config, load_manifest

from kb.cli import main
from kb.model import FOLDERS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = {
    # the current major versions (see the project's notes on GitHub Actions)
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/configure-pages": "v6",
    "actions/upload-pages-artifact": "v5",
    "actions/deploy-pages": "v5",
    "actions/cache": "v6",
}


def check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run(
        [str(tool), *args], capture_output=True, text=True, timeout=300, check=False
    )


def workflow(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key 'on' as true
    return data


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


@pytest.mark.parametrize(
    "schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"]
)
def test_workflows_are_valid(schema: str) -> None:
    assert WORKFLOWS
    result = check_jsonschema("--builtin-schema", schema, *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_configuration_is_valid() -> None:
    result = check_jsonschema(
        "--builtin-schema", "vendor.dependabot", str(ROOT / ".github" / "dependabot.yml")
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_workflow_is_caught(tmp_path: Path) -> None:
    """The schema check can fail: a job without 'runs-on' is rejected."""
    broken = ROOT / ".github" / "workflows" / "evidence.yml"
    data = yaml.safe_load(broken.read_text())
    del data["jobs"]["check"]["runs-on"]
    temporary = tmp_path / "broken-workflow.yml"
    temporary.write_text(yaml.safe_dump(data))
    assert (
        check_jsonschema("--builtin-schema", "vendor.github-workflows", str(temporary)).returncode
        != 0
    )


def test_actions_are_pinned_by_commit_on_their_current_major_versions() -> None:
    """A tag can be moved to other code; a commit cannot. The comment names the release, so
    Dependabot and a reviewer can tell what the commit is."""
    pins: dict[str, str] = {}
    for path in WORKFLOWS:
        for action, commit, version in re.findall(
            r"uses:\s*([^@\s]+)@(\S+)(?:\s+#\s*(v\d+\.\d+\.\d+))?", path.read_text()
        ):
            assert re.fullmatch(r"[0-9a-f]{40}", commit), f"{path.name}: {action}@{commit}"
            assert version, f"{path.name}: {action}@{commit} lacks its '# vX.Y.Z' comment"
            assert version.split(".")[0] == ACTIONS.get(action), f"{path.name}: {action} {version}"
            assert pins.setdefault(action, commit) == commit, f"{action} pinned to two commits"
    assert set(pins) == {
        "actions/checkout",
        "actions/setup-python",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    }


def test_tools_installed_in_workflows_are_pinned() -> None:
    for path in WORKFLOWS:
        for line in re.findall(r"pip install[^\n]*", path.read_text()):
            names = [w for w in line.split()[2:] if not w.startswith("-") and w != "."]
            assert all("==" in name for name in names), f"{path.name}: {line}"
    assert "zensical==" in (ROOT / ".github" / "workflows" / "evidence.yml").read_text()


def test_code_owners_review_what_runs_in_ci_and_on_the_site() -> None:
    owned = {}
    for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *owners = line.split()
            owned[pattern] = owners
    for path in ("/mkdocs.yml", "/site_src/", "/.github/", "/kb/"):
        assert owned.get(path), f"{path} has no code owner"


def test_pull_requests_get_annotations_diff_and_site_artifact() -> None:
    data = workflow("evidence.yml")
    assert "pull_request" in data["on"] and data["on"]["push"]["branches"] == ["main"]
    jobs = data["jobs"]
    assert ".venv/bin/kb check --format github" in runs(jobs["check"])
    diff = jobs["diff"]
    assert diff["if"] == "github.event_name == 'pull_request'"
    assert steps(diff)[0]["with"]["fetch-depth"] == 0  # the base commit must be there
    assert 'kb diff "$BASE_SHA"' in runs(diff) and "GITHUB_STEP_SUMMARY" in runs(diff)
    site = jobs["site"]
    assert "make site" in runs(site)  # kb build: check, generate, mkdocs build --strict
    assert any(s.get("uses", "").startswith("actions/upload-pages-artifact") for s in steps(site))
    zensical = jobs["zensical"]
    assert zensical["continue-on-error"] is True
    assert "zensical build --strict" in runs(zensical)


def test_pages_deploy_has_least_privilege() -> None:
    data = workflow("evidence.yml")
    assert data["permissions"] == {"contents": "read"}
    for name, job in data["jobs"].items():
        if name != "deploy":
            assert "permissions" not in job, f"job '{name}' asks for more than contents: read"
    deploy = data["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    assert "site" in deploy["needs"]
    assert [s.get("uses", "").split("@")[0] for s in steps(deploy)] == ["actions/deploy-pages"]
    assert workflow("tests.yml")["permissions"] == {"contents": "read"}


def test_workflow_commands_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    commands = set(main.commands)  # type: ignore[attr-defined]
    for path in WORKFLOWS:
        text = path.read_text()
        for target in re.findall(r"\bmake (\w+)", text):
            assert re.search(rf"^{target}:", makefile, re.M), f"{path.name}: make {target}"
        for command in re.findall(r"\.venv/bin/kb (\w+)", text):
            assert command in commands, f"{path.name}: kb {command}"


# ---- pre-commit


def test_pre_commit_files_are_valid() -> None:
    hooks = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    config = load_config(str(ROOT / ".pre-commit-config.yaml"))
    assert {hook["id"] for hook in hooks} == {"kb-check", "kb-schema"}
    local = next(repo for repo in config["repos"] if repo["repo"] == "local")["hooks"]
    for offered in hooks:
        ours = next(hook for hook in local if hook["id"] == offered["id"])
        assert ours["entry"] == f".venv/bin/{offered['entry']}"
        for option in ("files", "pass_filenames", "require_serial", "name"):
            assert ours[option] == offered[option], (offered["id"], option)


def test_offered_hooks_run_the_way_pre_commit_calls_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for hook in load_manifest(str(ROOT / ".pre-commit-hooks.yaml")):
        program, *args = shlex.split(hook["entry"])
        assert program == "kb"
        result = CliRunner().invoke(main, [*args, *hook["args"]])
        assert result.exit_code == 0, (hook["id"], result.output)


# ---- editors


def test_vscode_maps_each_record_folder_to_its_schema() -> None:
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text())
    mapping = settings["yaml.schemas"]
    for folder, kind in FOLDERS.items():
        schema = f"./schemas/{kind}.schema.json"
        assert mapping[schema] == f"evidence/{folder}/**/*.yaml"
        assert (ROOT / schema).is_file()
        assert list((ROOT / "evidence" / folder).glob("**/*.yaml"))
    assert (ROOT / "schemas" / "question.schema.json").is_file()
    assert mapping["./schemas/question.schema.json"] == "evidence/question.yaml"


def test_every_record_modeline_points_at_its_schema() -> None:
    records = [
        (p, kind)
        for folder, kind in FOLDERS.items()
        for p in (ROOT / "evidence" / folder).rglob("*.yaml")
    ]
    records.append((ROOT / "evidence" / "question.yaml", "question"))
    for path, kind in records:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, path
        target = (path.parent / match.group(1)).resolve()
        assert target == (ROOT / "schemas" / f"{kind}.schema.json").resolve(), path
