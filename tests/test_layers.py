"""The package's seams: modules import only down the README's layer list, the command line
loads no heavy library before it needs one, and no module grows past a readable size."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kb"
MAX_LINES = 420
"""About 400 lines: past it a module is asking to be split (docs: STYLE)."""


def layers() -> dict[str, int]:
    """Module or package name (relative to kb) -> its layer, from the README's list."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Architecture", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    found: dict[str, int] = {}
    layer = 0
    for line in block.splitlines():
        numbered = re.match(r"^(\d+)\. +\w+ +(.+)$", line)
        if numbered:  # '3. domain  names...', then indented lines that go on with names
            layer, names = int(numbered.group(1)), numbered.group(2)
        elif line.startswith(" ") and layer:
            names = line
        else:
            continue
        for name in names.split():
            found[name] = layer
    assert found, "the README's architecture section lists no layers"
    return found


def module_name(file: Path) -> str:
    parts = file.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str, table: dict[str, int]) -> int | None:
    """The layer of the longest listed name that is the module or a package holding it."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in table:
            return table[".".join(parts[:end])]
    return None


def imports(file: Path) -> list[tuple[int, str]]:
    """(line, module within kb) of every import of kb in the file, inside functions too."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("kb.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "kb":
                found += [(node.lineno, f"kb.{a.name}") for a in node.names]
            elif node.module.startswith("kb."):
                found.append((node.lineno, node.module))
    return [(line, name.removeprefix("kb.")) for line, name in found]


def test_every_module_has_a_layer() -> None:
    table = layers()
    missing = [
        module_name(f)
        for f in sorted(PACKAGE.rglob("*.py"))
        if module_name(f) and layer_of(module_name(f), table) is None
    ]
    assert missing == [], "add these to the layer list in the README"


def test_no_module_imports_from_a_layer_above_it() -> None:
    table = layers()
    upward = []
    for file in sorted(PACKAGE.rglob("*.py")):
        source = module_name(file)
        if not source:
            continue
        own = layer_of(source, table)
        for line, target in imports(file):
            theirs = layer_of(target, table)
            if own is not None and theirs is not None and theirs > own:
                upward.append(
                    f"kb/{file.relative_to(PACKAGE)}:{line}: {source} ({own}) "
                    f"imports {target} ({theirs})"
                )
    assert upward == []


def test_the_layer_test_sees_an_upward_import(tmp_path: Path) -> None:
    table = layers()
    file = tmp_path / "x.py"
    file.write_text("def f():\n    from kb.cli import main\n", encoding="utf-8")
    ((line, target),) = imports(file)
    assert (line, target) == (2, "cli")
    assert layer_of("model", table) < layer_of(target, table)  # type: ignore[operator]
    assert layer_of("sources.lock", table) < layer_of("sources.resolve", table)  # type: ignore[operator]


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {
        f.relative_to(ROOT).as_posix(): len(f.read_text(encoding="utf-8").splitlines())
        for f in sorted(PACKAGE.rglob("*.py"))
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_the_command_line_loads_neither_networkx_nor_the_grading() -> None:
    """A `kb check` answered from the cache needs neither; their import costs time every run."""
    code = (
        "import sys, kb.cli\n"
        "heavy = sorted(m for m in sys.modules if m == 'networkx' or m in "
        "('kb.grade', 'kb.graph', 'kb.evidence', 'kb.rules'))\n"
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"
