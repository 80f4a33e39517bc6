"""User-written text: Markdown rendered, then sanitised. Nothing else is marked safe."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(source: str | None) -> Markup:
    """Markdown to sanitised HTML. Headings shift down to h2+ so page outlines stay in order."""
    if not source:
        return Markup("")
    return _render(source)


@lru_cache(maxsize=4096)
def _render(source: str) -> Markup:
    """Rendering is pure, so a hot list or page renders each text once per worker."""
    html = _md.render(source)
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
