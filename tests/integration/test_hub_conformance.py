"""The local hub answers as huggingface.co does where huggingface_hub's own suite found it differing (issue #11).

Each test drives the real client against the session hub; `make conformance` runs the full upstream suite.
"""

from __future__ import annotations

import json
import struct
import uuid

import pytest
from helpers import unique


@pytest.fixture
def repo(api) -> str:
    repo_id = unique("conf")
    api.create_repo(repo_id)
    return repo_id


@pytest.fixture
def other(hub):
    """A second user who can write only to its own namespace."""
    from huggingface_hub import HfApi

    token = f"hf_other_{uuid.uuid4().hex}"
    hub.server.add_user("other-user", token)
    return HfApi(endpoint=hub.url, token=token)


def test_missing_canonical_ids_are_repository_not_found_so_exists_checks_return_false(api):
    from huggingface_hub.errors import RepositoryNotFoundError

    assert api.repo_exists("no-such-canonical-model") is False
    assert api.file_exists("no-such-canonical-model", "config.json") is False
    assert api.revision_exists("no-such-canonical-model", "main") is False
    with pytest.raises(RepositoryNotFoundError):
        api.list_repo_commits("no-such-canonical-model")


def test_repo_ids_are_case_insensitive(api):
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = f"local/CaSe-{uuid.uuid4().hex[:8]}"
    api.create_repo(repo_id)
    api.create_commit(repo_id.lower(), [CommitOperationAdd("a.txt", b"a")], commit_message="lower-case id")
    assert "a.txt" in api.list_repo_files(repo_id.upper())
    with pytest.raises(HfHubHTTPError) as exc:
        api.create_repo(repo_id.lower())
    assert exc.value.response.status_code == 409


def test_card_with_string_datasets_is_accepted_like_on_the_hub(api, repo):
    from huggingface_hub import ModelCard

    ModelCard("---\nlicense: mit\ndatasets: glue\nmetrics: acc\n---\n# Card\n").push_to_hub(
        repo, token=api.token
    )
    assert api.model_info(repo).card_data["datasets"] == "glue"


def test_anyone_signed_in_may_open_a_pr_on_a_public_repo_but_not_push_to_main(api, repo, other):
    from huggingface_hub.errors import HfHubHTTPError

    info = other.upload_file(path_or_fileobj=b"x", path_in_repo="pr.txt", repo_id=repo, create_pr=True)
    assert info.pr_num == 1
    other.upload_file(path_or_fileobj=b"y", path_in_repo="pr2.txt", repo_id=repo, revision="refs/pr/1")
    with pytest.raises(HfHubHTTPError) as exc:
        other.upload_file(path_or_fileobj=b"x", path_in_repo="main.txt", repo_id=repo)
    assert exc.value.response.status_code == 403


def test_discussions_comments_status_and_pr_merge(api, repo, other):
    discussion = other.create_discussion(repo, title=" A question ")
    assert discussion.title == "A question" and not discussion.is_pull_request
    comment = api.comment_discussion(repo, discussion.num, "An answer")
    api.rename_discussion(repo, discussion.num, "Renamed")
    api.change_discussion_status(repo, discussion.num, "closed")
    details = api.get_discussion_details(repo, discussion.num)
    assert details.status == "closed" and details.title == "Renamed"
    assert comment.id in {e.id for e in details.events}
    pr = api.create_pull_request(repo, title="Add file")
    api.upload_file(path_or_fileobj=b"merged", path_in_repo="m.txt", repo_id=repo, revision=pr.git_reference)
    api.merge_pull_request(repo, pr.num)
    assert api.get_discussion_details(repo, pr.num).status == "merged"
    assert "m.txt" in api.list_repo_files(repo)
    assert [d.num for d in api.get_repo_discussions(repo, discussion_type="pull_request")] == [pr.num]


def test_expand_gives_last_commit_on_tree_and_paths_info(api, repo):
    first = api.upload_file(
        path_or_fileobj=b"1", path_in_repo="d/one.txt", repo_id=repo, commit_message="one"
    )
    api.upload_file(path_or_fileobj=b"2", path_in_repo="two.txt", repo_id=repo, commit_message="two")
    (one,) = api.get_paths_info(repo, ["d/one.txt"], expand=True)
    assert one.last_commit.oid == first.oid and one.last_commit.title == "one"
    tree = {e.path: e for e in api.list_repo_tree(repo, expand=True)}
    assert tree["two.txt"].last_commit.title == "two" and tree["d"].last_commit.title == "one"


def test_gitignore_on_the_repo_makes_the_client_skip_ignored_files(api, repo, tmp_path):
    api.upload_file(path_or_fileobj=b"*.log\n", path_in_repo=".gitignore", repo_id=repo)
    (tmp_path / "keep.txt").write_text("keep")
    (tmp_path / "debug.log").write_text("skip")
    api.upload_folder(folder_path=tmp_path, repo_id=repo)
    files = api.list_repo_files(repo)
    assert "keep.txt" in files and "debug.log" not in files


def test_deleting_a_folder_named_without_trailing_slash(api, repo):
    from huggingface_hub import CommitOperationDelete

    api.upload_file(path_or_fileobj=b"x", path_in_repo="folder/x.txt", repo_id=repo)
    api.create_commit(repo, [CommitOperationDelete("folder")], commit_message="delete folder")
    assert not any(f.startswith("folder/") for f in api.list_repo_files(repo))


def test_pr_against_a_commit_id_and_bad_tag_names_are_refused(api, repo):
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.errors import HfHubHTTPError, RevisionNotFoundError

    head = api.model_info(repo).sha
    with pytest.raises(RevisionNotFoundError):
        api.create_commit(
            repo, [CommitOperationAdd("f", b"f")], commit_message="pr", revision=head, create_pr=True
        )
    for bad in ("invalid tag", "v1..2"):
        with pytest.raises(HfHubHTTPError):
            api.create_tag(repo, tag=bad)


def test_model_info_reports_safetensors_config_and_transformers_info(api, repo):
    header = json.dumps({"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}}).encode()
    weights = struct.pack("<Q", len(header)) + header + b"\0" * 48
    config = json.dumps({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}).encode()
    api.upload_file(path_or_fileobj=weights, path_in_repo="model.safetensors", repo_id=repo)
    api.upload_file(path_or_fileobj=config, path_in_repo="config.json", repo_id=repo)
    info = api.model_info(repo, expand=["safetensors", "config", "transformersInfo"])
    assert info.safetensors.total == 12 and info.safetensors.parameters == {"F32": 12}
    assert info.config["model_type"] == "gpt2"
    assert info.transformers_info.auto_model == "AutoModelForCausalLM"


def test_move_repo_and_downloads_from_the_old_id_follow_the_redirect(api, repo):
    api.upload_file(path_or_fileobj=b"content", path_in_repo="file.txt", repo_id=repo)
    api.move_repo(repo, repo + "-renamed")
    assert api.model_info(repo + "-renamed").id == repo + "-renamed"
    with open(api.hf_hub_download(repo, "file.txt")) as fh:
        assert fh.read() == "content"


def test_request_id_auth_check_and_invalid_paths(api, repo):
    from huggingface_hub import get_session
    from huggingface_hub.errors import HfHubHTTPError

    response = get_session().get(f"{api.endpoint}/api/models/{repo}", headers={"X-Request-Id": "my-id"})
    assert response.headers["X-Request-Id"] == "my-id"
    api.auth_check(repo)
    with pytest.raises(HfHubHTTPError) as exc:
        api.upload_file(path_or_fileobj=b"x", path_in_repo="..\\ddd", repo_id=repo)
    assert exc.value.response.status_code == 422
    api.upload_file(path_or_fileobj=b"x", path_in_repo="dir/back\\slash", repo_id=repo)
    assert "dir/back\\slash" in api.list_repo_files(repo)


def test_commit_titles_are_formatted_only_when_asked(api, repo):
    assert all(c.formatted_title is None for c in api.list_repo_commits(repo))
    assert all(c.formatted_title is not None for c in api.list_repo_commits(repo, formatted=True))


def test_gated_settings_unknown_settings_and_unknown_expand_are_answered_as_on_the_hub(api, repo, other):
    from huggingface_hub import get_session
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError

    api.update_repo_settings(repo, gated="auto")
    assert api.model_info(repo).gated == "auto"
    with pytest.raises(GatedRepoError):
        other.hf_hub_download(repo, ".gitattributes")
    response = get_session().put(
        f"{api.endpoint}/api/models/{repo}/settings",
        json={"colour": "red"},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 400
    with pytest.raises(HfHubHTTPError) as exc:
        api.model_info(repo, expand=["notAField"])
    assert exc.value.response.status_code == 400


def test_list_user_repos_shows_the_namespace_repositories_with_storage(api, repo):
    api.upload_file(path_or_fileobj=b"12345", path_in_repo="five.txt", repo_id=repo)
    rows = {r.id: r for r in api.list_user_repos()}
    assert rows[repo].type == "model" and rows[repo].visibility == "public" and rows[repo].storage > 5
