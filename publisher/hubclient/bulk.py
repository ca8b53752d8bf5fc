"""The Hub calls a bulk regeneration needs, with as few requests as possible.

Request budget per repo (the listing, with `expand=sha,siblings,private`, is shared by every repo of a page):
  read a repo              1 request: GET resolve/{sha}/README.md (the `X-Repo-Commit` header pins the
                           revision when the listing gave no sha); + GET card.json at that sha only when
                           the listing's siblings say the repo has one (or there was no listing);
  commit a changed card    + 1 request: the commit POST itself (NDJSON, both files inline), with
                           parent_commit = the sha that was read. No validate-yaml (the caller checks the
                           README offline with `publisher check`'s rules, the ones the local hub's
                           validate-yaml uses: regenerate.decide.check_readme_offline)
                           and no preupload (a card is a small UTF-8 text file, which the Hub stores as a
                           regular file; anything else goes through huggingface_hub's create_commit).
At most `concurrency` requests are in flight at once, whatever the number of worker threads: every request
holds one of the session's request slots.
Everything goes through huggingface_hub (its HTTP session, headers and error classes; HfApi for the rarer
calls: PRs, dry-run access checks, commits of files not fit to inline), with the endpoint passed explicitly,
so the module also works when HF_ENDPOINT was fixed at import. whoami, the listing, reads and inline commits
are single requests on that session (docs/hub-api.md): a run that needs nothing else never imports
`huggingface_hub.hf_api` (about 0.15 s of start-up) nor builds a ModelInfo per listed repo.

Retries: 429 never fails a repo. It pauses every worker through the shared RateGate for what Retry-After /
RateLimit asks, and does not count as an attempt. 5xx and dropped connections are retried with the backoff
of `publisher.hubclient.retry.retry_delay`, through the one retrier (`publisher.hubclient.retry.retrying`);
other errors are mapped by `publisher.hubclient.errors.map_hub_error`.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote

from publisher.errors import HubError
from publisher.hubclient.errors import CommitConflict, CommitQuotaExceeded, is_connection_error, status_of
from publisher.hubclient.pacing import ApiBudget, RateGate, Stop
from publisher.hubclient.retry import DEFAULT_RETRY, RetryPolicy, ratelimit_reset_wait, retrying
from publisher.hubclient.snapshot import (
    CARD_FILES,
    CARD_JSON,
    README,
    CommitOutcome,
    ListedRepo,
    RepoSnapshot,
)

T = TypeVar("T")

READ_TIMEOUT = 60.0
COMMIT_TIMEOUT = 120.0
MAX_JSON_ANSWER = 64 * 1024 * 1024
"""The largest JSON answer (a whoami, a listing page) parsed: a page of 1,000 repos with cardData is < 1 MB."""
INLINE_LIMIT = 1_000_000
"""Files up to this size, UTF-8 text without NUL, are committed inline (the Hub's regular files)."""
LISTING_EXPAND: tuple[str, ...] = ("sha", "siblings", "private")


def _names_commit_quota(text: str) -> bool:
    """A 429 about the hourly commit quota (not the API window): its message speaks of commits and a quota."""
    import re

    lowered = text.lower()
    return "commit" in lowered and re.search(r"quota|per hour|hourly", lowered) is not None


def _server_text(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    try:
        body = response.text if response is not None else ""
    except Exception:  # noqa: BLE001 - a streamed or closed body: the exception's own words will do
        body = ""
    return f"{getattr(exc, 'server_message', '') or ''} {body} {exc}"


def quiet_client_logging() -> None:
    """Only errors from huggingface_hub's logger: a bulk run's summary says what happened, per-call warnings
    would bury it. Here, so the command line never imports huggingface_hub itself (this call does)."""
    from huggingface_hub.utils import logging as hf_logging

    hf_logging.set_verbosity_error()


class BulkHub:
    """A Hub session for one bulk run: reads, commits and PR lookups, paced by a shared RateGate."""

    def __init__(
        self,
        endpoint: str,
        token: str | None,
        *,
        gate: RateGate | None = None,
        policy: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[str], None] | None = None,
        concurrency: int = 8,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._token = token
        self.stop = Stop()
        """Set on Ctrl-C: every sleep of this session (429 waits, retry back-offs, budget pauses) ends at once."""
        self.gate = gate or RateGate(sleep=self.stop.sleep)
        self.policy = policy
        self._sleep = self.stop.sleep if sleep is time.sleep else sleep
        self.on_retry = on_retry
        """Told each wait and retry as a line (the run's progress display, once it exists)."""
        self.retries = 0
        self.rate_limited = 0
        self.concurrency = max(1, concurrency)
        self._slots = threading.BoundedSemaphore(self.concurrency)
        """One slot per request in flight: `--concurrency N` means N requests at once, reads and commits together."""
        self.budget = ApiBudget(self.gate, reserve=self.concurrency, on_wait=self._note)

    @functools.cached_property
    def api(self) -> Any:
        """huggingface_hub's HfApi on this endpoint and token, built on first use (PRs, access checks)."""
        from huggingface_hub import HfApi

        return HfApi(endpoint=self.endpoint, token=self._token)

    @functools.cached_property
    def _headers(self) -> dict[str, str]:
        """huggingface_hub's request headers (user agent, authorization) for this token, built once."""
        from huggingface_hub.utils import build_hf_headers

        return build_hf_headers(token=self._token)

    def _send(self, method: str, url: str, *, headers: dict[str, str] | None = None, timeout: float = READ_TIMEOUT,
              **kwargs: Any) -> Any:  # fmt: skip
        """One request on huggingface_hub's session with this token's headers; its rate-limit headers are
        watched. The status is the caller's to check."""
        from huggingface_hub.utils import get_session

        response = get_session().request(
            method, url, headers=headers or self._headers, timeout=timeout, **kwargs
        )
        self._watch_rate_limit(response.headers)
        return response

    def _get(self, url: str, *, params: Any = None) -> Any:
        """One GET; an error status raises huggingface_hub's error classes (hf_raise_for_status)."""
        from huggingface_hub.utils import hf_raise_for_status

        response = self._send("GET", url, params=params)
        hf_raise_for_status(response)
        return response

    # ------------------------------------------------------------------------------------------- retries

    def _call(self, what: str, fn: Callable[[], T], *, on_error: Callable[[BaseException], None] | None = None,
              resource: str = "api") -> T:  # fmt: skip
        """Run `fn` until it succeeds: 429 waits (uncounted), 5xx / dropped connections back off, rest maps.

        `resource` is the Hub's rate-limit bucket the call counts against ("api", or "resolvers" for file reads).
        """

        def _before_try() -> None:
            self.gate.wait()
            self.budget.spend(resource)
            self.gate.wait()

        def _in_a_slot() -> T:
            with self._slots:
                return fn()

        def _rate_limited(exc: BaseException, asked: float | None) -> None:
            self.rate_limited += 1
            if what.startswith("commit ") and _names_commit_quota(_server_text(exc)):
                self._note(f"{what}: the Hub's hourly commit quota is reached")
                raise CommitQuotaExceeded(f"{what}: hourly commit quota reached (429)", wait=asked) from exc
            self.gate.pause(asked + 0.5 if asked is not None else self.policy.base_wait * 2)
            self._note(f"{what}: 429 rate limited, waiting {asked if asked is not None else 2:.0f}s")

        def _retrying(exc: BaseException, delay: float, _attempt: int) -> None:
            self.retries += 1
            self._note(f"{what}: {status_of(exc) or 'connection lost'}, retrying in {delay:.1f}s")

        return retrying(what, _in_a_slot, policy=self.policy, where=self.endpoint, sleep=self._sleep,
                        before_try=_before_try, on_error=on_error, on_rate_limit=_rate_limited,
                        on_retry=_retrying)  # fmt: skip

    def _note(self, message: str) -> None:
        if self.on_retry is not None:
            self.on_retry(message)

    # ------------------------------------------------------------------------------------------- listing

    def whoami(self) -> dict[str, Any]:
        """The token's account (GET /api/whoami-v2, as HfApi.whoami): a bad token fails here, once."""
        url = f"{self.endpoint}/api/whoami-v2"
        return self._call("whoami", lambda: _json_answer(self._get(url).content, f"GET {url}"))

    def list_models(self, author: str, *, card_data: bool = False) -> list[ListedRepo]:
        """Every model of `author` visible to the token, with sha and file names when the Hub gives them.

        `card_data` adds each card's front matter to the listing (about twice its bytes), for the README digest
        that lets a current card be settled by reading card.json alone: worth it on a first run, not on a
        re-run whose state file settles most repos without any read.
        """
        from publisher.card.templates import listed_digest

        expand = [*LISTING_EXPAND, "cardData"] if card_data else list(LISTING_EXPAND)

        def _list() -> list[ListedRepo]:
            # the sha and file names of each repo: reads can then pin the revision, skip the card.json probe
            # for repos that have none, and the state file can skip repos whose sha did not move
            params = {"author": author, "expand": expand}  # the query HfApi.list_models sends
            return [
                _listed(item, listed_digest) for item in self._pages(f"{self.endpoint}/api/models", params)
            ]

        return self._call(f"list models of {author}", _list)

    def _pages(self, url: str, params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated listing: the next page is the `Link: <...>; rel="next"` URL, as HfApi's."""
        next_url: str | None = url
        while next_url is not None:
            response = self._get(next_url, params=params if next_url == url else None)
            page = _json_answer(response.content, f"GET {url}")
            if not isinstance(page, list):
                raise HubError(f"GET {url}: the Hub sent {type(page).__name__}, not a list of repos")
            yield from (item for item in page if isinstance(item, dict))
            next_url = next_page(response.links, self.endpoint)

    # ---------------------------------------------------------------------------------------------- reads

    def _get_file(self, repo_id: str, path: str, revision: str) -> tuple[bytes | None, str | None]:
        """(content or None if the file is absent, the commit sha the Hub resolved) in one GET."""
        from huggingface_hub.errors import EntryNotFoundError
        from huggingface_hub.utils import hf_raise_for_status

        # hf_hub_url's URL for a model repo (its module costs 0.15 s to import; the rule is one line)
        url = f"{self.endpoint}/{repo_id}/resolve/{quote(revision, safe='')}/{quote(path)}"
        response = self._send("GET", url)
        commit = response.headers.get("x-repo-commit")
        try:
            hf_raise_for_status(response)
        except EntryNotFoundError:
            return None, commit
        return response.content, commit

    def _watch_rate_limit(self, headers: Any) -> None:
        """Every answer updates the window's budget; one that says it is spent (`r=0;t=N`) pauses everyone."""
        self.budget.observe(headers)
        asked = ratelimit_reset_wait(headers.get("ratelimit"))
        if asked:
            self.gate.pause(asked)

    def read(
        self,
        repo_id: str,
        *,
        sha: str | None = None,
        files: Iterable[str] | None = None,
        readme_digest: str | None = None,
    ) -> RepoSnapshot:
        """README.md and card.json of `repo_id` at one revision: `sha` if known, else the head of main.

        With the listing's `readme_digest` (and its sha and card.json), only card.json is read: the digest
        stands for the README, which the decision needs only to know whether it would change.
        """
        listed = set(files) if files is not None else None
        if readme_digest and sha and listed is not None and CARD_JSON in listed:
            card_json, _ = self._call(
                f"read {repo_id}/{CARD_JSON}",
                lambda: self._get_file(repo_id, CARD_JSON, sha),
                resource="resolvers",
            )
            if card_json is not None:  # (absent after all: read the README as for any other repo)
                return RepoSnapshot(
                    repo_id, sha, readme=None, card_json=card_json, readme_digest=readme_digest
                )
        readme, commit = self._call(
            f"read {repo_id}/{README}",
            lambda: self._get_file(repo_id, README, sha or "main"),
            resource="resolvers",
        )
        pinned = sha or commit
        if pinned is None:
            raise HubError(f"read {repo_id}: the Hub sent no X-Repo-Commit header; cannot pin the revision")
        card_json = None
        if listed is None or CARD_JSON in listed:
            card_json, _ = self._call(
                f"read {repo_id}/{CARD_JSON}",
                lambda: self._get_file(repo_id, CARD_JSON, pinned),
                resource="resolvers",
            )
        return RepoSnapshot(repo_id=repo_id, sha=pinned, readme=readme, card_json=card_json)

    # -------------------------------------------------------------------------------------------- commits

    def commit(
        self,
        repo_id: str,
        files: dict[str, bytes],
        *,
        parent_commit: str,
        message: str,
        description: str = "",
        create_pr: bool = False,
    ) -> CommitOutcome:
        """One commit of `files` (README.md / card.json only) on top of `parent_commit`: one request.

        A 412 raises CommitConflict. A retry after a lost answer cannot commit twice: its parent is stale, so it
        gets 412 too, and `uncertain` tells the caller to check whether the first try landed.
        """
        unexpected = set(files) - CARD_FILES
        if unexpected or not files:
            raise ValueError(f"regenerate commits README.md and card.json only, got {sorted(files)}")
        doubt = {"uncertain": False}

        def _remember(exc: BaseException) -> None:
            status = status_of(exc)
            if is_connection_error(exc) or (status is not None and status >= 500):
                doubt["uncertain"] = True

        inline = all(_inline_ok(content) for content in files.values())
        post = self._post_commit if inline else self._create_commit

        def _commit() -> CommitOutcome:
            try:
                return post(repo_id, files, parent_commit=parent_commit, message=message,
                            description=description, create_pr=create_pr)  # fmt: skip
            except Exception as exc:
                if status_of(exc) == 412:
                    raise CommitConflict(
                        f"commit {repo_id}: the branch moved since it was read (412)",
                        uncertain=doubt["uncertain"],
                    ) from exc
                raise

        return self._call(f"commit {repo_id}", _commit, on_error=_remember)

    def _post_commit(self, repo_id: str, files: dict[str, bytes], *, parent_commit: str | None, message: str,
                     description: str = "", create_pr: bool = False) -> CommitOutcome:  # fmt: skip
        """The commit POST alone (docs/hub-api.md §2 #16): an NDJSON header line, then each file inline (base64)."""
        import base64

        from huggingface_hub.utils import hf_raise_for_status

        header = {"summary": message, "description": description}
        if parent_commit is not None:
            header["parentCommit"] = parent_commit
        lines = [{"key": "header", "value": header}]
        lines += [
            {"key": "file", "value": {"content": base64.b64encode(content).decode("ascii"), "path": path,
                                      "encoding": "base64"}}
            for path, content in sorted(files.items())
        ]  # fmt: skip
        body = "\n".join(json.dumps(line) for line in lines).encode("utf-8")
        url = f"{self.endpoint}/api/models/{repo_id}/commit/{quote('main', safe='')}"
        headers = {**self._headers, "Content-Type": "application/x-ndjson"}
        params = {"create_pr": "1"} if create_pr else None
        response = self._send(
            "POST", url, content=body, headers=headers, params=params, timeout=COMMIT_TIMEOUT
        )
        hf_raise_for_status(response)
        data = response.json()
        return CommitOutcome(sha=data["commitOid"], url=data.get("commitUrl", ""),
                             pr_url=data.get("pullRequestUrl") if create_pr else None)  # fmt: skip

    def _create_commit(self, repo_id: str, files: dict[str, bytes], *, parent_commit: str, message: str,
                       description: str, create_pr: bool) -> CommitOutcome:  # fmt: skip
        """huggingface_hub's full commit path (preupload, LFS if the Hub asks), for files not fit to inline."""
        from huggingface_hub import CommitOperationAdd

        operations = [CommitOperationAdd(path, content) for path, content in sorted(files.items())]
        info = self.api.create_commit(repo_id, operations, commit_message=message, commit_description=description,
                                      parent_commit=parent_commit, create_pr=create_pr or None)  # fmt: skip
        return CommitOutcome(
            sha=info.oid, url=info.commit_url, pr_url=info.pr_url, noop=_all_unchanged(operations)
        )

    # ------------------------------------------------------------------------------------------------ PRs

    def find_open_pr(self, repo_id: str, files: dict[str, bytes], *, marker: str) -> str | None:
        """URL of an open PR whose title carries `marker` and whose files equal `files`, else None.

        PRs are found through the repo's refs (refs/pr/N, newest first); one counts when its discussion is
        open, its title carries `marker` (the caller's tool name), and the files read at refs/pr/N are
        byte-equal to `files`.
        """
        refs = self._call(
            f"list refs of {repo_id}", lambda: self.api.list_repo_refs(repo_id, include_pull_requests=True)
        )
        for ref in sorted(refs.pull_requests or [], key=lambda r: _pr_number(r.ref), reverse=True):
            number = _pr_number(ref.ref)
            details = self._call(
                f"PR #{number} of {repo_id}",
                functools.partial(self.api.get_discussion_details, repo_id, number),
            )
            if details.status != "open" or marker not in (details.title or ""):
                continue
            if all(self._read_at(repo_id, path, ref.ref) == content for path, content in files.items()):
                return f"{self.endpoint}/{repo_id}/discussions/{number}"
        return None

    def _read_at(self, repo_id: str, path: str, revision: str) -> bytes | None:
        return self._call(
            f"read {repo_id}/{path}@{revision}", lambda: self._get_file(repo_id, path, revision)
        )[0]


def next_page(links: dict[str, Any], endpoint: str) -> str | None:
    """The `Link: <...>; rel="next"` URL of a listing page, or None on the last page.

    Followed only on the endpoint itself: every page is fetched with the token, so a next link to another
    host (a misconfigured proxy, a hostile server) is refused rather than handed the token."""
    url = (links.get("next") or {}).get("url")
    if url is None:
        return None
    if not isinstance(url, str) or not url.startswith(endpoint.rstrip("/") + "/"):
        raise HubError(f"the listing's next page {str(url)[:200]!r} is not on {endpoint}: not followed")
    return url


def _json_answer(content: bytes, what: str) -> Any:
    """The Hub's JSON answer, refused when it is larger or deeper than any real one (a clear HubError)."""
    if len(content) > MAX_JSON_ANSWER:
        raise HubError(f"{what}: the answer is {len(content)} bytes, more than {MAX_JSON_ANSWER}; refused")
    try:
        return json.loads(content)
    except RecursionError:
        raise HubError(f"{what}: the answer is nested too deeply to be real; refused") from None
    except ValueError as exc:
        raise HubError(f"{what}: the answer is not JSON ({exc})") from None


def _listed(item: dict[str, Any], digest_of: Callable[[Any], str | None]) -> ListedRepo:
    """One listing entry (the JSON HfApi.list_models reads into a ModelInfo) as a ListedRepo."""
    siblings = item.get("siblings")
    files = (
        frozenset(
            s["rfilename"] for s in siblings if isinstance(s, dict) and isinstance(s.get("rfilename"), str)
        )
        if isinstance(siblings, list)
        else None
    )
    repo_id = item.get("id") or item.get("modelId")
    if not isinstance(repo_id, str):
        raise HubError(f"the Hub's listing has an entry without an id: {sorted(item)[:10]}")
    sha, private = item.get("sha"), item.get("private")
    return ListedRepo(repo_id, sha if isinstance(sha, str) else None, files,
                      private if isinstance(private, bool) else None, digest_of(item.get("cardData")))  # fmt: skip


def _inline_ok(content: bytes) -> bool:
    """Small UTF-8 text without NUL: what the Hub's preupload answers `regular` for, so it may go inline."""
    if len(content) > INLINE_LIMIT or b"\0" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _all_unchanged(operations: list[Any]) -> bool:
    """True when preupload found every file already on the Hub byte for byte (create_commit then skips the
    commit). huggingface_hub keeps the two oids on each operation; if that ever changes we assume a commit."""
    oids = [(getattr(op, "_remote_oid", None), getattr(op, "_local_oid", None)) for op in operations]
    return bool(oids) and all(remote is not None and remote == local for remote, local in oids)


def _pr_number(ref: str) -> int:
    tail = ref.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else -1
