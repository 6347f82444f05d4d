"""Figures are inline SVG inside a <figure> with a caption, so their links work and screen readers
get the SVG's own title and description."""

from __future__ import annotations

from kb import markup


def figure(svg: str | None, caption: str) -> str:
    if not svg:
        return ""
    return (
        f'<figure class="kb-figure">\n{svg.strip()}\n'
        f"<figcaption>{markup.text(caption)}</figcaption>\n</figure>"
    )
