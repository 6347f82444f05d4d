"""The site's configuration and sources, checked for anything that would run code when it builds.

kb writes plain files and MkDocs only turns them into HTML, so the site needs no code of its own.
Yet `mkdocs.yml` can make MkDocs run Python (`hooks:`, a plugin or Markdown extension that is a
module of the repository, a `!!python/...` tag, templates in `theme.custom_dir`), and files in
the docs folder can put scripts on the site. A pull request that adds any of these would run its
code in CI, where the build holds a token. So `kb check` warns (KB115) about each, at its line:
a reviewer sees it, and `--strict` fails on it. Only what kb's site uses is allowed.

The configuration is the `mkdocs.yml` beside the knowledge base's folder (its parent, the
repository); problem paths are relative to the knowledge base, as all paths are ('../mkdocs.yml').
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from kb.files import read_bounded
from kb.load import MAX_FILE_BYTES, SourceMap, parse_yaml
from kb.problems import DUPLICATE_KEY, SITE_CODE, Loc, Problem

CONFIG_NAME = "mkdocs.yml"
ALLOWED_PLUGINS = ("search", "tags", "offline", "privacy", "kb")
"""Material's built-ins that Zensical re-implements, and kb's own thin plugin."""
ALLOWED_EXTENSION_PREFIXES = ("pymdownx.", "material.", "markdown.extensions.")
ALLOWED_EXTENSIONS = frozenset(
    "abbr admonition attr_list codehilite def_list extra fenced_code footnotes legacy_attrs "  # noqa: SIM905
    "legacy_em md_in_html meta nl2br sane_lists smarty tables toc wikilinks".split()
)
"""Python-Markdown's own extensions, named as mkdocs.yml names them."""
ALLOWED_TAG_MODULES = ("pymdownx.", "material.", "markdown.")
"""Modules a `!!python/name:` tag may name (such as pymdownx.superfences.fence_code_format)."""
ALLOWED_ASSETS = {
    # Material's offline polyfill, vendored from npm (iframe-worker 1.0.4, MIT)
    "assets/javascripts/iframe-worker-shim.js": (
        "e049ba157b3a3ee17e18a051b0c209c3c18755ce888704e7fb2ccdb967c0b17e"
    ),
    # kb's own: scroll regions named and focusable, copy buttons without landmarks
    "assets/javascripts/kb.js": "f1163181d1ae93b0f3f16bb1b44c5a6f77899bba4ee1663cc6e3250548ee9d7c",
    # kb's theme overrides: the named search dialog, the trust footer, the tag landmark
    "overrides/main.html": "b61857e257a909845c30cf7380458977e4f9f3d3e0864fe8bf49030523359c99",
    "overrides/partials/footer.html": (
        "0446a34d1bf93b3f2c8affd509ace8085c54a5b218c97a9ca52c922798f1a530"
    ),
    "overrides/partials/tags.html": (
        "29a07dcac2a5717cdbce989f0801e24444326f3c7ecf64f807a778053b37ac04"
    ),
}
"""Scripts and templates the docs folder may hold, by path and SHA-256: a changed file is new
code, to be reviewed and allowed here."""
ALLOWED_CUSTOM_DIR = "site_src/overrides"
"""The theme folder of kb's own templates; each of its files must be in ALLOWED_ASSETS."""
GENERATED_PARTIALS = {
    # kb writes the evidence date, escaped, for the footer to include
    "overrides/partials/evidence-date.html": re.compile(
        rb'<time datetime="[0-9]{4}-[0-9]{2}-[0-9]{2}">[0-9]{4}-[0-9]{2}-[0-9]{2}</time>'
    ),
}
"""Templates kb writes itself, by path and the only text each may hold."""
CODE_SUFFIXES = frozenset({".py", ".pyc", ".js", ".mjs", ".cjs", ".html", ".htm"})
_PYTHON_TAG = "tag:yaml.org,2002:python/"
_HINT = (
    "remove it: kb's site runs no code of its own; if it is needed, review it and allow it in "
    "kb/sitecode.py"
)


def check_site_code(root: Path) -> list[Problem]:
    """KB115 problems of the site configuration beside the knowledge base at `root`; none when
    there is no mkdocs.yml there."""
    root = root.absolute()
    project = root.parent
    config = project / CONFIG_NAME
    if not config.exists() and not config.is_symlink():
        return []
    where = _relative(config, root)
    raw = read_bounded(config, where, MAX_FILE_BYTES, project)
    if isinstance(raw, Problem):
        return [_unchecked(where, raw.message)]
    document = parse_yaml(raw, where)
    if not isinstance(document.data, dict):
        return [_unchecked(where, "it is not a YAML mapping kb can read")]
    found = _Found(where, document.source)
    for duplicate in (p for p in document.problems if p.code == DUPLICATE_KEY):
        found.problems.append(
            replace(
                duplicate,
                code=SITE_CODE,
                message=f"{duplicate.message}: MkDocs reads the last one, kb checks the first",
                hint="keep one",
            )
        )
    found.configuration(document.data)
    found.python_tags(raw.decode("utf-8", "replace"))
    docs = _docs_dir(document.data)
    folder = (project / docs).resolve() if docs else None
    if folder is None or not folder.is_relative_to(project.resolve()):
        found.add(
            ("docs_dir",),
            f"docs_dir '{document.data.get('docs_dir')}' is not a folder of its own inside the "
            "repository, so it is not checked",
            "keep the pages in a folder of their own, such as site_src",
        )
    elif folder.is_dir():
        found.problems += _docs_code(folder, root)
    return found.problems


def docs_dir(config: bytes) -> str | None:
    """The docs folder that the mkdocs.yml `config` names, relative to it; None when it names
    none of its own inside the repository (an absolute path, '.', one with '..')."""
    document = parse_yaml(config, CONFIG_NAME)
    return _docs_dir(document.data) if isinstance(document.data, dict) else None


def _docs_dir(data: dict[str, Any]) -> str | None:
    docs = data.get("docs_dir", "docs")
    if not isinstance(docs, str):
        return None
    path = PurePosixPath(docs)
    if path.is_absolute() or ".." in path.parts or path.parts in ((), (".",)):
        return None
    return path.as_posix()


class _Found:
    def __init__(self, where: str, source: SourceMap) -> None:
        self.where = where
        self.source = source
        self.problems: list[Problem] = []

    def add(self, loc: Loc, message: str, hint: str = _HINT, key: bool = False) -> None:
        line, col = self.source.key(loc) if key else self.source.value(loc)
        self.problems.append(Problem(self.where, line, col, SITE_CODE, message, hint))

    def configuration(self, data: dict[str, Any]) -> None:
        if "hooks" in data:
            self.add(
                ("hooks",),
                "mkdocs.yml has 'hooks:', Python files that MkDocs runs at build time",
                key=True,
            )
        if "INHERIT" in data:
            self.add(
                ("INHERIT",),
                "mkdocs.yml inherits from another configuration file, which kb does not check",
                "write the settings into mkdocs.yml itself",
                key=True,
            )
        for loc, name in _named(data.get("plugins"), ("plugins",)):
            if name.removeprefix("material/") not in ALLOWED_PLUGINS:
                self.add(
                    loc,
                    f"plugin '{name}' is not one kb's site uses "
                    f"({', '.join(ALLOWED_PLUGINS)}): a plugin is Python code run at build time",
                )
        for loc, name in _named(data.get("markdown_extensions"), ("markdown_extensions",)):
            if name not in ALLOWED_EXTENSIONS and not name.startswith(ALLOWED_EXTENSION_PREFIXES):
                self.add(
                    loc,
                    f"Markdown extension '{name}' is not Python-Markdown's, pymdownx' or "
                    "Material's: an extension is Python code imported at build time",
                )
        theme = data.get("theme")
        if isinstance(theme, dict) and theme.get("custom_dir", ALLOWED_CUSTOM_DIR) != (
            ALLOWED_CUSTOM_DIR
        ):
            self.add(
                ("theme", "custom_dir"),
                "theme.custom_dir adds templates, which can run code at build time",
            )
        for loc, name in _named(data.get("extra_javascript"), ("extra_javascript",)):
            if name not in ALLOWED_ASSETS:
                self.add(loc, f"extra_javascript '{name}' adds a script to every page")

    def python_tags(self, text: str) -> None:
        """`!!python/name:x` imports x; `!!python/object/apply:` calls anything."""
        try:
            events = list(yaml.parse(text, Loader=yaml.CSafeLoader))
        except yaml.YAMLError:
            return
        for event in events:
            tag = getattr(event, "tag", None) or ""
            if not tag.startswith(_PYTHON_TAG):
                continue
            name = tag.removeprefix(_PYTHON_TAG)
            module = name.removeprefix("name:")
            if name.startswith("name:") and module.startswith(ALLOWED_TAG_MODULES):
                continue
            mark = event.start_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            self.problems.append(
                Problem(
                    self.where,
                    line,
                    col,
                    SITE_CODE,
                    f"tag '!!python/{name}' makes MkDocs run Python code when it reads the file",
                    _HINT,
                )
            )


def _named(value: Any, loc: Loc) -> list[tuple[Loc, str]]:
    """(location, name) of each entry of a list of names or one-key mappings, or of a
    mapping's keys: the forms mkdocs.yml lists plugins and extensions in."""
    if isinstance(value, dict):
        return [((*loc, name), str(name)) for name in value]
    if not isinstance(value, list):
        return []
    out: list[tuple[Loc, str]] = []
    for index, item in enumerate(value):
        names = list(item) if isinstance(item, dict) else [item]
        out += [((*loc, index), str(name)) for name in names]
    return out


def _docs_code(folder: Path, root: Path) -> list[Problem]:
    problems = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if _suffix(name).lower() not in CODE_SUFFIXES:
                continue  # most files: a 10,000-study site's docs folder holds 31,000 pages
            file = Path(dirpath) / name
            relative = PurePosixPath(file.relative_to(folder).as_posix()).as_posix()
            if _is_allowed_asset(file, relative):
                continue
            problems.append(
                Problem.in_file(
                    _relative(file, root),
                    SITE_CODE,
                    f"'{relative}' in the docs folder is code (Python, a script or an HTML page "
                    "with scripts) that kb's site does not use",
                    _HINT,
                )
            )
    return problems


def _suffix(name: str) -> str:
    """`Path(name).suffix`, without making a path: '.py' for 'a.py' and '..py', none for
    '.py' and 'a.'."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _is_allowed_asset(file: Path, relative: str) -> bool:
    expected = ALLOWED_ASSETS.get(relative)
    generated = GENERATED_PARTIALS.get(relative)
    if (expected is None and generated is None) or file.is_symlink():
        return False
    try:
        content = file.read_bytes()
    except OSError:
        return False
    if generated is not None:
        return generated.fullmatch(content) is not None
    return hashlib.sha256(content).hexdigest() == expected


def _unchecked(where: str, why: str) -> Problem:
    return Problem.in_file(
        where,
        SITE_CODE,
        f"mkdocs.yml could not be checked for code that runs at build time: {why}",
        "fix the file; kb check reads it as MkDocs does",
    )


def _relative(file: Path, root: Path) -> str:
    return Path(os.path.relpath(file, root)).as_posix()
