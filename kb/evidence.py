"""One analysis of a knowledge base, made once per run and shared by every command.

`Evidence` holds the loaded records and, computed when first asked for and then kept, the
claim-evidence graph, the registries' verification of every identifier, each study's level,
the body of evidence of each claim's outcome with its GRADE certainty and pooled estimate, and
each claim's certainty. `kb check`, the site, the exports and `kb diff` all read them from here,
so they cannot disagree: a retracted study is left out of a claim's certainty wherever it is
shown. Nothing else builds the graph, verifies identifiers or grades.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from kb import graph as claim_graph
from kb.bodies import Body, Participants, build_body, count_participants
from kb.certainty import ClaimCertainty, OutcomeCertainty, claim_certainty, rate_outcome
from kb.corpus import KnowledgeBase
from kb.grade import StudyLevel, study_level
from kb.labels import study_label
from kb.model import Link, Study
from kb.verification import Verification, verify_kb


@dataclass(eq=False)
class Evidence:
    kb: KnowledgeBase
    _levels: dict[str, StudyLevel] = field(default_factory=dict, init=False, repr=False)
    _bodies: dict[tuple[str, str, bool], Body] = field(default_factory=dict, init=False, repr=False)
    _certainties: dict[str, ClaimCertainty] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The claim-evidence graph of the valid records (kb.graph)."""
        return claim_graph.build_graph(self.kb)

    @cached_property
    def verification(self) -> Verification:
        """Both verifications of every identifier, and the studies a retraction takes out."""
        return verify_kb(self.kb)

    @property
    def excluded(self) -> dict[str, str]:
        """Study id -> why it is left out of every certainty (a retraction)."""
        return self.verification.excluded

    def linked(self, claim_id: str) -> list[tuple[str, Link]]:
        """(study id, link) for every study linked to the claim, sorted by study id."""
        return claim_graph.evidence_for(self.graph, claim_id)

    def linked_studies(self, claim_id: str) -> list[tuple[Study, Link]]:
        return [(self.kb.study(study_id), link) for study_id, link in self.linked(claim_id)]

    def trials_testing(self, claim_id: str) -> list[str]:
        return claim_graph.trials_testing(self.graph, claim_id)

    def dependants(self, claim_id: str) -> list[str]:
        """Claims that depend directly on the claim."""
        return claim_graph.dependants(self.graph, claim_id)

    def is_contested(self, claim_id: str) -> bool:
        """Studies that count (not retracted) both support and refute the claim."""
        return self.certainty(claim_id).contested

    def label(self, study_id: str) -> str:
        """'Oweira et al. 2017'."""
        return study_label(self.kb, study_id)

    def level(self, study_id: str) -> StudyLevel:
        if study_id not in self._levels:
            self._levels[study_id] = study_level(self.kb.study(study_id))
        return self._levels[study_id]

    def body(self, claim_id: str, outcome_id: str, with_excluded: bool = False) -> Body:
        """The findings the claim's links name for the outcome, and what grading needs of them;
        `with_excluded` counts retracted studies too."""
        key = (claim_id, outcome_id, with_excluded)
        if key not in self._bodies:
            claim = self.kb.claim(claim_id)
            outcome = next(o for o in claim.outcomes if o.id == outcome_id)
            self._bodies[key] = build_body(
                self.kb,
                claim,
                outcome,
                self.linked_studies(claim_id),
                self.level,
                self.label,
                {} if with_excluded else self.excluded,
            )
        return self._bodies[key]

    def participants(self, claim_id: str, outcome_id: str) -> Participants:
        return count_participants(self.body(claim_id, outcome_id), self.kb)

    def certainty(self, claim_id: str) -> ClaimCertainty:
        """The claim's certainty: each outcome's, without the retracted studies, and the
        claim's, the lowest of its critical outcomes."""
        if claim_id not in self._certainties:
            claim = self.kb.claim(claim_id)
            outcomes = tuple(self._rate(claim_id, o.id, False) for o in claim.outcomes)
            excluded = tuple(
                sorted(
                    {pair for o in claim.outcomes for pair in self.body(claim_id, o.id).excluded}
                )
            )
            again = (
                tuple(self._rate(claim_id, o.id, True) for o in claim.outcomes)
                if excluded
                else None
            )
            self._certainties[claim_id] = claim_certainty(outcomes, excluded, again)
        return self._certainties[claim_id]

    def _rate(self, claim_id: str, outcome_id: str, with_excluded: bool) -> OutcomeCertainty:
        body = self.body(claim_id, outcome_id, with_excluded)
        return rate_outcome(body, count_participants(body, self.kb))
