"""The walk-through on the contributing page, run as written in a fresh copy of the project.

Comments in the page mark what each block is: `<!-- walkthrough: run -->` before commands (run
one by one with bash; `run, exit 1` when the command is meant to fail), `output` before the lines
the previous commands print (each must appear, in order), `file PATH` before an export the reader
downloads, and `edit PATH` before a record as the reader leaves it after editing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from site_project import copy_project

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "site_src" / "contributing.md"
BLOCK = re.compile(
    r"(?:<!-- walkthrough: (?P<marker>[^>]*?) -->\n)?```(?P<lang>\w*)\n"
    r"(?P<body>.*?)\n```",
    re.S,
)
NOT_RUN = ("git clone", "cd ", "make install", "git push")
"""Commands shown but not run: they need the network or a fork."""
EPOCH = "1795737600"  # 2026-11-28


@dataclass
class Block:
    marker: str
    lang: str
    body: str


def blocks() -> list[Block]:
    text = PAGE.read_text(encoding="utf-8")
    return [
        Block(m.group("marker") or "", m.group("lang"), m.group("body"))
        for m in BLOCK.finditer(text)
    ]


def test_every_command_shown_is_run_or_deliberately_not() -> None:
    for block in blocks():
        if block.lang == "sh" and not block.marker.startswith("run"):
            for line in block.body.splitlines():
                assert line.startswith(NOT_RUN), f"not run by the walk-through test: {line}"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone as a contributor has it: the sources in git on 'main', and .venv/bin/kb."""
    project = copy_project(tmp_path_factory.mktemp("contributor"))
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "kb").symlink_to(Path(sys.executable).with_name("kb"))
    (project / ".gitignore").write_text(".venv/\nsite/\n")
    for command in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "start"]):
        subprocess.run(["git", *command], cwd=project, env=environment(project), check=True)
    return project


def environment(project: Path) -> dict[str, str]:
    home = project.parent / "home"
    home.mkdir(exist_ok=True)
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "SOURCE_DATE_EPOCH": EPOCH,
        "GIT_AUTHOR_NAME": "A Contributor",
        "GIT_AUTHOR_EMAIL": "contributor@example.org",
        "GIT_COMMITTER_NAME": "A Contributor",
        "GIT_COMMITTER_EMAIL": "contributor@example.org",
        "NO_MKDOCS_2_WARNING": "1",
    }


def run(project: Path, command: str, status: int) -> str:
    env = environment(project)
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = (result.stdout + result.stderr).replace(env["HOME"], "~")
    assert result.returncode == status, f"{command}\n{output}"
    return output


def expect(output: str, expected: str) -> None:
    """Each expected line appears in the output, in the same order."""
    lines = iter(output.splitlines())
    for wanted in expected.splitlines():
        assert any(line == wanted for line in lines), (
            f"missing, or out of order: {wanted}\nin:\n{output}"
        )


def test_the_walk_through_works_as_written(project: Path) -> None:
    output = ""
    for block in blocks():
        if block.marker.startswith("file "):
            target = Path(block.marker[5:].replace("~", environment(project)["HOME"]))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body + "\n", encoding="utf-8")
        elif block.marker.startswith("run"):
            status = 1 if block.marker == "run, exit 1" else 0
            output = "".join(
                run(project, line, status)
                for line in block.body.splitlines()
                if line.strip() and not line.startswith("#")
            )
        elif block.marker == "output":
            expect(output, block.body)
        elif block.marker.startswith("edit "):
            target = project / block.marker[5:]
            written = target.read_text(encoding="utf-8").splitlines()
            edited = block.body.splitlines()
            kept = [line for line in written if line.startswith(("cite:", "statement:"))]
            assert edited[:2] == written[:2] and all(line in edited for line in kept), (
                "the edited record keeps the modeline, id, and cite key or statement kb wrote"
            )
            target.write_text(block.body + "\n", encoding="utf-8")
    site = project / "site" / "studies" / "muller-2024-widgetosis" / "index.html"
    assert site.is_file(), "the site has the new study"
    assert "Widgetosis after gadget therapy" in site.read_text(encoding="utf-8")
