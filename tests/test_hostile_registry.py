"""`kb resolve` against a hostile registry on 127.0.0.1: answers of any shape, a drip of one byte
at a time, redirects to another host. Each identifier whose answer is unusable fails alone and is
recorded in the lockfile; no traceback, no request outlives --timeout, no e-mail leaves the host
it was meant for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from registry_server import RegistryServer, Reply, fixture
from test_resolve import EMAIL, answer_everything

from kb.cli import main
from kb.sources.http import origin
from kb.sources.lock import LOCK_NAME

DOI = "doi:10.1000/jt.2020.1"


@pytest.fixture
def server() -> Iterator[RegistryServer]:
    with RegistryServer() as running:
        answer_everything(running)
        yield running


def kb_resolve(root: Path, url: str, *args: str) -> Result:
    urls = ["--crossref-url", url, "--eutils-url", url, "--clinicaltrials-url", url]
    return CliRunner().invoke(
        main,
        ["resolve", str(root), *urls, "--today", "2024-06-01", "--retries", "0", *args],
        env={"KB_CONTACT_EMAIL": EMAIL},
    )


def errors(root: Path) -> dict[str, str]:
    entries = json.loads((root / LOCK_NAME).read_text())["entries"]
    return {key: entry["error"]["message"] for key, entry in entries.items() if "error" in entry}


def crossref_with(**changes: object) -> bytes:
    body = json.loads(fixture("crossref-work.json"))
    body["message"].update(changes)
    return json.dumps(body).encode()


MALFORMED = [
    ("200k-deep", b"[" * 200_000 + b"]" * 200_000, "JSON nested too deeply"),
    (
        "5000-digit-number",
        b'{"status": "ok", "message": {"volume": ' + b"9" * 5000 + b"}}",
        "a number too long",
    ),
    ("year-minus-5", crossref_with(issued={"date-parts": [[-5]]}), "a year of -5"),
    (
        "update-with-year-0",
        crossref_with(**{"updated-by": [{"type": "retraction", "updated": {"date-parts": [[0]]}}]}),
        "a year of 0",
    ),
    ("authors-not-a-list", crossref_with(author={"family": 3}), None),
    ("message-a-number", b'{"status": "ok", "message": 5}', "no 'message' object"),
]


@pytest.mark.parametrize(("body", "why"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_answer_fails_that_identifier_alone(
    kb_root: Path, server: RegistryServer, body: bytes, why: str | None
) -> None:
    server.route("/works/10.1000/jt.2020.1", Reply(body=body))
    result = kb_resolve(kb_root, server.url)
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    ), result.output
    failed = errors(kb_root)
    if why is None:  # junk kb can ignore: the answer is kept without it
        assert result.exit_code == 0 and failed == {}
        return
    assert result.exit_code == 0, result.output
    assert set(failed) == {DOI}, failed
    assert failed[DOI].startswith("malformed response: ") and why in failed[DOI]
    assert "3 found, 0 not found, 1 failed" in result.stdout


def test_malformed_answers_from_every_registry_are_recorded(
    kb_root: Path, server: RegistryServer
) -> None:
    server.route("/works/10.1000/jt.2020.1", Reply(body=b"[" * 200_000))
    server.route("/esummary.fcgi?db=pubmed", Reply(body=b'{"result": ' + b"1" * 5000 + b"}"))
    pmc = json.loads(fixture("pmc-esummary.json"))
    pmc["result"]["6924808"]["authors"] = [{"name": {"x": 1}}]  # ignored, not fatal
    pmc["result"]["6924808"]["articleids"] = "not a list"
    server.route("/esummary.fcgi?db=pmc", Reply(body=json.dumps(pmc)))
    server.route("/studies/NCT01234567", Reply(body=b'{"protocolSection": []}'))
    result = kb_resolve(kb_root, server.url)
    assert result.exit_code == 0, result.output
    assert set(errors(kb_root)) == {DOI, "pmid:31818843", "nct:NCT01234567"}, errors(kb_root)


def test_a_drip_cannot_outlive_the_timeout(kb_root: Path, server: RegistryServer) -> None:
    """One byte a second never lets a socket time out; the deadline still ends the request.
    Run as a real process, which the test gives 30 s before it calls it hung."""
    server.route("/works/10.1000/jt.2020.1", Reply(body=fixture("crossref-work.json"), drip=0.25))
    start = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kb",
            "resolve",
            str(kb_root),
            *("--crossref-url", server.url, "--eutils-url", server.url),
            *("--clinicaltrials-url", server.url, "--timeout", "1", "--retries", "0"),
            "--today",
            "2024-06-01",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "KB_CONTACT_EMAIL": EMAIL},
        check=False,
    )
    took = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert errors(kb_root) == {DOI: "no complete answer within 1 s after 1 attempt"}
    assert took < 10, took


def test_a_redirect_to_another_host_is_not_followed(kb_root: Path, server: RegistryServer) -> None:
    with RegistryServer() as elsewhere:
        answer_everything(elsewhere)
        other = elsewhere.url.replace("127.0.0.1", "localhost")
        server.route(
            "/works/10.1000/jt.2020.1",
            Reply(302, "", {"Location": f"{other}/works/10.1000/jt.2020.1"}),
        )
        server.route(
            "/studies/NCT01234567",
            Reply(301, "", {"Location": f"{elsewhere.url}/studies/NCT01234567?format=json"}),
        )
        result = kb_resolve(kb_root, server.url)
        assert elsewhere.requests == [], "a request, and the contact e-mail, went to another host"
    assert result.exit_code == 0, result.output
    assert errors(kb_root) == {
        DOI: "redirected (HTTP 302) to another host or to plain http: not followed",
        "nct:NCT01234567": "redirected (HTTP 301) to another host or to plain http: not followed",
    }


def test_a_redirect_within_the_registry_is_followed(kb_root: Path, server: RegistryServer) -> None:
    server.route("/works/10.1000/jt.2020.1", Reply(302, "", {"Location": "/works/moved"}))
    server.route("/works/moved", Reply(body=fixture("crossref-work.json")))
    result = kb_resolve(kb_root, server.url)
    assert result.exit_code == 0 and errors(kb_root) == {}, result.output
    assert all(seen.headers["User-Agent"].endswith(f"mailto:{EMAIL})") for seen in server.requests)


def test_origins_tell_scheme_host_and_port_apart() -> None:
    assert origin("https://api.crossref.org/works/x") == origin("HTTPS://API.crossref.org:443/y")
    assert origin("https://api.crossref.org/") != origin("http://api.crossref.org/")
    assert origin("https://api.crossref.org/") != origin("https://api.crossref.org.evil/")
    assert origin("http://127.0.0.1:8000/") != origin("http://127.0.0.1:8001/")
