"""Identifiers verified against the registries, end to end: `kb resolve` against a local stand-in
for Crossref, NCBI and ClinicalTrials.gov, then `kb check` offline. A wrong DOI, a retraction
and a changed trial status are each caught with a clear message; a retracted study is left out
of the certainty of the claims resting on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import locks
import pytest
from click.testing import CliRunner, Result
from conftest import check_tree, minimal_kb, write_tree
from registry_server import RegistryServer, Reply, fixture

from kb.cli import main
from kb.corpus import load_kb
from kb.evidence import Evidence
from kb.report import format_text
from kb.similarity import same_family, title_similarity
from kb.verification import verify_kb

EMAIL = "curator@example.org"
SMITH = "studies/smith-2020.yaml"


@pytest.fixture
def server() -> Iterator[RegistryServer]:
    with RegistryServer() as running:
        running.route("/works/10.1000/jt.2020.1", Reply(body=fixture("crossref-work.json")))
        running.route("/esummary.fcgi?db=pubmed", Reply(body=fixture("pubmed-esummary.json")))
        running.route("/esummary.fcgi?db=pmc", Reply(body=fixture("pmc-esummary.json")))
        running.route("/studies/NCT01234567", Reply(body=fixture("ctgov-study.json")))
        yield running


def resolve_then_check(root: Path, server: RegistryServer, *check_args: str) -> Result:
    runner = CliRunner()
    resolved = runner.invoke(
        main,
        [
            "resolve",
            ".",
            "--email",
            EMAIL,
            "--today",
            "2024-06-01",
            "--retries",
            "0",
            "--crossref-url",
            server.url,
            "--eutils-url",
            server.url,
            "--clinicaltrials-url",
            server.url,
        ],
    )
    assert resolved.exit_code == 0, resolved.output
    return runner.invoke(
        main, ["check", ".", "--today", "2024-06-01", *check_args], env={"SOURCE_DATE_EPOCH": None}
    )


@pytest.fixture
def in_kb(kb_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(kb_root)
    return kb_root


def test_registries_that_agree_leave_the_check_clean(in_kb: Path, server: RegistryServer) -> None:
    result = resolve_then_check(in_kb, server)
    assert result.exit_code == 0 and result.stdout == "0 errors, 0 warnings, 0 infos\n"


def test_a_deliberately_wrong_doi_is_caught(in_kb: Path, server: RegistryServer) -> None:
    server.route("/works/10.1000/jt.2020.1", Reply(body=fixture("crossref-other-work.json")))
    result = resolve_then_check(in_kb, server)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "studies/smith-2020.yaml:6:12: error[KB903] DOI '10.1000/jt.2020.1' resolves to "
        "another work in Crossref: “Evening coffee and sleep latency in shift workers” "
        "(2018, Sleep Studies); references.bib entry 'smith2020' has “Drug X after resection "
        "of the primary tumour: a randomised trial” (title similarity 36%) (check the "
        "identifier on the publisher's or registry's page; if it names a larger work on "
        "purpose, give that work's title as 'registry_title')",
        "1 error, 0 warnings, 0 infos",
    ]


def test_a_retraction_notice_is_caught_and_followed_through_the_graph(
    in_kb: Path, server: RegistryServer
) -> None:
    server.route("/works/10.1000/jt.2020.1", Reply(body=fixture("crossref-retracted.json")))
    result = resolve_then_check(in_kb, server)
    assert result.exit_code == 0, "a retraction warns; the site can still show it"
    notice = (
        "Crossref records a retraction (notice 10.1000/jt.2024.17, 2024-02-14, from the publisher)"
    )
    assert result.stdout.splitlines() == [
        "claims/drug-x-improves-survival.yaml:2:5: warning[KB907] claim "
        "'drug-x-improves-survival' rests on retracted study 'smith-2020'; its certainty is "
        "computed without it: not rated (with it: 'high') (review the claim; change the "
        "retracted study's link or remove it)",
        "claims/liver-metastases-predict-survival.yaml:2:5: warning[KB907] claim "
        "'liver-metastases-predict-survival' depends on claim 'drug-x-improves-survival', "
        "which rests on retracted study 'smith-2020' (review the claim once the claim it "
        "depends on is reviewed)",
        f"studies/smith-2020.yaml:2:5: warning[KB906] study 'smith-2020' is retracted: "
        f"{notice}; it still supports or refutes claim 'drug-x-improves-survival' (it is left "
        "out of every certainty; make its links 'qualifies' with a note saying why, or remove "
        "them)",
        "studies/smith-2020.yaml:2:5: info[KB908] study 'smith-2020': Crossref records a "
        "correction (notice 10.1000/jt.2021.44, 2021-06-01, from the publisher) (read the "
        "notice and update the findings if it changes them)",
        "0 errors, 3 warnings, 1 info",
    ]
    strict = CliRunner().invoke(main, ["check", ".", "--today", "2024-06-01", "--strict"])
    assert strict.exit_code == 1


def test_a_changed_trial_status_is_caught_naming_both_values_and_dates(
    in_kb: Path, server: RegistryServer
) -> None:
    server.route("/studies/NCT01234567", Reply(body=fixture("ctgov-study-terminated.json")))
    result = resolve_then_check(in_kb, server)
    assert result.stdout.splitlines() == [
        "trials/drug-x-trial.yaml:29:11: warning[KB910] trial 'drug-x-trial' completion date "
        "is 2019-06 (actual) here but 2019-02-15 (actual) in ClinicalTrials.gov (status "
        "verified 2024-04; retrieved 2024-06-01) (check the registry; update "
        "'dates.completion')",
        "trials/drug-x-trial.yaml:32:12: warning[KB909] trial 'drug-x-trial' status is "
        "'completed' here (verified 2024-02) but 'terminated' in ClinicalTrials.gov (verified "
        "2024-04; retrieved 2024-06-01) (check the registry; update 'status.overall' and "
        "'status.verified')",
        "0 errors, 2 warnings, 0 infos",
    ]


def test_the_certainty_of_a_claim_is_computed_without_its_retracted_study(
    kb_root: Path,
) -> None:
    files = {
        **minimal_kb(),
        "sources.lock.json": locks.resolved(doi=locks.crossref("crossref-retracted.json")),
    }
    kb = load_kb(write_tree(kb_root, files))
    verification = verify_kb(kb)
    reason = (
        "retracted: Crossref records a retraction (notice 10.1000/jt.2024.17, "
        "2024-02-14, from the publisher)"
    )
    assert verification.excluded == {"smith-2020": reason}
    after = Evidence(kb).certainty("drug-x-improves-survival")
    assert (after.final, after.counted) == (None, ())
    assert after.excluded == (("smith-2020", reason),)
    assert after.computed_with_excluded == "high"
    before = Evidence(load_kb(write_tree(kb_root.parent / "unretracted", minimal_kb()))).certainty(
        "drug-x-improves-survival"
    )
    assert (before.final, before.counted, before.excluded) == ("high", ("smith-2020",), ())


def test_a_retraction_found_through_a_wrong_doi_retracts_nothing(kb_root: Path) -> None:
    wrong = locks.crossref(
        "crossref-other-work.json",
        **{
            "updated-by": [
                {
                    "DOI": "10.1000/ss.2020.3",
                    "type": "retraction",
                    "source": "publisher",
                    "updated": {"date-parts": [[2020, 5, 1]]},
                }
            ]
        },
    )
    write_tree(kb_root, {"sources.lock.json": locks.resolved(doi=wrong)})
    assert verify_kb(load_kb(kb_root)).excluded == {}
    assert {p.code for p in check_tree(kb_root)} == {"KB903"}


def test_a_new_version_announcing_what_it_replaces_is_still_the_work(kb_root: Path) -> None:
    newer = locks.crossref(
        **{
            "update-to": [
                {
                    "DOI": "10.1000/jt.2019.8",
                    "type": "new_version",
                    "source": "publisher",
                    "updated": {"date-parts": [[2020, 3, 5]]},
                }
            ]
        }
    )
    write_tree(kb_root, {"sources.lock.json": locks.resolved(doi=newer)})
    assert check_tree(kb_root) == []


def test_registry_title_compares_a_larger_work_on_purpose(kb_root: Path) -> None:
    """A conference abstract's DOI often names the whole supplement."""
    study = kb_root / SMITH
    study.write_text(
        study.read_text().replace(
            "    checked: 2024-01-15\n",
            "    checked: 2024-01-15\n"
            "    registry_title: Evening coffee and sleep latency in shift workers\n",
        )
    )
    write_tree(
        kb_root,
        {"sources.lock.json": locks.resolved(doi=locks.crossref("crossref-other-work.json"))},
    )
    problems = check_tree(kb_root)
    assert [format_text(p) for p in problems] == [
        "studies/smith-2020.yaml:6:12: warning[KB904] Crossref's record of DOI "
        "'10.1000/jt.2020.1' differs from its registry_title in year ('2020' there, "
        "'2018, 2019' in Crossref) and journal ('Journal of Trials' there, 'Sleep Studies' in "
        "Crossref) (correct whichever side is wrong; the registry holds what the publisher "
        "deposited)"
    ]


def test_a_wrong_identifier_only_references_bib_gives_points_at_the_bib(
    kb_root: Path,
) -> None:
    study = kb_root / SMITH
    study.write_text(
        study.read_text().replace('  pmid:\n    value: "31818843"\n    status: unverified\n', "")
    )
    write_tree(
        kb_root,
        {
            "sources.lock.json": locks.resolved(
                pmid=locks.pubmed(title="Evening coffee and sleep latency in shift workers.")
            )
        },
    )
    problems = check_tree(kb_root)
    assert [(p.code, p.path, p.line, p.col) for p in problems] == [
        ("KB903", "references.bib", 9, 3)
    ]


def test_the_site_kb_fixture_lockfile_is_what_the_site_shows() -> None:
    kb = load_kb(Path(__file__).parent / "fixtures" / "site-kb")
    states = {(u.record_id, u.name): c.state for u, c in verify_kb(kb).checks}
    assert states == {
        ("alpha-2020", "doi"): "matches",
        ("alpha-2020", "pmid"): "not-resolved",
        ("beta-case", "doi"): "matches",
        ("gamma-protocol", "pmid"): "differs",
        ("widget-1", "nct"): "matches",
    }


@pytest.mark.parametrize(
    ("ours", "theirs", "at_least", "below"),
    [
        ("Oligometastases", "Oligometastases.", 100, 101),
        ("Drug {X} after resection", "RETRACTED: Drug X after resection", 100, 101),
        (
            "Radical surgery of oligometastatic pancreatic cancer",
            "Radical surgery of oligometastatic pancreatic cancer: a single-centre series",
            90,
            101,
        ),
        (
            "Radical surgery of oligometastatic pancreatic cancer",
            "Prognostic value of site-specific metastases in pancreatic adenocarcinoma",
            0,
            60,
        ),
        ("Oligometastases", "Oligometastases in prostate cancer after radiotherapy", 0, 90),
    ],
)
def test_title_similarity(ours: str, theirs: str, at_least: int, below: int) -> None:
    assert at_least <= title_similarity(ours, theirs) < below


def test_family_names_compare_without_accents_case_or_particles() -> None:
    assert same_family('Sch{\\"o}b', "Schöb")
    assert same_family("Parra-Robert", "Parra-Robert")
    assert same_family("Molina Santos", "Molina Santos")
    assert not same_family("Smith", "Okafor")
