"""The route table of the local hub: (method, raw-path segments) -> (route name, handler). The name keys the
faults and the request log; the handlers live in handlers/ and pages.py, over one RepoView."""

from __future__ import annotations

from publisher.localhub.handlers.commit import Commits
from publisher.localhub.handlers.discussions import Discussions
from publisher.localhub.handlers.read import Read
from publisher.localhub.handlers.refs import Refs
from publisher.localhub.handlers.repos import Repos
from publisher.localhub.handlers.upload import Upload
from publisher.localhub.http import Handler, HTTPError, Request, Response
from publisher.localhub.pages import Pages
from publisher.localhub.repo_view import HubContext, RepoView
from publisher.localhub.rules import RepoKey, path_problem, revision_problem
from publisher.naming import repo_id_problem

PLURAL = {"models": "model", "datasets": "dataset", "spaces": "space"}
_REPO_API_HEADS = frozenset(
    {
        "revision",
        "tree",
        "paths-info",
        "refs",
        "commits",
        "tag",
        "branch",
        "preupload",
        "commit",
        "settings",
        "discussions",
        "auth-check",
        "xet-write-token",
        "xet-read-token",
        "super-squash",
        "like",
    }
)


class Router:
    """Maps (method, raw-path segments) to (route name, handler); the name keys faults and the log."""

    def __init__(self, hub: HubContext) -> None:
        self.view = RepoView(hub)
        self.storage = hub.storage
        self.repos = Repos(self.view)
        self.read = Read(self.view)
        self.refs = Refs(self.view)
        self.upload = Upload(self.view)
        self.commit = Commits(self.view)
        self.discussions = Discussions(self.view)
        self.pages = Pages(self.view)

    def match(self, req: Request) -> tuple[str, Handler]:
        """The route, from the path alone; a segment that breaks the Hub's rules is a 400 before anything else."""
        try:
            return self._match(req.segments, req.method)
        except HTTPError as exc:
            refusal = exc

            def refuse(r: Request) -> Response:
                raise refusal

            return "invalid", refuse

    def _match(self, s: list[str], m: str) -> tuple[str, Handler]:
        if s and s[0] == "api":
            return self._match_api(s[1:], m)
        if len(s) >= 2 and s[0] == "_lfs":
            if s[1] == "upload" and len(s) == 6 and m == "PUT":
                key, oid = self.view.key(s[2], s[3], s[4]), s[5]
                return "lfs-put", lambda r: self.upload.lfs_put(r, key, oid)
            if s[1] == "verify" and len(s) == 5 and m == "POST":
                key = self.view.key(s[2], s[3], s[4])
                return "lfs-verify", lambda r: self.upload.lfs_verify(r, key)
        return self._match_repo_urls(s, m)

    def _match_api(self, s: list[str], m: str) -> tuple[str, Handler]:
        if s == ["whoami-v2"] and m == "GET":
            return "whoami", self.repos.whoami
        if s == ["repos", "create"] and m == "POST":
            return "create", self.repos.create_repo
        if s == ["repos", "delete"] and m == "DELETE":
            return "delete", self.repos.delete_repo
        if m == "GET" and (
            s == ["settings", "repositories"]
            or (len(s) == 4 and s[0] == "organizations" and s[2:] == ["settings", "repositories"])
        ):
            return "repositories", lambda r: self.repos.namespace_repositories(
                r, s[1] if len(s) == 4 else None
            )
        if s == ["repos", "move"] and m == "POST":
            return "move", self.repos.move_repo
        if s == ["validate-yaml"] and m == "POST":
            return "validate", self.read.validate_yaml
        if len(s) == 1 and s[0] in PLURAL and m == "GET":
            return "list", lambda r: self.repos.list_repos(r, PLURAL[s[0]])
        if len(s) >= 3 and s[0] in PLURAL:
            key = self.view.key(PLURAL[s[0]], s[1], s[2])
            found = self._match_repo_api(key, s[3:], m)
            if found is not None and (
                s[2] not in _REPO_API_HEADS or self.storage.load_state(key) is not None
            ):
                return found
        if len(s) >= 2 and s[0] in PLURAL:
            # a canonical id without namespace (`gpt2`): /api/models/gpt2[/revision/main, /commits/main, ...]
            found = self._match_repo_api(self._bare_key(PLURAL[s[0]], s[1]), s[2:], m)
            if found is not None:
                return found
        return "unknown", self.not_found

    def _match_repo_api(self, key: RepoKey, rest: list[str], m: str) -> tuple[str, Handler] | None:
        head, args = (rest[0], rest[1:]) if rest else ("", [])
        if head == "tree":
            rev, path = (_checked_rev(args[0]) if args else "main"), "/".join(args[1:])
            if path.strip("/"):
                _checked_path(path.strip("/"))
            return ("tree", lambda r: self.read.tree(r, key, rev, path)) if m == "GET" else None
        rev = _checked_rev("/".join(args)) if args and head != "discussions" else ""
        table: dict[tuple[str, str], tuple[str, Handler]] = {
            ("", "GET"): ("info", lambda r: self.repos.repo_info(r, key, None)),
            ("revision", "GET"): ("info", lambda r: self.repos.repo_info(r, key, rev)),
            ("paths-info", "POST"): ("paths-info", lambda r: self.read.paths_info(r, key, rev or "main")),
            ("refs", "GET"): ("refs", lambda r: self.refs.refs(r, key)),
            ("commits", "GET"): ("commits", lambda r: self.read.commits(r, key, rev or "main")),
            ("tag", "POST"): ("tag", lambda r: self.refs.create_tag(r, key, rev)),
            ("tag", "DELETE"): ("tag", lambda r: self.refs.delete_tag(r, key, rev)),
            ("branch", "POST"): ("branch", lambda r: self.refs.create_branch(r, key, rev)),
            ("branch", "DELETE"): ("branch", lambda r: self.refs.delete_branch(r, key, rev)),
            ("preupload", "POST"): ("preupload", lambda r: self.upload.preupload(r, key, rev or "main")),
            ("commit", "POST"): ("commit", lambda r: self.commit.commit(r, key, rev or "main")),
            ("settings", "PUT"): ("settings", lambda r: self.repos.settings(r, key)),
            ("super-squash", "POST"): (
                "squash",
                lambda r: self.refs.super_squash(r, key, "/".join(args) or "main"),
            ),
            ("like", "POST"): ("like", lambda r: self.repos.likes_unsupported(r, key)),
            ("like", "DELETE"): ("like", lambda r: self.repos.likes_unsupported(r, key)),
            ("auth-check", "GET"): ("auth-check", lambda r: self.repos.auth_check(r, key, args == ["write"])),
            ("discussions", "POST"): ("discussions", lambda r: self.discussions.post(r, key, args)),
            ("discussions", "PUT"): ("discussions", lambda r: self.discussions.put(r, key, args)),
            ("discussions", "GET"): ("discussions", lambda r: self.discussions.get(r, key, args)),
            ("xet-write-token", "GET"): ("xet", self.xet_unsupported),
            ("xet-read-token", "GET"): ("xet", self.xet_unsupported),
        }
        return table.get((head, m))

    def _match_repo_urls(self, s: list[str], m: str) -> tuple[str, Handler]:
        repo_type = "model"
        if s and s[0] in PLURAL and s[0] != "models" and len(s) >= 3:
            repo_type, s = PLURAL[s[0]], s[1:]
        if (
            len(s) >= 2
            and s[1].endswith(".git")
            and s[2:] == ["info", "lfs", "objects", "batch"]
            and m == "POST"
        ):
            key = self.view.key(repo_type, s[0], s[1][: -len(".git")])
            return "lfs-batch", lambda r: self.upload.lfs_batch(r, key)
        if len(s) >= 5 and s[2] == "resolve" and m in ("GET", "HEAD"):
            key, rev, path = (
                self.view.key(repo_type, s[0], s[1]),
                _checked_rev(s[3]),
                _checked_path("/".join(s[4:])),
            )
            return "resolve", lambda r: self.read.resolve(r, key, rev, path)
        if len(s) >= 4 and s[1] == "resolve" and m in ("GET", "HEAD"):
            # a canonical id without namespace: /gpt2/resolve/main/config.json
            key, rev, path = (
                self._bare_key(repo_type, s[0]),
                _checked_rev(s[2]),
                _checked_path("/".join(s[3:])),
            )
            return "resolve", lambda r: self.read.resolve(r, key, rev, path)
        page = self.pages.match(s, m, repo_type)
        if page is not None:  # the browser sign-in is the one form post, without Authorization (browse.py)
            return ("signin" if s in (["signin"], ["signout"]) else "page"), page
        return "unknown", self.not_found

    @staticmethod
    def _bare_key(repo_type: str, name: str) -> RepoKey:
        """The key of a canonical id without namespace (`gpt2`); the local hub holds none, so it answers
        RepoNotFound as the Hub does for a missing one."""
        problem = repo_id_problem(name, namespace_required=False)
        if problem:
            raise HTTPError(400, f"Invalid repo id: {problem}")
        return RepoKey(repo_type, "", name)

    def not_found(self, req: Request) -> Response:
        raise HTTPError(404, f"no such endpoint on the local hub: {req.method} /{'/'.join(req.segments)}")

    def xet_unsupported(self, req: Request) -> Response:
        raise HTTPError(
            501,
            "The local hub does not implement Xet storage. Set HF_HUB_DISABLE_XET=1 in the client's environment, "
            "or start the hub with --upload-mode regular.",
        )


def _checked_rev(rev: str) -> str:
    problem = revision_problem(rev)
    if problem:
        raise HTTPError(400, f"Invalid revision: {problem}")
    return rev


def _checked_path(path: str) -> str:
    problem = path_problem(path)
    if problem:
        raise HTTPError(400, f"Invalid path: {problem}")
    return path
