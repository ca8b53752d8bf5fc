"""Refs, PRs, commits, deletes, listings, validation and error mapping, through the real huggingface_hub client."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from helpers import unique


@pytest.fixture
def repo(api) -> str:
    """A fresh repo with two small files on main."""
    repo_id = unique("api")
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"hello\n", path_in_repo="a.txt", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"nested\n", path_in_repo="dir/sub/b.txt", repo_id=repo_id)
    return repo_id


def test_new_repo_has_an_initial_commit_and_create_is_idempotent_with_exist_ok(api):
    repo_id = unique("new")
    url = api.create_repo(repo_id)
    assert str(url).endswith(repo_id)
    assert len(api.model_info(repo_id).sha) == 40
    assert api.list_repo_files(repo_id) == [".gitattributes"]
    assert str(api.create_repo(repo_id, exist_ok=True)).endswith(repo_id)
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as exc:
        api.create_repo(repo_id)
    assert exc.value.response.status_code == 409


def test_tags_and_branches_are_created_listed_and_deleted(api, repo):
    api.create_tag(repo, tag="v1", tag_message="first")
    api.create_branch(repo, branch="feature/x")
    api.upload_file(
        path_or_fileobj=b"only on the branch", path_in_repo="branch.txt", repo_id=repo, revision="feature/x"
    )
    refs = api.list_repo_refs(repo)
    assert {b.name for b in refs.branches} == {"main", "feature/x"}
    assert [t.name for t in refs.tags] == ["v1"]
    assert "branch.txt" in api.list_repo_files(repo, revision="feature/x")
    assert "branch.txt" not in api.list_repo_files(repo)
    assert api.model_info(repo, revision="v1").sha == api.model_info(repo).sha
    api.create_tag(repo, tag="v1", exist_ok=True)
    api.delete_tag(repo, tag="v1")
    api.delete_branch(repo, branch="feature/x")
    refs = api.list_repo_refs(repo)
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []


def test_pull_request_creation_and_commits_to_the_pr(api, repo, hub):
    from huggingface_hub import hf_hub_download

    first = api.upload_file(path_or_fileobj=b"v2", path_in_repo="a.txt", repo_id=repo, create_pr=True)
    assert first.pr_revision == "refs/pr/1" and first.pr_num == 1
    api.upload_file(path_or_fileobj=b"more", path_in_repo="pr.txt", repo_id=repo, revision="refs/pr/1")
    refs = api.list_repo_refs(repo, include_pull_requests=True)
    assert [p.ref for p in refs.pull_requests] == ["refs/pr/1"]
    path = hf_hub_download(repo, "pr.txt", revision="refs/pr/1", endpoint=hub.url, token=hub.token)
    assert Path(path).read_bytes() == b"more"
    assert "pr.txt" not in api.list_repo_files(repo)


def test_stale_parent_commit_is_refused_with_412(api, repo):
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.errors import HfHubHTTPError

    old = api.model_info(repo).sha
    api.upload_file(path_or_fileobj=b"moves main", path_in_repo="c.txt", repo_id=repo)
    with pytest.raises(HfHubHTTPError) as exc:
        api.create_commit(repo, [CommitOperationAdd("d.txt", b"x")], commit_message="late", parent_commit=old)
    assert exc.value.response.status_code == 412
    current = api.model_info(repo).sha
    done = api.create_commit(
        repo, [CommitOperationAdd("d.txt", b"x")], commit_message="ok", parent_commit=current
    )
    assert api.list_repo_commits(repo)[0].commit_id == done.oid


def test_delete_file_folder_and_repo(api, repo):
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError

    api.delete_file("a.txt", repo)
    api.delete_folder("dir", repo)
    assert api.list_repo_files(repo) == [".gitattributes"]
    with pytest.raises(EntryNotFoundError):
        api.delete_file("a.txt", repo)
    api.delete_repo(repo)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(repo)


def test_client_raises_the_hub_error_classes(api, repo, hub, tmp_path):
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    with pytest.raises(RepositoryNotFoundError):
        api.model_info("local/does-not-exist")
    with pytest.raises(RevisionNotFoundError):
        api.model_info(repo, revision="no-such-branch")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo, "missing.txt", endpoint=hub.url, cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(repo, "a.txt", revision="nope", endpoint=hub.url, cache_dir=tmp_path)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("local/does-not-exist", "a.txt", endpoint=hub.url, cache_dir=tmp_path)
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(repo, path_in_repo="no/such/dir"))


def test_tree_lists_directories_and_paginates_with_link_headers(api, repo, hub):
    hub.server.page_size = 2
    try:
        top = {(e.path, type(e).__name__) for e in api.list_repo_tree(repo)}
        assert top == {(".gitattributes", "RepoFile"), ("a.txt", "RepoFile"), ("dir", "RepoFolder")}
        everything = [e.path for e in api.list_repo_tree(repo, recursive=True)]
        assert sorted(everything) == [".gitattributes", "a.txt", "dir", "dir/sub", "dir/sub/b.txt"]
        sub = [e.path for e in api.list_repo_tree(repo, path_in_repo="dir/sub")]
        assert sub == ["dir/sub/b.txt"]
    finally:
        hub.server.page_size = 1000


def test_paths_info_returns_only_existing_paths(api, repo):
    found = api.get_paths_info(repo, ["a.txt", "dir", "missing.txt"])
    assert sorted((e.path, type(e).__name__) for e in found) == [("a.txt", "RepoFile"), ("dir", "RepoFolder")]


def test_list_models_filters_by_author_and_search_across_pages(api, hub):
    org = f"org{uuid.uuid4().hex[:6]}"
    for name in ("alpha-one", "alpha-two", "beta"):
        api.create_repo(f"{org}/{name}")
    hub.server.page_size = 1
    try:
        assert sorted(m.id for m in api.list_models(author=org)) == [
            f"{org}/alpha-one",
            f"{org}/alpha-two",
            f"{org}/beta",
        ]
        assert sorted(m.id for m in api.list_models(author=org, search="alpha")) == [
            f"{org}/alpha-one",
            f"{org}/alpha-two",
        ]
        assert len(list(api.list_models(author=org, limit=2))) == 2
        api.upload_file(
            path_or_fileobj=b"---\ntags:\n- huggingtweets\n---\n",
            path_in_repo="README.md",
            repo_id=f"{org}/beta",
        )
        assert [m.id for m in api.list_models(author=org, filter="huggingtweets")] == [f"{org}/beta"]
    finally:
        hub.server.page_size = 1000


def test_list_repo_commits_is_newest_first_with_titles(api, repo):
    commits = api.list_repo_commits(repo)
    assert [c.title for c in commits][-1] == "initial commit"
    assert len(commits) == 3 and all(len(c.commit_id) == 40 for c in commits)


def test_validate_yaml_accepts_a_good_card_and_rejects_broken_front_matter(hub):
    from huggingface_hub import ModelCard

    ModelCard("---\nlicense: mit\n---\n# ok\n").validate()
    with pytest.raises(ValueError, match="not-a-license"):
        ModelCard("---\nlicense: not-a-license\n---\n# bad\n").validate()


def test_upload_with_invalid_readme_metadata_is_refused(api, repo):
    with pytest.raises(ValueError, match="Invalid metadata"):
        api.upload_file(
            path_or_fileobj=b"---\nlicense: not-a-license\n---\n", path_in_repo="README.md", repo_id=repo
        )


def test_metadata_update_creates_then_edits_the_card(hub, repo):
    from huggingface_hub import ModelCard, metadata_update

    metadata_update(repo, {"license": "mit"}, token=hub.token)
    metadata_update(repo, {"tags": ["x"]}, token=hub.token)
    card = ModelCard.load(repo)
    assert card.data.license == "mit" and card.data.tags == ["x"]


def test_download_resumes_with_range_requests(hub, repo):
    import httpx2

    url = f"{hub.url}/{repo}/resolve/main/a.txt"
    partial = httpx2.get(url, headers={"Range": "bytes=2-"})
    assert partial.status_code == 206 and partial.content == b"llo\n"
    assert partial.headers["Content-Range"] == "bytes 2-5/6"
    head = httpx2.head(url)
    assert len(head.headers["X-Repo-Commit"]) == 40 and head.headers["ETag"]
