"""`kb resolve` against a local stand-in for the registries: the lockfile it writes, how it merges
answers with the previous lockfile, partial failures, atomic writes and the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import TODAY, minimal_kb, write_tree
from registry_server import RegistryServer, Reply, fixture

from kb.cli import main
from kb.sources.http import Politeness
from kb.sources.lock import LOCK_NAME, Lockfile, read_lockfile, render_lockfile, write_lockfile
from kb.sources.resolve import Endpoints, Registries, ResolveReport, resolve_kb

EMAIL = "curator@example.org"
KEYS = ["doi:10.1000/jt.2020.1", "nct:NCT01234567", "pmcid:PMC6924808", "pmid:31818843"]


def answer_everything(server: RegistryServer) -> None:
    server.route("/works/10.1000/jt.2020.1", Reply(body=fixture("crossref-work.json")))
    server.route("/esummary.fcgi?db=pubmed", Reply(body=fixture("pubmed-esummary.json")))
    server.route("/esummary.fcgi?db=pmc", Reply(body=fixture("pmc-esummary.json")))
    server.route("/studies/NCT01234567", Reply(body=fixture("ctgov-study.json")))


@pytest.fixture
def server() -> Iterator[RegistryServer]:
    with RegistryServer() as running:
        answer_everything(running)
        yield running


def registries(server: RegistryServer, retries: int = 0) -> Registries:
    politeness = Politeness(EMAIL, rate=1000, retries=retries, backoff=0)
    return Registries.connect(politeness, Endpoints(server.url, server.url, server.url))


def run(
    root: Path,
    server: RegistryServer,
    today: dt.date = TODAY,
    only: tuple[str, ...] = ("doi", "pmid", "nct"),
) -> tuple[ResolveReport, bool]:
    report, path, written = resolve_kb(root, registries(server), today, only)
    assert path == root.absolute() / LOCK_NAME
    return report, written


def lock_of(root: Path) -> dict[str, dict[str, object]]:
    data = json.loads((root / LOCK_NAME).read_text(encoding="utf-8"))
    entries: dict[str, dict[str, object]] = data["entries"]
    return entries


def test_every_identifier_gets_an_entry(kb_root: Path, server: RegistryServer) -> None:
    report, written = run(kb_root, server)
    assert written and sorted(report.found) == KEYS and report.failed == []
    entries = lock_of(kb_root)
    assert sorted(entries) == KEYS
    assert {e["registry"] for e in entries.values()} == {
        "crossref",
        "pubmed",
        "pmc",
        "clinicaltrials.gov",
    }
    assert all(e["found"] is True and e["retrieved"] == "2024-06-01" for e in entries.values())
    doi = entries["doi:10.1000/jt.2020.1"]["csl"]
    assert isinstance(doi, dict) and doi["container-title"] == "Journal of Trials"
    trial = entries["nct:NCT01234567"]["trial"]
    assert isinstance(trial, dict) and trial["overall_status"] == "completed"


def test_the_lockfile_is_deterministic_json(kb_root: Path, server: RegistryServer) -> None:
    run(kb_root, server)
    data = (kb_root / LOCK_NAME).read_bytes()
    assert data.endswith(b"}\n") and b"\r" not in data
    assert data.startswith(b'{\n  "entries": {')
    assert json.loads(data)["format"] == 1
    lock, problems = read_lockfile(kb_root / LOCK_NAME, LOCK_NAME)
    assert problems == [] and render_lockfile(lock) == data
    assert EMAIL.encode() not in data and b"127.0.0.1" not in data


def test_unchanged_answers_leave_the_file_and_its_dates_alone(
    kb_root: Path, server: RegistryServer
) -> None:
    run(kb_root, server)
    before = (kb_root / LOCK_NAME).read_bytes()
    report, written = run(kb_root, server, today=dt.date(2024, 7, 1))
    assert len(report.found) == 4 and not written
    assert (kb_root / LOCK_NAME).read_bytes() == before


def test_a_changed_answer_moves_its_date(kb_root: Path, server: RegistryServer) -> None:
    run(kb_root, server)
    server.route("/studies/NCT01234567", Reply(body=fixture("ctgov-study-terminated.json")))
    run(kb_root, server, today=dt.date(2024, 7, 1))
    entries = lock_of(kb_root)
    assert entries["nct:NCT01234567"]["retrieved"] == "2024-07-01"
    assert entries["doi:10.1000/jt.2020.1"]["retrieved"] == "2024-06-01"


def test_a_failed_request_keeps_the_previous_answer_and_records_why(
    kb_root: Path, server: RegistryServer
) -> None:
    run(kb_root, server)
    server.route("/works/10.1000/jt.2020.1", Reply(503, "Service Unavailable"))
    report, written = run(kb_root, server, today=dt.date(2024, 7, 1))
    assert written and report.failed == [("doi:10.1000/jt.2020.1", "HTTP 503 after 1 attempt")]
    entry = lock_of(kb_root)["doi:10.1000/jt.2020.1"]
    assert entry["found"] is True and entry["retrieved"] == "2024-06-01"
    assert entry["error"] == {"date": "2024-07-01", "message": "HTTP 503 after 1 attempt"}
    assert "csl" in entry
    answer_everything(server)
    run(kb_root, server, today=dt.date(2024, 7, 2))
    assert "error" not in lock_of(kb_root)["doi:10.1000/jt.2020.1"], "an answer clears it"


def test_a_first_request_that_fails_records_only_the_error(
    kb_root: Path, server: RegistryServer
) -> None:
    server.route("/studies/NCT01234567", Reply(body=b"<html>maintenance</html>"))
    report, _ = run(kb_root, server)
    assert [key for key, _ in report.failed] == ["nct:NCT01234567"]
    entry = lock_of(kb_root)["nct:NCT01234567"]
    assert entry == {
        "error": {
            "date": "2024-06-01",
            "message": "malformed response: not JSON (Expecting value at line 1, column 1)",
        },
        "registry": "clinicaltrials.gov",
    }


def test_no_such_record_is_an_answer(kb_root: Path, server: RegistryServer) -> None:
    server.route("/works/10.1000/jt.2020.1", Reply(404, "Resource not found."))
    report, _ = run(kb_root, server)
    assert report.not_found == ["doi:10.1000/jt.2020.1"]
    entry = lock_of(kb_root)["doi:10.1000/jt.2020.1"]
    assert entry["found"] is False and entry["retrieved"] == "2024-06-01"


def test_only_resolves_the_chosen_identifiers_and_keeps_the_others(
    kb_root: Path, server: RegistryServer
) -> None:
    run(kb_root, server)
    server.route("/works/10.1000/jt.2020.1", Reply(body=fixture("crossref-other-work.json")))
    server.route("/studies/NCT01234567", Reply(body=fixture("ctgov-study-terminated.json")))
    report, _ = run(kb_root, server, today=dt.date(2024, 7, 1), only=("nct",))
    assert report.found == ["nct:NCT01234567"]
    entries = lock_of(kb_root)
    csl = entries["doi:10.1000/jt.2020.1"]["csl"]
    assert isinstance(csl, dict) and csl["title"].startswith("Drug X")
    trial = entries["nct:NCT01234567"]["trial"]
    assert isinstance(trial, dict) and trial["overall_status"] == "terminated"


def test_entries_of_identifiers_no_longer_in_the_knowledge_base_are_removed(
    kb_root: Path, server: RegistryServer
) -> None:
    run(kb_root, server)
    study = kb_root / "studies" / "jones-2021.yaml"
    study.write_text(
        study.read_text().replace("  pmcid:\n    value: PMC6924808\n    status: verified\n", "")
    )
    bib = kb_root / "references.bib"
    bib.write_text(bib.read_text().replace("  pmcid   = {PMC6924808},\n", ""))
    report, _ = run(kb_root, server)
    assert report.removed == ["pmcid:PMC6924808"]
    assert "pmcid:PMC6924808" not in lock_of(kb_root)


def test_identifiers_only_references_bib_gives_are_resolved_too(
    tmp_path: Path, server: RegistryServer
) -> None:
    files = minimal_kb()
    files["studies/smith-2020.yaml"] = str(files["studies/smith-2020.yaml"]).replace(
        '  pmid:\n    value: "31818843"\n    status: unverified\n', ""
    )
    root = write_tree(tmp_path / "kb", files)
    report, _ = run(root, server)
    assert "pmid:31818843" in report.found


def test_a_failed_write_leaves_the_previous_lockfile_whole(
    kb_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = kb_root / LOCK_NAME
    write_lockfile(target, Lockfile())
    before = target.read_bytes()

    def refuse(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_lockfile(
            target,
            Lockfile.model_validate(
                json.loads(
                    json.dumps(
                        {
                            "format": 1,
                            "entries": {
                                "pmid:1": {
                                    "registry": "pubmed",
                                    "found": False,
                                    "retrieved": "2024-01-01",
                                }
                            },
                        }
                    )
                )
            ),
        )
    assert target.read_bytes() == before
    assert [p.name for p in kb_root.iterdir() if p.name.startswith(".")] == []


# ---- the command


def kb_resolve(
    root: Path, server: RegistryServer, *args: str, env: dict[str, str | None] | None = None
) -> Result:
    urls = [
        "--crossref-url",
        server.url,
        "--eutils-url",
        server.url,
        "--clinicaltrials-url",
        server.url,
    ]
    return CliRunner().invoke(
        main,
        ["resolve", str(root), *urls, "--today", "2024-06-01", "--retries", "0", *args],
        env={"KB_CONTACT_EMAIL": None, **(env or {})},
    )


def test_the_command_writes_the_lockfile_and_says_what_happened(
    kb_root: Path, server: RegistryServer
) -> None:
    result = kb_resolve(kb_root, server, "--email", EMAIL)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "asked about 4 identifiers: 4 found, 0 not found, 0 failed",
        f"wrote {kb_root.absolute() / LOCK_NAME}",
    ]
    again = kb_resolve(kb_root, server, env={"KB_CONTACT_EMAIL": EMAIL})
    assert again.exit_code == 0 and again.stdout.splitlines()[-1].startswith("unchanged:")


def test_the_command_needs_a_contact_address(kb_root: Path, server: RegistryServer) -> None:
    result = kb_resolve(kb_root, server)
    assert result.exit_code == 2 and "KB_CONTACT_EMAIL" in result.output
    assert not (kb_root / LOCK_NAME).exists()
    bad = kb_resolve(kb_root, server, "--email", "nobody")
    assert bad.exit_code == 2 and "not an e-mail address" in bad.output
    assert server.requests == []


def test_the_command_fails_when_no_registry_answers(kb_root: Path, server: RegistryServer) -> None:
    for route in list(server.routes):
        server.route(route, Reply(503, "down"))
    result = kb_resolve(kb_root, server, "--email", EMAIL)
    assert result.exit_code == 1
    assert "0 found, 0 not found, 4 failed" in result.stdout
    assert "doi:10.1000/jt.2020.1: HTTP 503 after 1 attempt" in result.stderr


def test_partial_failures_do_not_fail_the_command(kb_root: Path, server: RegistryServer) -> None:
    server.route("/esummary.fcgi?db=pmc", Reply(429, "slow down", {"Retry-After": "0"}))
    result = kb_resolve(kb_root, server, "--email", EMAIL)
    assert result.exit_code == 0
    assert "3 found, 0 not found, 1 failed" in result.stdout


def test_the_default_registries_are_never_reached_from_tests(kb_root: Path) -> None:
    politeness = Politeness(EMAIL, rate=1000, retries=0, timeout=2)
    report, _, _ = resolve_kb(kb_root, Registries.connect(politeness), TODAY, ("nct",))
    assert report.failed == [("nct:NCT01234567", "network error (OSError) after 1 attempt")]
