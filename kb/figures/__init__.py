"""Deterministic SVG figures: forest plots (of a claim's outcome or a study's ratios), a
claim's neighbourhood, the whole claim-evidence graph and an evidence map (claims by study
design).

Each figure is one SVG document, written as text to sit inline in a page: role="img" (or
"group" when it holds links) with a <title> and <desc>, a viewBox and width 100% (and the width
under which it stops shrinking on a phone, so that its text stays legible), nothing fetched from
elsewhere, no blank line (in Markdown a blank line ends an HTML block). Record text is
contributor input and is always escaped; links come only from the caller's `url(kind, id)`.
Everything is sorted and coordinates have one decimal, so the same records give the same bytes.
Text is currentColor, so themes carry over.
"""

from kb.figures.evidence_map import evidence_map
from kb.figures.forests import ForestRow, forest_plot
from kb.figures.graphs import claim_neighbourhood, knowledge_graph

__all__ = ["ForestRow", "claim_neighbourhood", "evidence_map", "forest_plot", "knowledge_graph"]
