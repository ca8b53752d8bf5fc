"""HTML pages of the local hub: an index of models and one page per repo, to preview a card before publishing.

The README is shown as the Hub shows it: front matter hidden (exactly the block the Hub reads as metadata,
found by publisher.card.frontmatter, the parser cardData comes from too), Markdown rendered with markdown-it-py,
the card's own inline HTML kept but sanitized by nh3 (no scripts, event handlers, `javascript:` URLs or unknown
tags; style attributes limited to layout properties). A Content-Security-Policy forbidding scripts backs that up. Browsers
send no token, so private repos are 404 here unless the owner signed in (browse.py: a session cookie that only
pages read, never the API).
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import nh3
from markdown_it import MarkdownIt

from publisher.card.frontmatter import strip_front_matter
from publisher.localhub.browse import Browse, size_text
from publisher.localhub.http import Request, Response
from publisher.localhub.repo_view import RepoView
from publisher.localhub.rules import RepoKey
from publisher.localhub.storage import Commit

_STYLE_PROPERTIES = {
    "display",
    "margin",
    "margin-left",
    "margin-right",
    "margin-top",
    "margin-bottom",
    "padding",
    "padding-left",
    "padding-right",
    "padding-top",
    "padding-bottom",
    "width",
    "height",
    "max-width",
    "min-width",
    "border-radius",
    "background-size",
    "background-image",
    "background-position",
    "background-repeat",
    "background-color",
    "text-align",
    "font-size",
    "font-weight",
    "font-style",
    "line-height",
    "color",
    "vertical-align",
    "justify-content",
    "align-items",
    "flex-direction",
    "gap",
}
_SAFE_CSS_URL = re.compile(r"url\(\s*(&quot;|\"|'|&#39;)?\s*(https?:|data:image/)", re.I)
_TAGS = set(nh3.ALLOWED_TAGS) | {"img", "details", "summary", "center"}
_ATTRIBUTES = {
    **{t: set(a) for t, a in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"style", "class", "title", "align"},
}
_ATTRIBUTES["a"] = {"href", "title"}
_ATTRIBUTES["img"] = {"src", "alt", "width", "height", "title", "align"}


def _safe_declaration(declaration: str) -> bool:
    lowered = declaration.lower()
    if "expression(" in lowered or "javascript:" in lowered or "behavior" in lowered:
        return False
    return "url(" not in lowered or len(_SAFE_CSS_URL.findall(declaration)) == lowered.count("url(")


def _style_filter(element: str, attribute: str, value: str) -> str | None:
    """Keep style declarations except those smuggling non-http URLs (or empty ones) or legacy script hooks."""
    if attribute != "style":
        return value
    kept = [d.strip() for d in value.split(";") if d.strip() and _safe_declaration(d)]
    return "; ".join(kept) or None


_RESOLVE_PATH = re.compile(r"^/(?:(?:datasets|spaces)/)?[^/]+/[^/]+/resolve/[^/]+/.+")
HUB_ORIGIN = "https://huggingface.co"  # the Hub this server stands in for (see repo_image_url)


def repo_image_url(src: str, repo_id: str, revision: str) -> str | None:
    """An image's src as the Hub resolves it: a path relative to the README becomes the repo's own file
    (`/<repo>/resolve/<revision>/<path>`); http(s) images stay; a root path only when it is a resolve URL;
    anything else (another scheme, `//host`, a path climbing out of the repo) is dropped."""
    parts = urlsplit(src)
    if parts.scheme in ("http", "https"):
        return src
    if parts.scheme or parts.netloc or src.startswith("//"):
        return None
    if src.startswith("/"):
        return src if _RESOLVE_PATH.match(parts.path) else None
    path = posixpath.normpath(parts.path)
    if not parts.path or path == "." or path == ".." or path.startswith("../"):
        return None
    query = f"?{parts.query}" if parts.query else ""
    return f"/{repo_id}/resolve/{quote(revision, safe='')}/{quote(path)}{query}"


def sanitize(fragment: str, *, repo_id: str | None = None, revision: str = "main") -> str:
    """Allowed tags and attributes only; with `repo_id`, image sources are resolved within that repo."""

    def attribute_filter(element: str, attribute: str, value: str) -> str | None:
        if element == "img" and attribute == "src" and repo_id is not None:
            return repo_image_url(value, repo_id, revision)
        return _style_filter(element, attribute, value)

    return nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript", "template"},
        attributes=_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties=_STYLE_PROPERTIES,
        link_rel="noopener noreferrer nofollow",
    )


def render_card(readme: str, *, repo_id: str | None = None, revision: str = "main") -> str:
    """README text → safe HTML, as the Hub renders a model card (relative images from the repo itself)."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return sanitize(md.render(strip_front_matter(readme)), repo_id=repo_id, revision=revision)


def thumbnail_url(card_data: dict[str, Any] | None, repo_id: str) -> str | None:
    """Where the page shows the card's `thumbnail`: a resolve URL of this very repo on the Hub (what
    `publisher publish` writes; the Hub serves it from the repo) or on this server is this server's copy;
    another https image stays as it is; anything else is not shown."""
    value = (card_data or {}).get("thumbnail")
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    if parts.path.startswith(f"/{repo_id}/resolve/") and (
        value.startswith(HUB_ORIGIN + "/") or not parts.netloc
    ):
        return repo_image_url(parts.path, repo_id, "main")
    return value if parts.scheme == "https" and parts.netloc else None


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


class Pages:
    """Page routes: `/`, `/{ns}/{name}`, `/{ns}/{name}/commit/{id}`, `/{ns}/{name}/discussions/{n}`."""

    def __init__(self, view: RepoView) -> None:
        self.view = view
        self.storage = view.storage
        self.browse = Browse(view)  # tree/blob/commits pages, sign-in, who is looking

    def match(self, s: list[str], method: str, repo_type: str) -> Callable[[Request], Response] | None:
        found = self.browse.match(s, method, repo_type)
        if found is not None:
            return found
        if method not in ("GET", "HEAD"):
            return None
        if s in ([], [""]):
            return self.index
        if len(s) == 2:
            return lambda r: self.repo_page(r, RepoKey(repo_type, s[0], s[1]))
        if len(s) == 4 and s[2] in ("commit", "discussions"):
            return lambda r: self.repo_page(
                r, RepoKey(repo_type, s[0], s[1]), rev=s[3] if s[2] == "commit" else f"refs/pr/{s[3]}"
            )
        return None

    def index(self, req: Request) -> Response:
        search = (req.param("search") or "").lower()
        rows = []
        for key, state in self.storage.iter_repos("model"):
            if not self.browse.can_see(req, key, state) or (search and search not in key.id.lower()):
                continue
            rows.append(
                f'<tr><td><a href="/{quote(key.id)}">{_e(key.id)}</a></td>'
                f'<td class="muted">{_e(state.get("lastModified", ""))}</td></tr>'
            )
        table = "".join(rows) or '<tr><td class="muted">No models yet.</td></tr>'
        body = (
            f'<h1 class="repo">Models</h1><p class="muted">{len(rows)} model(s)</p>'
            f'<table class="commits">{table}</table>'
        )
        return self.browse._page(req, "Models - local hub", body)

    def repo_page(self, req: Request, key: RepoKey, rev: str | None = None) -> Response:
        state = self.browse.state(req, key)
        rev = rev or req.param("rev") or "main"
        commit = self.view.load_rev(key, state, rev)
        info = self.view.describe(key, state, commit, blobs=True)
        readme = self.view.file_text(commit, "README.md")
        card = (
            render_card(readme, repo_id=key.id, revision=commit.id)
            if readme is not None
            else '<p class="muted">No model card yet.</p>'
        )
        thumbnail = thumbnail_url(info.get("cardData"), key.id)
        body = "".join(
            [
                self._title(key, info, rev, commit),
                '<nav class="tabs"><a href="#card">Model card</a><a href="#files">Files</a>'
                '<a href="#commits">Commits</a></nav>',
                metadata_box(info.get("cardData"), info.get("pipeline_tag")),
                f'<section id="card">{self._thumbnail(thumbnail)}<article class="card">{card}</article></section>',
                self._files(key, commit),
                self._commits(key, commit),
            ]
        )
        head = f'<meta property="og:image" content="{_e(thumbnail)}">' if thumbnail else ""
        return self.browse._page(req, f"{key.id} - local hub", body, head)

    @staticmethod
    def _thumbnail(url: str | None) -> str:
        """The card's `thumbnail` (the Hub uses it as the model's social preview, og:image)."""
        if not url:
            return ""
        return (
            f'<figure class="thumbnail"><img src="{_e(url)}" alt="thumbnail" width="300" height="158">'
            '<figcaption class="muted">thumbnail (social preview)</figcaption></figure>'
        )

    @staticmethod
    def _title(key: RepoKey, info: dict[str, Any], rev: str, commit: Commit) -> str:
        badges = "".join(f'<span class="badge">{_e(t)}</span>' for t in info.get("tags") or [])
        return (
            f'<h1 class="repo"><span class="ns">{_e(key.namespace)} /</span> {_e(key.name)}</h1>'
            f"<div>{badges}</div>"
            f'<p class="muted mono">revision {_e(rev)} &middot; commit {_e(commit.id[:7])} &middot; {_e(commit.date)}</p>'
        )

    @staticmethod
    def _files(key: RepoKey, commit: Commit) -> str:
        rows = []
        for path, entry in sorted(commit.files.items()):
            href = f"/{quote(key.id)}/resolve/{commit.id}/{quote(path)}"
            lfs = ' <span class="badge">LFS</span>' if entry.lfs else ""
            rows.append(
                f'<tr><td class="mono"><a href="{href}">{_e(path)}</a>{lfs}</td><td>{size_text(entry.size)}</td></tr>'
            )
        total = size_text(sum(e.size for e in commit.files.values()))
        return f'<section id="files"><h2 class="section">Files ({total})</h2><table class="files">{"".join(rows)}</table></section>'

    def _commits(self, key: RepoKey, commit: Commit) -> str:
        rows = []
        for c in self.storage.history(key, commit.id):
            rows.append(
                f'<tr><td class="mono"><a href="/{quote(key.id)}/commit/{c.id}">{c.id[:7]}</a></td>'
                f'<td>{_e(c.title)}</td><td class="muted">{_e(c.author)}</td><td class="muted">{_e(c.date)}</td></tr>'
            )
        return f'<section id="commits"><h2 class="section">Commits</h2><table class="commits">{"".join(rows)}</table></section>'


def metadata_box(card_data: dict[str, Any] | None, pipeline_tag: str | None = None) -> str:
    """License, language, base model, tags and the widget's examples with their sample outputs, as the Hub
    shows them beside a model card; every value escaped, links only to this hub's own pages."""
    data = card_data or {}
    rows = []
    for label, key in (("License", "license"), ("Language", "language")):
        values = _strings(data.get(key))
        if values:
            rows.append(f"<dt>{label}</dt><dd>{', '.join(_e(v) for v in values)}</dd>")
    bases = _strings(data.get("base_model"))
    if bases:
        links = ", ".join(
            f'<a href="/{quote(b, safe="/")}">{_e(b)}</a>' if b.count("/") == 1 else _e(b) for b in bases
        )
        rows.append(f"<dt>Base model</dt><dd>{links}</dd>")
    if pipeline_tag:
        rows.append(f"<dt>Task</dt><dd>{_e(pipeline_tag)}</dd>")
    tags = _strings(data.get("tags"))
    if tags:
        badges = "".join(f'<span class="badge">{_e(t)}</span>' for t in tags)
        rows.append(f"<dt>Tags</dt><dd>{badges}</dd>")
    examples = []
    widget = data.get("widget")
    for item in widget if isinstance(widget, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            continue
        output = item["output"] if isinstance(item.get("output"), dict) else {}
        sample = output.get("text") if isinstance(output.get("text"), str) else None
        title = f"<b>{_e(item['example_title'])}</b>: " if isinstance(item.get("example_title"), str) else ""
        shown = (
            f'<div class="mono">{_e(sample)}</div>' if sample else '<div class="muted">no sample output</div>'
        )
        examples.append(f'<li>{title}<span class="mono">{_e(item["text"])}</span>{shown}</li>')
    if examples:
        rows.append(f"<dt>Widget examples</dt><dd><ul>{''.join(examples)}</ul></dd>")
    if not rows:
        return ""
    return f'<aside class="metadata" id="metadata"><dl>{"".join(rows)}</dl></aside>'


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
