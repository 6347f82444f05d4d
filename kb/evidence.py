"""One analysis of a knowledge base, made once per run and shared by every command.

`Evidence` holds the loaded records and, computed when first asked for and then kept, the
claim-evidence graph, the registries' verification of every identifier, each study's level and
each claim's certainty. `kb check`, the site, the exports and `kb diff` all read them from here,
so they cannot disagree: a retracted study is left out of a claim's certainty wherever it is
shown. Nothing else builds the graph or verifies identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from kb import graph as claim_graph
from kb.corpus import KnowledgeBase
from kb.grade import ClaimCertainty, StudyLevel, claim_certainty, study_level
from kb.model import Link, Study
from kb.verification import Verification, verify_kb


@dataclass(eq=False)
class Evidence:
    kb: KnowledgeBase
    _levels: dict[str, StudyLevel] = field(default_factory=dict, init=False, repr=False)
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
        relations = {
            link.relation
            for study_id, link in self.linked(claim_id)
            if study_id not in self.excluded
        }
        return {"supports", "refutes"} <= relations

    def level(self, study_id: str) -> StudyLevel:
        if study_id not in self._levels:
            self._levels[study_id] = study_level(self.kb.study(study_id))
        return self._levels[study_id]

    def certainty(self, claim_id: str) -> ClaimCertainty:
        """The claim's certainty, computed without the excluded (retracted) studies."""
        if claim_id not in self._certainties:
            claim = self.kb.claim(claim_id)
            self._certainties[claim_id] = claim_certainty(
                claim, self.linked_studies(claim_id), self.excluded
            )
        return self._certainties[claim_id]
