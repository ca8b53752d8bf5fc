"""Tokens, namespaces and private repos on the local hub, seen through the real client."""

from __future__ import annotations

import uuid

import pytest

from publisher.localhub import DEFAULT_LOCAL_TOKEN, DEFAULT_LOCAL_USER, HubServer
from publisher.localhub.auth import load_auth_file, parse_token_flag

BOB_TOKEN = "hf_bobsecrettoken123"


@pytest.fixture(scope="module")
def bob(hub):
    hub.server.add_user("bob", BOB_TOKEN, ["bobs-org"])
    return BOB_TOKEN


def _api(hub, token):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=token)


@pytest.fixture
def private_repo(hub) -> str:
    repo_id = f"local/secret-{uuid.uuid4().hex[:8]}"
    api = _api(hub, hub.token)
    api.create_repo(repo_id, private=True)
    api.upload_file(path_or_fileobj=b"secret", path_in_repo="s.txt", repo_id=repo_id)
    return repo_id


def test_default_user_may_write_anywhere_and_whoami_names_it(hub):
    api = _api(hub, hub.token)
    assert hub.token == DEFAULT_LOCAL_TOKEN
    assert api.whoami()["name"] == DEFAULT_LOCAL_USER
    api.create_repo(f"any-org-{uuid.uuid4().hex[:6]}/model")


@pytest.mark.parametrize(
    "token", [None, "hf_publicanonymous", BOB_TOKEN], ids=["anonymous", "unknown", "other-user"]
)
def test_private_repo_is_invisible_to_everyone_else(hub, bob, private_repo, token, tmp_path):
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    if token == "hf_publicanonymous":
        with pytest.raises(HfHubHTTPError) as exc:
            _api(hub, token).model_info(private_repo)
        assert exc.value.response.status_code == 401
        return
    api = _api(hub, token if token else False)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(private_repo)
    with pytest.raises(RepositoryNotFoundError):
        list(api.list_repo_tree(private_repo))
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(private_repo, "s.txt", endpoint=hub.url, token=token or False, cache_dir=tmp_path)
    assert private_repo not in {m.id for m in api.list_models(author="local")}


def test_owner_sees_the_private_repo_and_can_make_it_public(hub, private_repo):
    owner = _api(hub, hub.token)
    assert owner.model_info(private_repo).private is True
    assert private_repo in {m.id for m in owner.list_models(author="local")}
    owner.update_repo_settings(private_repo, private=False)
    assert _api(hub, False).model_info(private_repo).private is False


def test_bad_token_gets_401(hub):
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as exc:
        _api(hub, "hf_notarealtoken").whoami()
    assert exc.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError) as exc:
        _api(hub, "hf_notarealtoken").create_repo("local/nope")
    assert exc.value.response.status_code == 401
    assert "hf_notarealtoken" not in str(exc.value)


def test_writing_without_a_token_gets_401(hub):
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as exc:
        _api(hub, False).create_repo("local/anonymous-write")
    assert exc.value.response.status_code == 401


def test_foreign_namespace_gets_403_but_own_namespace_and_orgs_work(hub, bob):
    from huggingface_hub.errors import HfHubHTTPError

    api = _api(hub, bob)
    with pytest.raises(HfHubHTTPError) as exc:
        api.create_repo(f"local/bob-was-here-{uuid.uuid4().hex[:6]}")
    assert exc.value.response.status_code == 403
    public = f"local/public-{uuid.uuid4().hex[:6]}"
    _api(hub, hub.token).create_repo(public)
    with pytest.raises(HfHubHTTPError) as exc:
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=public)
    assert exc.value.response.status_code == 403
    assert api.model_info(public).id == public, "public repos stay readable"
    for namespace in ("bob", "bobs-org"):
        repo_id = f"{namespace}/m-{uuid.uuid4().hex[:6]}"
        api.create_repo(repo_id)
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    assert {o["name"] for o in api.whoami()["orgs"]} == {"bobs-org"}


def test_configured_users_replace_the_default_user(tmp_path):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    with HubServer(tmp_path, users=[{"name": "ann", "token": "hf_anntoken1234", "orgs": []}]) as server:
        with pytest.raises(HfHubHTTPError) as exc:
            HfApi(endpoint=server.url, token=DEFAULT_LOCAL_TOKEN).whoami()
        assert exc.value.response.status_code == 401
        assert HfApi(endpoint=server.url, token="hf_anntoken1234").whoami()["name"] == "ann"


def test_auth_file_and_token_flag_parsing(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text("users:\n  - name: ann\n    token: hf_ann\n    orgs: [team]\n")
    assert load_auth_file(path) == [{"name": "ann", "token": "hf_ann", "orgs": ["team"]}]
    assert parse_token_flag("bob:hf_bob:a,b") == {"name": "bob", "token": "hf_bob", "orgs": ["a", "b"]}
    with pytest.raises(ValueError, match="NAME:TOKEN"):
        parse_token_flag("justaname")
    path.write_text('{"users": [{"name": "x"}]}')
    with pytest.raises(ValueError, match="token"):
        load_auth_file(path)
