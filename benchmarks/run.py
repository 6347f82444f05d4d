"""Benchmark kb on synthetic knowledge bases of 1,000 and 10,000 studies.

    .venv/bin/python benchmarks/run.py [--sizes 1000 10000] [--no-site] [--history-only]

Every figure is printed with its ratio to a baseline measured in the same run on the same
machine, because absolute times on a small shared machine say little:

- cold `kb check` (no cache) against the bare libyaml parse of the same YAML files;
- warm (nothing changed) and incremental (one record changed) `kb check` through the cache,
  as a contributor runs it (a new `kb` process), against the cold check;
- page generation and the full MkDocs build, per record;
- peak memory of a cold check and of the build; search index size; the largest page;
- per-record cost at the largest size divided by per-record cost at the smallest (linearity);
- the claim histories of the shipped knowledge base (evidence/, over the repository's git
  history): warm (every commit in the cache) against cold (an empty cache).
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
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import write_knowledge_base

from kb.build import BuildOptions, generate
from kb.cache import CacheFolder
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


def run_process(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time in seconds and peak resident memory in MiB of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss // 1024


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
    if site:
        figures["site build s"], figures["site build MiB"] = run_process(
            [*KB, "build", "--today", TODAY.isoformat()], project
        )
        pages = [p.stat().st_size for p in (project / "site").rglob("*.html")]
        figures["largest page KiB"] = max(pages) / 1024
        figures["search index KiB"] = (
            project / "site" / "search" / "search_index.json"
        ).stat().st_size / 1024
    shutil.rmtree(project)
    return figures


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
    print("\nratios (same run, same machine)")
    for size in sizes:
        r = results[size]
        print(
            f"N = {size:,}: cold check / bare parse = {r['cold check s'] / r['bare parse s']:.2f}"
            f" (target 1.5); warm check = {r['warm check process s']:.2f} s (target 1 s), "
            f"{r['warm check process s'] / r['cold check process s']:.2f} of cold; incremental"
            f" = {r['incremental check process s'] / r['cold check process s']:.2f} of cold; "
            f"peak memory {r['cold check MiB']:.0f} MiB (target 1024)"
        )
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
        "largest page KiB",
        "search index KiB",
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
