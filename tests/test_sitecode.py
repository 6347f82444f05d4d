"""KB115: `kb check` (and so `kb diff`) warns when the site configuration or the docs folder gains
something that runs code at build time or on the site: hooks, plugins and Markdown extensions
outside kb's allow-list, `!!python/` tags, templates, scripts and Python files."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import minimal_kb, write_tree
from helpers import git
from hypothesis import assume, given
from hypothesis import strategies as st
from test_diff import kb_diff

from kb import sitecode
from kb.cli import main
from kb.sitecode import check_site_code

ROOT = Path(__file__).resolve().parent.parent
CONFIG = (ROOT / "mkdocs.yml").read_text()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The repository's own mkdocs.yml and site_src/ beside a small knowledge base."""
    write_tree(tmp_path / "evidence", minimal_kb())
    (tmp_path / "mkdocs.yml").write_text(CONFIG)
    shutil.copytree(ROOT / "site_src" / "assets", tmp_path / "site_src" / "assets")
    return tmp_path


def found(project: Path) -> list[tuple[str, int, int, str]]:
    return [(p.path, p.line, p.col, p.message) for p in check_site_code(project / "evidence")]


def test_the_repositorys_own_site_runs_no_code() -> None:
    assert check_site_code(ROOT / "evidence") == []


def test_the_fixture_project_is_clean(project: Path) -> None:
    assert found(project) == []


HOSTILE = [
    ("", "hooks:\n  - hooks.py\n", "mkdocs.yml has 'hooks:'"),
    ("  - search\n", "  - search\n  - macros\n", "plugin 'macros' is not one kb's site uses"),
    ("  - abbr\n", "  - abbr\n  - evil_module\n", "Markdown extension 'evil_module'"),
    (
        "",
        "x: !!python/object/apply:os.system ['touch pwned']\n",
        "'!!python/object/apply:os.system'",
    ),
    ("", "x: !!python/name:evil.run\n", "tag '!!python/name:evil.run'"),
    ("", "INHERIT: base.yml\n", "inherits from another configuration file"),
    ("  custom_dir: site_src/overrides\n", "  custom_dir: overrides\n", "theme.custom_dir"),
    (
        "  - assets/javascripts/kb.js\n",
        "  - assets/javascripts/kb.js\n  - https://cdn.example/x.js\n",
        "extra_javascript 'https://cdn",
    ),
    ("docs_dir: site_src\n", "docs_dir: /\n", "docs_dir '/' is not a folder of its own"),
    ("", "plugins:\n  - search\n  - macros\n", "'plugins' appears twice (first at line"),
]


@pytest.mark.parametrize(("old", "new", "message"), HOSTILE, ids=[h[2][:30] for h in HOSTILE])
def test_configuration_that_runs_code_is_reported_at_its_line(
    project: Path, old: str, new: str, message: str
) -> None:
    changed = CONFIG + new if not old else CONFIG.replace(old, new, 1)
    assert changed != CONFIG
    (project / "mkdocs.yml").write_text(changed)
    first_change = (
        next(
            n
            for n, (a, b) in enumerate(
                zip(CONFIG.splitlines(), changed.splitlines(), strict=False), 1
            )
            if a != b
        )
        if old
        else CONFIG.count("\n") + 1
    )
    (problem,) = found(project)
    path, line, col, text = problem
    assert path == "../mkdocs.yml"
    assert line >= first_change and col >= 1, (problem, first_change)
    assert message in text, text


def test_what_kbs_site_uses_is_allowed(project: Path) -> None:
    (project / "mkdocs.yml").write_text(
        CONFIG.replace(
            "  - search\n", "  - material/search\n  - privacy:\n      assets_fetch: false\n"
        )
        + "  - pymdownx.superfences:\n      custom_fences:\n        - name: mermaid\n"
        "          class: mermaid\n"
        "          format: !!python/name:pymdownx.superfences.fence_code_format\n"
        "  - markdown.extensions.smarty\n"
    )
    assert found(project) == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("hooks.py", "import os\n"),
        ("assets/javascripts/track.js", "fetch('https://x')\n"),
        ("overrides/main.html", "{{ config }}\n"),
        ("assets/javascripts/iframe-worker-shim.js", "alert(1)\n"),  # allowed name, new code
        ("assets/javascripts/kb.js", "fetch('https://x')\n"),
        ("overrides/partials/footer.html", "{{ config }}\n"),
        ("overrides/partials/evidence-date.html", "<script>alert(1)</script>"),
    ],
)
def test_code_in_the_docs_folder_is_reported(project: Path, name: str, text: str) -> None:
    (project / "site_src" / name).parent.mkdir(parents=True, exist_ok=True)
    (project / "site_src" / name).write_text(text)
    (problem,) = found(project)
    assert problem[:3] == (f"../site_src/{name}", 1, 1)
    assert "in the docs folder is code" in problem[3]


def test_kbs_own_templates_and_the_date_it_writes_are_allowed(project: Path) -> None:
    shutil.copytree(ROOT / "site_src" / "overrides", project / "site_src" / "overrides")
    partial = project / "site_src" / "overrides" / "partials" / "evidence-date.html"
    partial.write_text('<time datetime="2026-12-01">2026-12-01</time>')
    assert found(project) == []


def test_a_configuration_kb_cannot_read_is_reported(project: Path) -> None:
    (project / "mkdocs.yml").write_text("site_name: [unclosed\n")
    (problem,) = found(project)
    assert "mkdocs.yml could not be checked" in problem[3]


def test_kb_check_names_the_configuration_from_where_it_runs(project: Path) -> None:
    (project / "mkdocs.yml").write_text(CONFIG + "hooks:\n  - hooks.py\n")
    line = CONFIG.count("\n") + 1
    with contextlib.chdir(project):
        text = CliRunner().invoke(main, ["check", "--today", "2024-06-01", "--no-cache"])
        github = CliRunner().invoke(main, ["check", "--today", "2024-06-01", "--format", "github"])
    assert text.exit_code == 0  # a warning
    assert f"mkdocs.yml:{line}:1: warning[KB115] mkdocs.yml has 'hooks:'" in text.output
    assert f"::warning file=mkdocs.yml,line={line},col=1,title=KB115::" in github.output
    with contextlib.chdir(project):
        strict = CliRunner().invoke(main, ["check", "--strict", "--today", "2024-06-01"])
    assert strict.exit_code == 1


def test_kb_diff_shows_code_a_change_adds_and_not_code_already_there(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    (project / "mkdocs.yml").write_text(CONFIG + "plugins_note: none\nINHERIT: base.yml\n")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base, with a finding already")
    (project / "mkdocs.yml").write_text(
        CONFIG + "plugins_note: none\nINHERIT: base.yml\nhooks:\n  - hooks.py\n"
    )
    (project / "site_src" / "hooks.py").write_text("import os\n")
    result = kb_diff(project, "main")
    assert result.exit_code == 0, result.output
    new = result.stdout.split("### New problems", 1)[1]
    assert "warning[KB115] mkdocs.yml has 'hooks:'" in new
    assert "`site_src/hooks.py:1:1` warning[KB115]" in new
    assert "inherits from another" not in result.stdout  # there before: not new


@given(st.text(alphabet=".aPy js", max_size=8))
def test_a_file_name_has_the_suffix_a_path_gives_it(name: str) -> None:
    """The docs folder is walked by name, without making a path of each of its files; a name
    such as '..py' must still read as Python."""
    assume(name and "/" not in name)
    assert sitecode._suffix(name) == Path(name).suffix
