"""Hub-style browse pages of the local hub, and a token sign-in so an owner can browse private repos.

Pages: `/{repo}/tree/{rev}[/{dir}]` (files), `/{repo}/blob/{rev}/{file}` (one file; text shown, binary and
LFS files described), `/{repo}/commits/{rev}` (history), and the model page's metadata box (license,
language, base model, tags, the widget's sample outputs), as huggingface.co shows them.

Sign-in: `/signin` is a form posting a token; a known token gets a random session id in an HttpOnly,
SameSite=Strict cookie, kept in memory. The session only lets *pages* show the private repos its user may
read. The API never looks at cookies (app.authenticate reads the Authorization header only), so a cookie can
never authorize a write. The token itself is never put in a cookie, a page or a log. Everything shown is
HTML-escaped; the pages keep the script-free CSP (form-action 'self' only where a form posts here).
"""

from __future__ import annotations

import html
import secrets
import threading
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from publisher.localhub.http import HTTPError, Request, Response
from publisher.localhub.storage import Commit, RepoKey

if TYPE_CHECKING:
    from publisher.localhub.auth import User
    from publisher.localhub.pages import Pages

SESSION_COOKIE = "hub_session"
MAX_SESSIONS = 1000
MAX_TEXT_BYTES = 1_000_000


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _q(path: str) -> str:
    return quote(path, safe="/")


class Sessions:
    """Browser sessions: random id -> user, in memory (a restart signs everyone out)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, User] = {}

    def open(self, user: User) -> str:
        session = secrets.token_urlsafe(32)
        with self._lock:
            if len(self._by_id) >= MAX_SESSIONS:
                self._by_id.pop(next(iter(self._by_id)))
            self._by_id[session] = user
        return session

    def user(self, session: str | None) -> User | None:
        with self._lock:
            return self._by_id.get(session or "")

    def close(self, session: str | None) -> None:
        with self._lock:
            self._by_id.pop(session or "", None)


def session_id(req: Request) -> str | None:
    cookie = SimpleCookie()
    try:
        cookie.load(req.headers.get("Cookie") or "")
    except CookieError:
        return None
    morsel = cookie.get(SESSION_COOKIE)
    return morsel.value if morsel else None


def _same_origin(req: Request) -> bool:
    """A sign-in posted from this server's own page (no login CSRF from another site)."""
    site = req.headers.get("Sec-Fetch-Site")
    if site and site not in ("same-origin", "none"):
        return False
    origin = req.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == urlsplit(req.base_url).netloc


class Browse:
    """The tree/blob/commits pages and the sign-in, drawn with the model pages' document and styles."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.view = pages.view
        self.storage = pages.storage
        self.sessions = Sessions()

    # ------------------------------------------------------------------------------------ who is looking
    def viewer(self, req: Request) -> User | None:
        return self.sessions.user(session_id(req))

    def can_see(self, req: Request, key: RepoKey, state: dict[str, Any]) -> bool:
        """Public repos for everyone; private ones for a signed-in user who may write the namespace (the API's
        own rule for reading a private repo)."""
        if not state.get("private"):
            return True
        viewer = self.viewer(req)
        return viewer is not None and viewer.can_write(key.namespace)

    def state(self, req: Request, key: RepoKey) -> dict[str, Any]:
        state = self.storage.load_state(key)
        if state is None or not self.can_see(req, key, state):
            raise HTTPError(404, f"Repository not found: {key.id}", "RepoNotFound")
        return state

    # ------------------------------------------------------------------------------------ routes
    def match(self, s: list[str], method: str, repo_type: str) -> Any:
        if s == ["signin"]:
            return (
                self.signin_form if method in ("GET", "HEAD") else self.signin if method == "POST" else None
            )
        if s == ["signout"] and method == "POST":
            return self.signout
        if method not in ("GET", "HEAD") or len(s) < 4:
            return None
        key, view, rev, path = RepoKey(repo_type, s[0], s[1]), s[2], s[3], "/".join(s[4:])
        if view == "tree":
            return lambda r: self.tree(r, key, rev, path.strip("/"))
        if view == "blob" and path:
            return lambda r: self.blob(r, key, rev, path)
        if view == "commits" and not path:
            return lambda r: self.commits(r, key, rev)
        return None

    def _page(self, req: Request, title: str, body: str, head: str = "") -> Response:
        from publisher.localhub.pages import _document

        response = _document(title, self.account_bar(req) + body, head)
        csp = response.headers["Content-Security-Policy"]
        response.headers["Content-Security-Policy"] = csp.replace("form-action 'none'", "form-action 'self'")
        response.headers["Cache-Control"] = "no-store"  # pages may show private repos to a signed-in user
        return response

    def account_bar(self, req: Request) -> str:
        viewer = self.viewer(req)
        if viewer is None:
            return '<p class="muted" style="text-align:right"><a href="/signin">Sign in with a token</a></p>'
        return (
            f'<form method="post" action="/signout" style="text-align:right" class="muted">signed in as '
            f'<b>{_e(viewer.name)}</b> <button type="submit">Sign out</button></form>'
        )

    def _header(self, key: RepoKey, state: dict[str, Any], rev: str, commit: Commit, active: str) -> str:
        base = f"/{_q(key.id)}"
        rev_q = quote(rev, safe="")
        private = ' <span class="badge private">private</span>' if state.get("private") else ""
        tabs = [
            ("card", f"{base}", "Model card"),
            ("files", f"{base}/tree/{rev_q}", "Files and versions"),
            ("commits", f"{base}/commits/{rev_q}", "Commits"),
        ]
        bold = ' style="font-weight:700"'
        nav = "".join(
            f'<a href="{href}"{bold if name == active else ""}>{label}</a>' for name, href, label in tabs
        )
        return (
            f'<h1 class="repo"><a href="{base}"><span class="ns">{_e(key.namespace)} /</span> {_e(key.name)}</a>'
            f'{private}</h1><p class="muted mono">revision {_e(rev)} &middot; commit {_e(commit.id[:7])}</p>'
            f'<nav class="tabs">{nav}</nav>'
        )

    # ------------------------------------------------------------------------------------ tree / blob / commits
    def tree(self, req: Request, key: RepoKey, rev: str, folder: str) -> Response:
        state = self.state(req, key)
        commit = self.view.load_rev(key, state, rev)
        prefix = f"{folder}/" if folder else ""
        dirs: set[str] = set()
        files = []
        for path, entry in sorted(commit.files.items()):
            if not path.startswith(prefix):
                continue
            head, sep, _rest = path[len(prefix) :].partition("/")
            if sep:
                dirs.add(head)
            else:
                files.append((path, entry))
        if folder and not dirs and not files:
            raise HTTPError(404, f"{folder!r} is not a folder of {key.id} at {rev}", "EntryNotFound")
        rev_q = quote(rev, safe="")
        rows = [
            f'<tr><td class="mono"><a href="/{_q(key.id)}/tree/{rev_q}/{_q(prefix + d)}">{_e(d)}/</a></td><td></td></tr>'
            for d in sorted(dirs)
        ]
        from publisher.localhub.pages import _size

        for path, entry in files:
            lfs = ' <span class="badge">LFS</span>' if entry.lfs else ""
            rows.append(
                f'<tr><td class="mono"><a href="/{_q(key.id)}/blob/{rev_q}/{_q(path)}">{_e(path[len(prefix) :])}</a>'
                f"{lfs}</td><td>{_size(entry.size)}</td>"
                f'<td><a href="/{_q(key.id)}/resolve/{rev_q}/{_q(path)}">download</a></td></tr>'
            )
        where = f" / {_e(folder)}" if folder else ""
        body = (
            self._header(key, state, rev, commit, "files")
            + f'<section id="files"><h2 class="section">Files{where}</h2><table class="files">{"".join(rows)}</table></section>'
        )
        return self._page(req, f"{key.id} at {rev} - files - local hub", body)

    def blob(self, req: Request, key: RepoKey, rev: str, path: str) -> Response:
        from publisher.localhub.pages import _size

        state = self.state(req, key)
        commit = self.view.load_rev(key, state, rev)
        entry = commit.files.get(path)
        if entry is None:
            raise HTTPError(404, f"{path!r} not found in {key.id} at {rev}", "EntryNotFound")
        rev_q = quote(rev, safe="")
        download = f"/{_q(key.id)}/resolve/{rev_q}/{_q(path)}"
        meta = (
            f'<p class="mono">{_e(path)} &middot; {_size(entry.size)}'
            f"{' &middot; LFS sha256 ' + _e(entry.sha256) if entry.lfs else ''} &middot; "
            f'<a href="{download}">download</a></p>'
        )
        text = None
        if not entry.lfs and entry.size <= MAX_TEXT_BYTES:
            raw = self.storage.read_blob(entry.sha256)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        shown = (
            f'<pre class="mono" style="white-space:pre-wrap">{_e(text)}</pre>'
            if text is not None
            else '<p class="muted">This file is binary or too large to show here; download it instead.</p>'
        )
        body = self._header(key, state, rev, commit, "files") + f"<section>{meta}{shown}</section>"
        return self._page(req, f"{path} - {key.id} - local hub", body)

    def commits(self, req: Request, key: RepoKey, rev: str) -> Response:
        state = self.state(req, key)
        commit = self.view.load_rev(key, state, rev)
        rows = [
            f'<tr><td class="mono"><a href="/{_q(key.id)}/commit/{_e(c.id)}">{_e(c.id[:7])}</a></td>'
            f'<td>{_e(c.title)}</td><td class="muted">{_e(c.author)}</td><td class="muted">{_e(c.date)}</td></tr>'
            for c in self.storage.history(key, commit.id)
        ]
        body = (
            self._header(key, state, rev, commit, "commits")
            + f'<section id="commits"><h2 class="section">Commits</h2><table class="commits">{"".join(rows)}</table></section>'
        )
        return self._page(req, f"{key.id} commits - local hub", body)

    # ------------------------------------------------------------------------------------ sign-in
    def signin_form(self, req: Request, message: str = "") -> Response:
        note = f'<p class="badge private">{_e(message)}</p>' if message else ""
        body = (
            '<h1 class="repo">Sign in</h1>'
            '<p class="muted">Paste a token of this hub to browse the private repos you may read. The token is '
            "checked once and not stored in the browser: a session cookie (HttpOnly, SameSite=Strict) stands for "
            "it. It lets pages show your private repos; it never authorizes API requests.</p>"
            f'{note}<form method="post" action="/signin">'
            '<input type="password" name="token" autocomplete="off" size="40" placeholder="hf_..."> '
            '<button type="submit">Sign in</button></form>'
        )
        response = self._page(req, "Sign in - local hub", body)
        if message:
            response.status = 401
        return response

    def signin(self, req: Request) -> Response:
        if not _same_origin(req):
            raise HTTPError(403, "sign-in must be posted from this hub's own sign-in page")
        token = (req.form().get("token") or [""])[0].strip()
        user = self.view.hub.users.by_token(token) if token else None
        if user is None:
            return self.signin_form(req, "Unknown token.")
        session = self.sessions.open(user)
        cookie = f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict"
        return Response(303, b"", {"Location": "/", "Set-Cookie": cookie, "Cache-Control": "no-store"})

    def signout(self, req: Request) -> Response:
        if not _same_origin(req):
            raise HTTPError(403, "sign-out must be posted from this hub's pages")
        self.sessions.close(session_id(req))
        cookie = f"{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        return Response(303, b"", {"Location": "/", "Set-Cookie": cookie, "Cache-Control": "no-store"})


# ------------------------------------------------------------------------------------------ model metadata
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
        links = ", ".join(f'<a href="/{_q(b)}">{_e(b)}</a>' if b.count("/") == 1 else _e(b) for b in bases)
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
        output = item.get("output") if isinstance(item.get("output"), dict) else {}
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
