"""ClinicalTrials.gov API v2: `GET /studies/{nctId}` for a trial's registration.

From `protocolSection.identificationModule` kb keeps `briefTitle`, `officialTitle` and
`acronym`; from `protocolSection.statusModule` the `overallStatus` (and `lastKnownStatus`),
`statusVerifiedDate`, the `startDateStruct`, `primaryCompletionDateStruct` and
`completionDateStruct` ({"date": "2023-06", "type": "ESTIMATED"}) and the last update posted;
from the top level `hasResults`. Statuses become kb's words: RECRUITING -> recruiting.
"""

from __future__ import annotations

import re
from typing import Any

from kb.sources.crossref import clean
from kb.sources.http import MALFORMED, FetchError, HttpClient, malformed
from kb.sources.lock import DAY, Csl, DateParts, LockEntry, TrialDate, TrialRegistration

BASE_URL = "https://clinicaltrials.gov/api/v2"
STUDY_URL = "https://clinicaltrials.gov/study/{}"


class ClinicalTrials:
    registry = "clinicaltrials.gov"

    def __init__(self, client: HttpClient) -> None:
        self.client = client

    def fetch(self, nct: str) -> LockEntry:
        body = self.client.get_json(f"/studies/{nct}", {"format": "json"})
        protocol = body.get("protocolSection") if isinstance(body, dict) else None
        identification = _module(protocol, "identificationModule")
        if not identification or str(identification.get("nctId", "")).upper() != nct.upper():
            raise FetchError(
                f"malformed response: no 'protocolSection.identificationModule' for {nct}"
            )
        try:
            return study_entry(body, nct)
        except MALFORMED as error:
            raise malformed(error) from None


def study_entry(study: dict[str, Any], nct: str) -> LockEntry:
    protocol = study.get("protocolSection")
    identification = _module(protocol, "identificationModule")
    status = _module(protocol, "statusModule")
    brief = _text(identification.get("briefTitle"))
    first_posted = _date(status.get("studyFirstPostDateStruct"))
    registration = TrialRegistration(
        brief_title=brief,
        official_title=_text(identification.get("officialTitle")),
        acronym=_text(identification.get("acronym")),
        overall_status=status_word(status.get("overallStatus")),
        last_known_status=status_word(status.get("lastKnownStatus")),
        status_verified=_day(status.get("statusVerifiedDate")),
        start=_date(status.get("startDateStruct")),
        primary_completion=_date(status.get("primaryCompletionDateStruct")),
        completion=_date(status.get("completionDateStruct")),
        has_results=study.get("hasResults") is True,
        last_update_posted=_day(_module(status, "lastUpdatePostDateStruct").get("date")),
    )
    issued = None
    if first_posted is not None:
        issued = DateParts(date_parts=[[int(p) for p in first_posted.date.split("-")]])
    csl = Csl(
        type="document",
        title=brief or registration.official_title,
        publisher="ClinicalTrials.gov",
        number=nct.upper(),
        issued=issued,
        URL=STUDY_URL.format(nct.upper()),
    )
    return LockEntry(registry="clinicaltrials.gov", found=True, csl=csl, trial=registration)


def status_word(value: Any) -> str | None:
    """'ACTIVE_NOT_RECRUITING' -> 'active-not-recruiting'."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace("_", "-")


def _date(value: Any) -> TrialDate | None:
    if not isinstance(value, dict):
        return None
    day = _day(value.get("date"))
    kind = str(value.get("type", "")).lower()
    return (
        TrialDate(date=day, type=kind if kind in {"actual", "estimated"} else None) if day else None
    )


def _day(value: Any) -> str | None:
    return value if isinstance(value, str) and re.fullmatch(DAY, value) else None


def _module(section: Any, name: str) -> dict[str, Any]:
    found = section.get(name) if isinstance(section, dict) else None
    return found if isinstance(found, dict) else {}


def _text(value: Any) -> str | None:
    return clean(value) if isinstance(value, str) and value.strip() else None
