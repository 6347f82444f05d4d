"""Figures are inline SVG inside a <figure> with a caption, so their links work and screen readers
get the SVG's own title and description. The SVG sits in a box that scrolls sideways when the
figure is wider than the screen, and the caption links to the same content as text. A figure is
left out of the search index: its labels repeat that text."""

from __future__ import annotations

from kb import markup


def figure(svg: str | None, caption: str, text_version: str | None = None) -> str:
    """`text_version` is the id of the heading whose section gives the figure's content as text
    (on the same page)."""
    if not svg:
        return ""
    link = (
        f' <a href="#{markup.attribute(text_version)}">The same as text.</a>'
        if text_version
        else ""
    )
    return (
        '<figure class="kb-figure" data-search-exclude>\n<div class="kb-figure__scroll">\n'
        f"{svg.strip()}\n</div>\n"
        f"<figcaption>{markup.text(caption)}{link}</figcaption>\n</figure>"
    )
