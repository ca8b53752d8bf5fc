"""Hub-style browse pages of the local hub, and a token sign-in so an owner can browse private repos.

Pages: `/{repo}/tree/{rev}[/{dir}]` (files), `/{repo}/blob/{rev}/{file}` (one file; text shown, binary and
LFS files described), `/{repo}/commits/{rev}` (history), and the model page's metadata box (license,
language, base model, tags, the widget's sample outputs), as huggingface.co shows them.

Sign-in: `/signin` is a form posting a token; a known token gets a random session id in an HttpOnly,
SameSite=Strict cookie, kept in memory. The session only lets *pages* show the private repos its user may
read. The API never looks at cookies (app.authenticate reads the Authorization header only), so a cookie can
never authorize a write. The token itself is never put in a cookie, a page or a log. Everything shown is
HTML-escaped; the pages keep the script-free CSP (form-action 'self' only where a form posts here).

The frame every page shares (document(): styles, CSP, the top bar) lives here, below pages.py, which draws
the model page and the index inside it.
"""

from __future__ import annotations

import html
import secrets
import threading
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from publisher.localhub.http import HTTPError, Request, Response
from publisher.localhub.repo_view import RepoView
from publisher.localhub.rules import RepoKey
from publisher.localhub.storage import Commit

if TYPE_CHECKING:
    from publisher.localhub.auth import User

SESSION_COOKIE = "hub_session"
MAX_SESSIONS = 1000
MAX_TEXT_BYTES = 1_000_000
CSP = "default-src 'none'; img-src 'self' https: http: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

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


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _q(path: str) -> str:
    return quote(path, safe="/")


def size_text(n: int) -> str:
    """A file size as the pages show it: bytes, then kB/MB/GB in 1000s."""
    value: float = n
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return str(value)


def document(title: str, body: str, head: str = "") -> Response:
    """A whole HTML page in the local hub's frame and styles, under the script-free CSP."""
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
    """The tree/blob/commits pages and the sign-in, drawn in the frame every page shares (document())."""

    def __init__(self, view: RepoView) -> None:
        self.view = view
        self.storage = view.storage
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
        response = document(title, self.account_bar(req) + body, head)
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
        for path, entry in files:
            lfs = ' <span class="badge">LFS</span>' if entry.lfs else ""
            rows.append(
                f'<tr><td class="mono"><a href="/{_q(key.id)}/blob/{rev_q}/{_q(path)}">{_e(path[len(prefix) :])}</a>'
                f"{lfs}</td><td>{size_text(entry.size)}</td>"
                f'<td><a href="/{_q(key.id)}/resolve/{rev_q}/{_q(path)}">download</a></td></tr>'
            )
        where = f" / {_e(folder)}" if folder else ""
        body = (
            self._header(key, state, rev, commit, "files")
            + f'<section id="files"><h2 class="section">Files{where}</h2><table class="files">{"".join(rows)}</table></section>'
        )
        return self._page(req, f"{key.id} at {rev} - files - local hub", body)

    def blob(self, req: Request, key: RepoKey, rev: str, path: str) -> Response:
        state = self.state(req, key)
        commit = self.view.load_rev(key, state, rev)
        entry = commit.files.get(path)
        if entry is None:
            raise HTTPError(404, f"{path!r} not found in {key.id} at {rev}", "EntryNotFound")
        rev_q = quote(rev, safe="")
        download = f"/{_q(key.id)}/resolve/{rev_q}/{_q(path)}"
        meta = (
            f'<p class="mono">{_e(path)} &middot; {size_text(entry.size)}'
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
