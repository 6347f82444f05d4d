"""Benchmark kb on synthetic knowledge bases of 1,000 and 10,000 studies.

    .venv/bin/python benchmarks/run.py [--sizes 1000 10000] [--no-site] [--history-only]

Every figure is printed with its ratio to a baseline measured in the same run on the same
machine, because absolute times on a small shared machine say little:

- cold `kb check` (no cache) against the bare libyaml parse of the same YAML files;
- warm (nothing changed) and incremental (one record changed) `kb check` through the cache,
  as a contributor runs it (a new `kb` process), against the cold check;
- the full `kb build` against a bare Material build of the same number of pages with the same
  navigation (the engine's floor: every page a heading and a sentence), and kb's own page
  generation as a share of the build;
- regenerating the pages after one edited record: its time and how many files it rewrote;
- peak memory of a cold check and of the build; search index bytes a record (and whether an id,
  an abbreviation and a registry number are still in it); the largest page;
- per-record cost at the largest size divided by per-record cost at the smallest (linearity);
- the claim histories of the shipped knowledge base (evidence/, over the repository's git
  history): warm (every commit in the cache) against cold (an empty cache).

Each figure is printed beside its goal (GOALS, below). These are
measurements, not tests: the machines are small and shared, so `make test` runs none of this.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import write_knowledge_base

from kb.build import BuildOptions, generate, run_mkdocs
from kb.cache import CacheFolder, CheckCache
from kb.check import check_path
from kb.generate import MANIFEST
from kb.history import claim_history, evidence_commits

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 28)
KB = [sys.executable, "-m", "kb"]


def best_of(runs: int, action: Callable[[], object]) -> float:
    """The fastest of a few runs: the least disturbed by whatever else the machine does."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


_PEAK = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)
"""Runs a command and prints the peak memory of it and its children. A small process in between
is needed: Linux counts in a child's peak the memory of the process it was forked from (the
copy it starts as), and this benchmark holds hundreds of MiB by then."""


def run_process(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time in seconds and peak resident memory in MiB of one command."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _PEAK, *command],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    elapsed = time.perf_counter() - start
    lines = result.stderr.decode(errors="replace").strip().splitlines() or ["0"]
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed: {chr(10).join(lines[:-1])}")
    return elapsed, int(lines[-1]) // 1024


def bare_parse(files: list[Path]) -> None:
    for file in files:
        yaml.load(file.read_bytes(), Loader=yaml.CSafeLoader)


def touch_one_record(root: Path, round_: int) -> None:
    record = root / "studies" / "study-000005.yaml"
    text = record.read_text()
    record.write_text(text.replace("summary: >-\n", f"summary: >-\n  Edit {round_}.\n", 1))


def copy_hand_written_pages(source: Path, destination: Path) -> None:
    """site_src/ without what kb generated there (listed in its manifest), as a clone has it."""
    manifest = source / MANIFEST
    generated = set(json.loads(manifest.read_text())["files"]) if manifest.exists() else set()

    def ignore(folder: str, names: list[str]) -> list[str]:
        here = Path(folder).relative_to(source)
        return [n for n in names if n == MANIFEST or (here / n).as_posix() in generated]

    shutil.copytree(source, destination, ignore=ignore)


class _Loader(yaml.SafeLoader):
    """mkdocs.yml with its !ENV and !!python tags read as nothing: only the nav is wanted."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)


def bare_material(docs: Path, config: Path, floor: Path) -> tuple[float, int]:
    """Time and peak memory of a bare Material build of as many pages as `docs` holds, at the
    same paths and with the same navigation, each page only a heading and a sentence."""
    nav = yaml.load(config.read_text(encoding="utf-8"), Loader=_Loader)["nav"]
    for page in sorted(docs.rglob("*.md")):
        name = page.relative_to(docs)
        if name.parts[0] in ("includes", "overrides"):
            continue
        (floor / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (floor / "docs" / name).write_text(f"# {name.stem}\n\nA sentence.\n", encoding="utf-8")
    settings = {
        "site_name": "floor",
        "docs_dir": "docs",
        "theme": {"name": "material", "font": False},
        "plugins": ["search"],
        "nav": nav,
    }
    (floor / "mkdocs.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return run_process(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", "site"], floor
    )


def search_index(site: Path) -> tuple[int, bool]:
    """The size in bytes of the search index every reader downloads, and whether a study id, a
    concept's abbreviation and a trial's NCT number are found in it."""
    index = site / "search" / "search_index.json"
    text = index.read_text(encoding="utf-8")
    found = all(term in text for term in ("study-000005", "SYN5", "NCT90000000"))
    return index.stat().st_size, found


def measure(size: int, work: Path, site: bool) -> dict[str, float]:
    project = work / f"kb-{size}"
    evidence = write_knowledge_base(project / "evidence", size)
    files = sorted(evidence.rglob("*.yaml"))
    figures: dict[str, float] = {"records": len(files)}
    figures["bare parse s"] = best_of(3, lambda: bare_parse(files))
    figures["cold check s"] = best_of(2, lambda: check_path(evidence, TODAY, None))
    figures["cold check process s"], figures["cold check MiB"] = run_process(
        [*KB, "check", "--no-cache", "--today", TODAY.isoformat(), "evidence"], project
    )
    run_process([*KB, "check", "--today", TODAY.isoformat(), "evidence"], project)
    figures["warm check process s"] = min(
        run_process([*KB, "check", "--today", TODAY.isoformat(), "evidence"], project)[0]
        for _ in range(3)
    )
    incremental = []
    for round_ in range(2):
        touch_one_record(evidence, round_)
        incremental.append(
            run_process([*KB, "check", "--today", TODAY.isoformat(), "evidence"], project)[0]
        )
    figures["incremental check process s"] = min(incremental)
    copy_hand_written_pages(ROOT / "site_src", project / "site_src")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    options = BuildOptions(
        evidence=evidence,
        docs=project / "site_src",
        site=project / "site",
        config=project / "mkdocs.yml",
    )
    start = time.perf_counter()
    generate(options, TODAY)
    figures["page generation s"] = time.perf_counter() - start
    figures["pages"] = len(list((project / "site_src").rglob("*.md")))
    # as `kb generate` and `make serve` run it: with the cache folder, filled by the run before
    cached = replace(options, cache=CheckCache(work / f"generation-cache-{size}"))
    generate(cached, TODAY)
    touch_one_record(evidence, 9)
    start = time.perf_counter()
    written = generate(replace(cached, cache=CheckCache(cached.cache.folder)), TODAY).written
    figures["regeneration after one edit s"] = time.perf_counter() - start
    figures["files rewritten after one edit"] = len(written)
    touch_one_record(evidence, 10)
    figures["regeneration without the cache s"] = best_of(1, lambda: generate(options, TODAY))
    if site:
        figures["bare Material build s"], figures["bare Material MiB"] = bare_material(
            project / "site_src", project / "mkdocs.yml", work / f"floor-{size}"
        )
        figures["site build s"], figures["site build MiB"] = run_process(
            [*KB, "build", "--today", TODAY.isoformat()], project
        )
        start = time.perf_counter()
        run_mkdocs(options)
        figures["engine alone s"] = time.perf_counter() - start
        pages = [p.stat().st_size for p in (project / "site").rglob("*.html")]
        figures["largest page KB"] = max(pages) / 1000
        size_bytes, found = search_index(project / "site")
        figures["search index KB"] = size_bytes / 1000
        figures["search index B a record"] = size_bytes / len(files)
        figures["ids, abbreviations, NCT found"] = float(found)
    shutil.rmtree(project)
    shutil.rmtree(work / f"floor-{size}", ignore_errors=True)
    return figures


# figure -> (goal, how it is computed from the figures, lower is better)
GOALS: dict[str, tuple[str, float, Callable[[dict[str, float]], float]]] = {
    "cold check / bare parse": ("<=", 1.5, lambda r: r["cold check s"] / r["bare parse s"]),
    "warm check s": ("<=", 1.0, lambda r: r["warm check process s"]),
    "check after one edit / warm": (
        "<=",
        2.0,
        lambda r: r["incremental check process s"] / r["warm check process s"],
    ),
    "check peak MiB": ("<", 1024, lambda r: r["cold check MiB"]),
    "kb build s": ("<=", 60.0, lambda r: r["site build s"]),
    "kb build / bare Material": (
        "<=",
        1.5,
        lambda r: r["site build s"] / r["bare Material build s"],
    ),
    "generation share of build": (
        "<=",
        0.2,
        lambda r: r["page generation s"] / r["site build s"],
    ),
    "regeneration after one edit s": ("<=", 1.0, lambda r: r["regeneration after one edit s"]),
    "build peak MiB": ("<", 1024, lambda r: r["site build MiB"]),
    "largest page KB": ("<=", 500, lambda r: r["largest page KB"]),
    "search index B a record": ("<=", 500, lambda r: r["search index B a record"]),
    "ids, abbreviations, NCT found": (">=", 1, lambda r: r["ids, abbreviations, NCT found"]),
}


def measure_history(work: Path) -> dict[str, float]:
    """claim_history of the shipped evidence: cold, with an empty cache folder (every commit
    unpacked and analysed), then warm, with every commit in the cache."""
    evidence = ROOT / "evidence"
    folder = work / "history-cache"
    figures: dict[str, float] = {"commits": len(evidence_commits(evidence))}
    cold = []
    for _ in range(2):
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        claim_history(evidence, CacheFolder(folder))
        cold.append(time.perf_counter() - start)
    figures["cold s"] = min(cold)
    figures["warm s"] = best_of(5, lambda: claim_history(evidence, CacheFolder(folder)))
    return figures


def report_history(figures: dict[str, float]) -> None:
    print(
        f"\nclaim histories of evidence/ ({figures['commits']:.0f} commits): cold "
        f"{figures['cold s']:.2f} s, warm {figures['warm s']:.3f} s; warm = "
        f"{figures['warm s'] / figures['cold s']:.4f} of cold "
        f"({figures['cold s'] / figures['warm s']:.0f}x faster)"
    )


def report(results: dict[int, dict[str, float]]) -> None:
    sizes = sorted(results)
    print(f"\n{'figure':32s}" + "".join(f"{f'N = {s:,}':>16s}" for s in sizes))
    for name in results[sizes[0]]:
        print(f"{name:32s}" + "".join(f"{results[s][name]:16.2f}" for s in sizes))
    print("\nbeside the goals (ratios within one run on the same machine)")
    print(f"{'figure':32s}" + "".join(f"{f'N = {s:,}':>16s}" for s in sizes) + "  goal")
    for name, (relation, goal, compute) in GOALS.items():
        cells = []
        for size in sizes:
            try:
                value = compute(results[size])
            except KeyError:  # the figure needs the site build (--no-site)
                cells.append(f"{'-':>16s}")
                continue
            met = {"<=": value <= goal, "<": value < goal, ">=": value >= goal}[relation]
            cells.append(f"{value:12.2f} {'ok' if met else 'NO':>3s}")
        print(f"{name:32s}" + "".join(cells) + f"  {relation} {goal:g}")
    small, large = results[sizes[0]], results[sizes[-1]]
    scale = large["records"] / small["records"]
    print(
        f"\nlinearity: per-record cost at N = {sizes[-1]:,} / at N = {sizes[0]:,} "
        "(target within 1.5)"
    )
    for name in (
        "bare parse s",
        "cold check s",
        "page generation s",
        "site build s",
        "largest page KB",
        "search index KB",
    ):
        if small.get(name):
            print(f"  {name:28s} {large[name] / small[name] / scale:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--no-site", action="store_true", help="skip the MkDocs builds")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder")
    parser.add_argument(
        "--history-only", action="store_true", help="only the claim histories of evidence/"
    )
    arguments = parser.parse_args()
    if arguments.work is not None:
        arguments.work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=arguments.work) as scratch:
        history = measure_history(Path(scratch))
        results = {}
        for size in [] if arguments.history_only else arguments.sizes:
            results[size] = measure(size, Path(scratch), not arguments.no_site)
            print(f"N = {size:,} done", flush=True)
    if results:
        report(results)
    report_history(history)


if __name__ == "__main__":
    main()
