"""The local hub's listing and commit history, paged from an index: every repo once, fresh after writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.fixture
def api(hub_clean):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub_clean.url, token=hub_clean.token)


def _make(api, repo_ids: list[str]) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda r: api.create_repo(r, exist_ok=True), repo_ids))


def test_pages_list_every_repo_of_the_author_once_in_order(hub_clean, api):
    ids = [f"list-org/m{i:03d}" for i in range(23)]
    _make(api, ids + ["list-other/m000"])
    hub_clean.server.page_size = 5
    try:
        hub_clean.server.clear_requests()
        listed = [m.id for m in api.list_models(author="list-org")]
    finally:
        hub_clean.server.page_size = 1000
    assert listed == sorted(ids)
    assert len([e for e in hub_clean.server.requests if e["route"] == "list"]) == 5  # no empty last page


def test_a_repo_created_or_deleted_shows_in_the_next_listing(api):
    _make(api, ["list-fresh/a", "list-fresh/b"])
    assert [m.id for m in api.list_models(author="list-fresh")] == ["list-fresh/a", "list-fresh/b"]
    api.create_repo("list-fresh/c")
    api.delete_repo("list-fresh/a")
    assert [m.id for m in api.list_models(author="list-fresh")] == ["list-fresh/b", "list-fresh/c"]


def test_private_repos_are_listed_only_for_those_who_may_write_them(hub_clean, api):
    from huggingface_hub import HfApi

    api.create_repo("list-priv/hidden", private=True)
    api.create_repo("list-priv/shown")
    hub_clean.server.add_user("list-reader", "hf_listreadertoken0000001", [])
    reader = HfApi(endpoint=hub_clean.url, token="hf_listreadertoken0000001")
    assert [m.id for m in reader.list_models(author="list-priv")] == ["list-priv/shown"]
    assert [m.id for m in api.list_models(author="list-priv")] == ["list-priv/hidden", "list-priv/shown"]


def test_expand_returns_the_sha_and_siblings_asked_for(api):
    api.create_repo("list-expand/one")
    api.upload_file(path_or_fileobj=b"{}", path_in_repo="card.json", repo_id="list-expand/one")
    (model,) = api.list_models(author="list-expand", expand=["sha", "siblings"])
    assert model.sha == api.model_info("list-expand/one").sha
    assert {s.rfilename for s in model.siblings} == {".gitattributes", "card.json"}


def test_commit_history_pages_follow_the_first_parent_chain(hub_clean, api):
    api.create_repo("list-hist/long")
    for n in range(7):
        api.upload_file(path_or_fileobj=str(n).encode(), path_in_repo="n.txt", repo_id="list-hist/long",
                        commit_message=f"c{n}")  # fmt: skip
    hub_clean.server.page_size = 3
    try:
        titles = [c.title for c in api.list_repo_commits("list-hist/long")]
    finally:
        hub_clean.server.page_size = 1000
    assert titles == [f"c{n}" for n in reversed(range(7))] + ["initial commit"]
