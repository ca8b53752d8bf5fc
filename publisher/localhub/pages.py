"""HTML pages of the local hub: an index of models and one page per repo, to preview a card before publishing.

The README is shown as the Hub shows it: front matter hidden, Markdown rendered with markdown-it-py, the card's
own inline HTML kept but sanitized by nh3 (no scripts, event handlers, `javascript:` URLs or unknown tags; style
attributes limited to layout properties). A Content-Security-Policy forbidding scripts backs that up. Browsers
send no token, so private repos are 404 here unless the owner signed in (browse.py: a session cookie that only
pages read, never the API).
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import nh3
from markdown_it import MarkdownIt

from publisher.localhub.browse import metadata_box
from publisher.localhub.http import Request, Response
from publisher.localhub.storage import Commit, RepoKey

if TYPE_CHECKING:
    from publisher.localhub.repo_view import RepoView

CSP = "default-src 'none'; img-src 'self' https: http: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n.*?\r?\n---[ \t]*(\r?\n|\Z)", re.S)
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

CSS = """
body{margin:0;font-family:ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#fff}
a{color:#2563eb;text-decoration:none}a:hover{text-decoration:underline}
header.top{border-bottom:1px solid #e5e7eb;padding:10px 24px;font-weight:700;background:#f9fafb}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
h1.repo{font-size:20px;font-weight:600;margin:8px 0}h1.repo .ns{color:#6b7280;font-weight:400}
.badge{display:inline-block;border:1px solid #d1d5db;border-radius:6px;padding:1px 8px;margin:2px 4px 2px 0;font-size:12px;color:#374151;background:#f3f4f6}
.badge.private{background:#fef3c7;border-color:#f59e0b}
nav.tabs{border-bottom:1px solid #e5e7eb;margin:12px 0}nav.tabs a{display:inline-block;padding:6px 12px;color:#374151}
section{margin:20px 0}h2.section{font-size:16px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
table.files,table.commits{border-collapse:collapse;width:100%;font-size:14px}
table.files td,table.commits td{border-bottom:1px solid #f3f4f6;padding:4px 8px}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
.muted{color:#6b7280}
figure.thumbnail{float:right;margin:0 0 8px 16px;text-align:center;font-size:12px}
figure.thumbnail img{border:1px solid #e5e7eb;border-radius:8px;display:block}
aside.metadata{border:1px solid #e5e7eb;border-radius:8px;padding:8px 16px;margin:12px 0;font-size:14px}
aside.metadata dt{font-weight:600;margin-top:6px}aside.metadata dd{margin:2px 0 0 0}
/* the model card, with the few Tailwind utilities huggingtweets cards use */
.card{line-height:1.6;overflow-wrap:break-word}
.card img{max-width:100%}.card pre{background:#f3f4f6;padding:12px;border-radius:8px;overflow:auto}
.card code{background:#f3f4f6;border-radius:4px;padding:1px 4px}.card pre code{padding:0}
.card table{border-collapse:collapse;margin:12px 0}.card th,.card td{border:1px solid #e5e7eb;padding:4px 10px}
.card blockquote{border-left:4px solid #e5e7eb;margin:0;padding-left:12px;color:#4b5563}
.card .flex{display:flex}.card .inline-flex{display:inline-flex}.card .flex-col{flex-direction:column}
.card .items-center{align-items:center}.card .justify-center{justify-content:center}
.card div[style*="border-radius: 50%"],.card div[style*="border-radius:50%"]{background-color:#e5e7eb;background-position:center}
"""


def strip_front_matter(text: str) -> str:
    return _FRONT_MATTER.sub("", text, count=1)


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


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def _document(title: str, body: str, head: str = "") -> Response:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        '<header class="top"><a href="/">&#129303; local hub</a></header>'
        f"<main>{body}</main></body></html>"
    ).encode()
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
    }
    return Response(200, page, headers)


class Pages:
    """Page routes: `/`, `/{ns}/{name}`, `/{ns}/{name}/commit/{id}`, `/{ns}/{name}/discussions/{n}`."""

    def __init__(self, view: RepoView) -> None:
        from publisher.localhub.browse import Browse

        self.view = view
        self.storage = view.storage
        self.browse = Browse(self)  # tree/blob/commits pages, sign-in, who is looking

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
                f'<tr><td class="mono"><a href="{href}">{_e(path)}</a>{lfs}</td><td>{_size(entry.size)}</td></tr>'
            )
        total = _size(sum(e.size for e in commit.files.values()))
        return f'<section id="files"><h2 class="section">Files ({total})</h2><table class="files">{"".join(rows)}</table></section>'

    def _commits(self, key: RepoKey, commit: Commit) -> str:
        rows = []
        for c in self.storage.history(key, commit.id):
            rows.append(
                f'<tr><td class="mono"><a href="/{quote(key.id)}/commit/{c.id}">{c.id[:7]}</a></td>'
                f'<td>{_e(c.title)}</td><td class="muted">{_e(c.author)}</td><td class="muted">{_e(c.date)}</td></tr>'
            )
        return f'<section id="commits"><h2 class="section">Commits</h2><table class="commits">{"".join(rows)}</table></section>'
