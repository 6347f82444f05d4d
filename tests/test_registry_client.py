"""The HTTP client and the three registries, against a local server serving their documented
JSON: answers, 404, 429 with Retry-After, 5xx, timeouts and malformed bodies."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Iterator

import pytest
from registry_server import RegistryServer, Reply, fixture

from kb.sources.crossref import Crossref
from kb.sources.ctgov import ClinicalTrials
from kb.sources.eutils import Eutils
from kb.sources.http import FetchError, HttpClient, NotFound, Politeness, retry_after
from kb.sources.lock import Update

EMAIL = "curator@example.org"
WORK = "/works/10.1000/jt.2020.1"


@pytest.fixture
def server() -> Iterator[RegistryServer]:
    with RegistryServer() as running:
        yield running


class Sleeps:
    """Records the pauses a client asks for instead of sleeping."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(round(seconds, 3))


def client(server: RegistryServer, sleeps: Sleeps | None = None, **polite: float) -> HttpClient:
    """A client whose clock moves 10 s a reading, so the rate limit never pauses it: the
    pauses recorded are the retries' alone."""
    ticks = itertools.count(step=10)
    politeness = Politeness(EMAIL, **polite)  # type: ignore[arg-type]
    return HttpClient(
        server.url, politeness, sleep=sleeps or Sleeps(), clock=lambda: float(next(ticks))
    )


# ---- the client


def test_the_user_agent_names_kb_and_the_contact_address(server: RegistryServer) -> None:
    server.route(WORK, Reply(body=fixture("crossref-work.json")))
    Crossref(client(server)).fetch("10.1000/jt.2020.1")
    agent = server.seen(WORK)[0].headers["User-Agent"]
    assert agent.startswith("evidence-kb/") and f"mailto:{EMAIL}" in agent


def test_404_is_an_answer_and_is_not_retried(server: RegistryServer) -> None:
    with pytest.raises(NotFound):
        Crossref(client(server)).fetch("10.1000/missing")
    assert len(server.seen("/works/10.1000/missing")) == 1


def test_429_waits_as_long_as_retry_after_says_then_succeeds(server: RegistryServer) -> None:
    server.route(
        WORK,
        Reply(429, "Too Many Requests", {"Retry-After": "7"}),
        Reply(body=fixture("crossref-work.json")),
    )
    sleeps = Sleeps()
    entry = Crossref(client(server, sleeps)).fetch("10.1000/jt.2020.1")
    assert entry.csl is not None and entry.csl.title is not None
    assert sleeps.pauses == [7.0]
    assert len(server.seen(WORK)) == 2


def test_retry_after_is_capped(server: RegistryServer) -> None:
    server.route(
        WORK, Reply(429, "", {"Retry-After": "3600"}), Reply(body=fixture("crossref-work.json"))
    )
    sleeps = Sleeps()
    Crossref(client(server, sleeps, max_wait=30.0)).fetch("10.1000/jt.2020.1")
    assert sleeps.pauses == [30.0]


def test_server_errors_back_off_exponentially_then_give_up(server: RegistryServer) -> None:
    server.route(WORK, Reply(503, "Service Unavailable"))
    sleeps = Sleeps()
    with pytest.raises(FetchError, match=r"^HTTP 503 after 4 attempts$"):
        Crossref(client(server, sleeps, retries=3, backoff=0.5)).fetch("10.1000/jt.2020.1")
    assert sleeps.pauses == [0.5, 1.0, 2.0]
    assert len(server.seen(WORK)) == 4


def test_a_client_error_other_than_404_is_not_retried(server: RegistryServer) -> None:
    server.route("/studies/NCT01234567", Reply(400, {"message": "bad request"}))
    with pytest.raises(FetchError, match=r"^HTTP 400 after 1 attempt$"):
        ClinicalTrials(client(server)).fetch("NCT01234567")


def test_a_registry_that_does_not_answer_in_time_times_out(server: RegistryServer) -> None:
    server.route(WORK, Reply(body=fixture("crossref-work.json"), delay=5))
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"^no complete answer within 0.2 s after 2 attempts$"):
        Crossref(client(server, timeout=0.2, retries=1)).fetch("10.1000/jt.2020.1")
    assert time.monotonic() - start < 3


def test_a_refused_connection_is_a_fetch_error() -> None:
    with RegistryServer() as stopped:
        url = stopped.url
    politeness = Politeness(EMAIL, rate=1000, retries=0)
    with pytest.raises(FetchError, match=r"connection refused|network error"):
        Crossref(HttpClient(url, politeness, sleep=Sleeps())).fetch("10.1000/jt.2020.1")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>Service busy</html>", "malformed response: not JSON"),
        (b'{"status": "ok", "message-type": "work"', "malformed response: not JSON"),
        (b"\xff\xfe", "malformed response: not UTF-8"),
        (
            b'{"status": "ok", "message-type": "work-list", "message": {"items": []}}',
            "malformed response: status 'ok', message type 'work-list'",
        ),
        (b'["not", "an", "object"]', "malformed response: no 'message' object"),
    ],
)
def test_malformed_bodies_are_fetch_errors(
    server: RegistryServer, body: bytes, message: str
) -> None:
    server.route(WORK, Reply(body=body))
    with pytest.raises(FetchError, match=f"^{message}"):
        Crossref(client(server)).fetch("10.1000/jt.2020.1")
    assert len(server.seen(WORK)) == 1, "a malformed body is not retried"


def test_requests_are_spaced_by_the_rate_limit(server: RegistryServer) -> None:
    server.route(WORK, Reply(body=fixture("crossref-work.json")))
    now = [100.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    http = HttpClient(server.url, Politeness(EMAIL, rate=2.0), sleep=sleep, clock=lambda: now[0])
    http.get_json(WORK)
    now[0] += 0.2  # the first answer took 0.2 s
    http.get_json(WORK)
    http.get_json(WORK)
    assert pauses == [pytest.approx(0.3), pytest.approx(0.5)]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after("120", now) == 120.0
    assert retry_after("Wed, 01 May 2024 12:00:30 GMT", now) == 30.0
    assert retry_after("Wed, 01 May 2024 11:00:00 GMT", now) == 0.0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


@pytest.mark.parametrize("email", ["", "curator", "a b@example.org", "x@y\r\nX-Evil: 1"])
def test_a_contact_address_is_required_and_checked(email: str) -> None:
    with pytest.raises(ValueError):
        Politeness(email)


# ---- Crossref


def test_crossref_work_becomes_csl_json(server: RegistryServer) -> None:
    server.route(WORK, Reply(body=fixture("crossref-work.json")))
    entry = Crossref(client(server)).fetch("10.1000/jt.2020.1")
    csl = entry.csl
    assert csl is not None
    assert csl.type == "article-journal"
    assert csl.title == "Drug X after resection of the primary tumour: a randomised trial"
    assert [(a.family, a.given) for a in csl.author] == [("Smith", "John"), ("Doe", "Jane")]
    assert csl.container_title == "Journal of Trials" and csl.container_title_short == "J Trials"
    assert csl.issued and csl.issued.date_parts == [[2020, 3, 5]]
    assert csl.years == {2020}
    assert (csl.volume, csl.issue, csl.page, csl.DOI) == ("12", "4", "201-209", "10.1000/jt.2020.1")
    assert entry.updates == [] and entry.notice_of == [] and entry.retraction is None


def test_crossref_updated_by_gives_the_retraction_and_the_correction(
    server: RegistryServer,
) -> None:
    server.route(WORK, Reply(body=fixture("crossref-retracted.json")))
    entry = Crossref(client(server)).fetch("10.1000/jt.2020.1")
    assert entry.retraction == Update(
        type="retraction",
        source="publisher",
        doi="10.1000/jt.2024.17",
        date="2024-02-14",
        label="Retraction",
    )
    assert {u.source for u in entry.updates if u.type == "retraction"} == {
        "publisher",
        "retraction-watch",
    }
    assert [(u.type, u.date) for u in entry.corrections] == [("correction", "2021-06-01")]


def test_crossref_update_to_marks_a_notice(server: RegistryServer) -> None:
    server.route("/works/10.1000/jt.2024.17", Reply(body=fixture("crossref-notice.json")))
    entry = Crossref(client(server)).fetch("10.1000/jt.2024.17")
    assert [(u.type, u.doi) for u in entry.notice_of] == [("retraction", "10.1000/jt.2020.1")]


# ---- E-utilities


def test_pubmed_esummary_gives_each_pmid_its_answer(server: RegistryServer) -> None:
    server.route("/esummary.fcgi?db=pubmed", Reply(body=fixture("pubmed-esummary.json")))
    found = Eutils(client(server)).fetch_pubmed(["31818843", "99999999"])
    request = server.seen("/esummary.fcgi?db=pubmed")[0]
    assert request.query["id"] == ["31818843,99999999"]
    assert request.query["retmode"] == ["json"] and request.query["email"] == [EMAIL]
    assert isinstance(found["99999999"], NotFound)
    entry = found["31818843"]
    assert not isinstance(entry, Exception) and entry.csl is not None
    csl = entry.csl
    assert csl.title == "Drug X after resection of the primary tumour: a randomised trial."
    assert [(a.family, a.given) for a in csl.author] == [("Smith", "J"), ("Doe", "J")]
    assert csl.container_title == "Journal of trials"
    assert csl.years == {2020} and csl.DOI == "10.1000/jt.2020.1" and csl.PMID == "31818843"
    assert entry.retraction is None


def test_pubmed_retracted_publication_is_a_retraction(server: RegistryServer) -> None:
    body = json.loads(fixture("pubmed-esummary.json"))
    body["result"]["31818843"]["pubtype"].append("Retracted Publication")
    server.route("/esummary.fcgi?db=pubmed", Reply(body=body))
    entry = Eutils(client(server)).fetch_pubmed(["31818843"])["31818843"]
    assert not isinstance(entry, Exception)
    assert entry.retraction == Update(
        type="retraction", source="pubmed", label="Retracted Publication"
    )


def test_pmc_esummary_is_asked_by_the_digits_of_the_pmcid(server: RegistryServer) -> None:
    server.route("/esummary.fcgi?db=pmc", Reply(body=fixture("pmc-esummary.json")))
    entry = Eutils(client(server)).fetch_pmc(["PMC6924808"])["PMC6924808"]
    assert server.seen("/esummary.fcgi?db=pmc")[0].query["id"] == ["6924808"]
    assert not isinstance(entry, Exception) and entry.csl is not None
    assert entry.csl.PMCID == "PMC6924808" and entry.csl.PMID == "34100001"
    assert entry.csl.years == {2021}


def test_an_ncbi_error_fails_the_whole_batch(server: RegistryServer) -> None:
    server.route(
        "/esummary.fcgi?db=pubmed",
        Reply(body={"error": "API rate limit exceeded", "count": "4", "limit": "3"}),
    )
    found = Eutils(client(server)).fetch_pubmed(["31818843", "31818844"])
    assert {str(e) for e in found.values()} == {"NCBI refused the request: API rate limit exceeded"}


# ---- ClinicalTrials.gov


def test_clinicaltrials_study_gives_status_and_dates(server: RegistryServer) -> None:
    server.route("/studies/NCT01234567", Reply(body=fixture("ctgov-study.json")))
    entry = ClinicalTrials(client(server)).fetch("NCT01234567")
    trial = entry.trial
    assert trial is not None
    assert trial.overall_status == "completed" and trial.status_verified == "2024-02"
    assert trial.start and (trial.start.date, trial.start.type) == ("2015-03-02", "actual")
    assert trial.completion and trial.completion.date == "2019-06-28"
    assert trial.has_results is True
    assert trial.brief_title == "Drug X Versus Placebo After Resection"
    assert entry.csl and entry.csl.URL == "https://clinicaltrials.gov/study/NCT01234567"


def test_clinicaltrials_answer_for_another_trial_is_malformed(server: RegistryServer) -> None:
    server.route("/studies/NCT07654321", Reply(body=fixture("ctgov-study.json")))
    with pytest.raises(FetchError, match="malformed response"):
        ClinicalTrials(client(server)).fetch("NCT07654321")
