"""Unit tests of publisher.hubclient's pure parts: token lookup, target resolution, retries, error mapping."""

from __future__ import annotations

import httpx2
import pytest
from huggingface_hub.utils import hf_raise_for_status

from publisher.errors import AuthError, BadInputError, HubError
from publisher.hubclient import errors, ops, retry
from publisher.hubclient import target as hubtarget
from publisher.output import redact

FAKE = "hf_FakeTokenForTests1234567890"


def hub_error(status: int, headers: dict[str, str] | None = None, body: dict | None = None) -> Exception:
    """The exception huggingface_hub itself raises for such a response."""
    request = httpx2.Request("POST", "http://127.0.0.1:1/api/models/ns/m/commit/main")
    response = httpx2.Response(
        status, headers=headers or {}, json=body or {"error": f"boom {status}"}, request=request
    )
    try:
        hf_raise_for_status(response)
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("no error raised")


def test_token_from_hf_token_env_is_found_and_registered_for_redaction(tmp_path):
    token, source = hubtarget.find_token({"HF_TOKEN": FAKE, "HF_HOME": str(tmp_path)})
    assert (token, source) == (FAKE, "HF_TOKEN")
    assert FAKE not in redact(f"token is {FAKE}")


def test_token_from_login_file_when_env_is_empty(tmp_path):
    (tmp_path / "token").write_text("hf_LoginFileToken99999\n")
    assert hubtarget.find_token({"HF_HOME": str(tmp_path)}) == ("hf_LoginFileToken99999", "login")


def test_no_token_anywhere(tmp_path):
    assert hubtarget.find_token({"HF_HOME": str(tmp_path)}) == (None, None)


def test_auto_without_token_falls_back_to_local_hub_with_notice(tmp_path):
    target = hubtarget.resolve_target("auto", hub_root=tmp_path / ".hub", env={"HF_HOME": str(tmp_path)})
    assert target.is_local and target.token == hubtarget.LOCAL_HUB_TOKEN
    assert "local hub" in target.notice and "HF_TOKEN" in target.notice


def test_auto_with_token_targets_hf_endpoint(tmp_path):
    env = {"HF_TOKEN": FAKE, "HF_HOME": str(tmp_path), "HF_ENDPOINT": "http://127.0.0.1:9/"}
    target = hubtarget.resolve_target("auto", env=env)
    assert (target.kind, target.endpoint, target.token) == ("hf", "http://127.0.0.1:9", FAKE)
    assert FAKE not in repr(target)


def test_auto_in_ci_without_token_is_an_auth_error(tmp_path):
    with pytest.raises(AuthError, match="CI"):
        hubtarget.resolve_target("auto", env={"CI": "true", "HF_HOME": str(tmp_path)})


@pytest.mark.parametrize("hub", ["hf", "https://hub.example.org"])
def test_explicit_remote_without_token_is_an_auth_error(tmp_path, hub):
    with pytest.raises(AuthError) as info:
        hubtarget.resolve_target(hub, env={"HF_HOME": str(tmp_path)})
    assert info.value.exit_code == 2


def test_unknown_hub_value_is_bad_input(tmp_path):
    with pytest.raises(BadInputError):
        hubtarget.resolve_target("ftp://x", env={"HF_HOME": str(tmp_path), "HF_TOKEN": FAKE})


def test_child_env_carries_endpoint_and_token_and_disables_xet_for_loopback():
    target = hubtarget.HubTarget("url", "http://127.0.0.1:5", FAKE, "HF_TOKEN")
    env = target.child_env({"HF_HUB_OFFLINE": "1"}, hf_home="/tmp/x")
    assert env["HF_ENDPOINT"] == "http://127.0.0.1:5" and env["HF_TOKEN"] == FAKE
    assert env["HF_HUB_DISABLE_XET"] == "1" and env["HF_HOME"] == "/tmp/x" and "HF_HUB_OFFLINE" not in env


def test_retry_after_header_sets_the_wait():
    assert retry.retry_delay(hub_error(429, {"Retry-After": "3"}), 1) == 3.5


def test_retry_after_as_an_http_date_sets_the_wait_and_an_unreadable_one_falls_back_to_the_backoff():
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert retry.retry_delay(hub_error(429, {"Retry-After": past}), 1) == 0.5  # the reset is already here
    assert retry.retry_after_seconds({"retry-after": past}, now=1445412480.0 - 10) == pytest.approx(10.0)
    assert retry.retry_delay(hub_error(503, {"Retry-After": "soon"}), 1) == 1


def test_ratelimit_header_sets_the_wait():
    assert retry.retry_after_seconds({"ratelimit": '"api";r=0;t=7'}) == 7.0
    assert retry.retry_after_seconds({"ratelimit": '"api";r=5;t=7'}) is None


def test_5xx_backs_off_exponentially_and_gives_up_after_the_last_attempt():
    exc = hub_error(503)
    policy = retry.RetryPolicy(attempts=4, base_wait=1, max_wait=3)
    assert [retry.retry_delay(exc, n, policy) for n in (1, 2, 3, 4)] == [1, 2, 3, None]


def test_client_errors_are_not_retried():
    for status in (400, 401, 403, 404, 409, 412):
        assert retry.retry_delay(hub_error(status), 1) is None


def test_dropped_connection_is_retried():
    assert retry.retry_delay(httpx2.RemoteProtocolError("Server disconnected"), 1) == 1


def test_call_with_retries_succeeds_after_transient_failures():
    failures = [hub_error(503), httpx2.ReadError("reset"), hub_error(429, {"Retry-After": "0"})]
    waits: list[float] = []

    def flaky() -> str:
        if failures:
            raise failures.pop(0)
        return "ok"

    assert retry.call_with_retries("commit", flaky, sleep=waits.append) == "ok"
    base = retry.retry_policy_from_env().base_wait  # 1 s by default; shorter under test (conftest)
    assert waits == [base, 2 * base, 0.5]  # backoff doubles; a 429's Retry-After (+0.5 s) is obeyed


def test_call_with_retries_maps_final_error_with_hub_message():
    def always_409() -> None:
        raise hub_error(409, body={"error": "You already created this model repo"})

    with pytest.raises(HubError) as info:
        retry.call_with_retries("create repo", always_409, sleep=lambda s: None)
    assert info.value.status == 409 and info.value.exit_code == 1
    assert "You already created this model repo" in str(info.value)


def test_401_and_403_map_to_auth_errors_exit_2():
    for status in (401, 403):
        mapped = errors.map_hub_error(hub_error(status, body={"error": "Invalid credentials"}), "whoami")
        assert isinstance(mapped, AuthError) and mapped.exit_code == 2
        assert "Invalid credentials" in str(mapped)


def test_writable_namespaces_lists_user_and_orgs():
    identity = {"name": "alice", "orgs": [{"name": "huggingtweets"}, {"name": "acme"}]}
    assert ops.writable_namespaces(identity) == ["alice", "huggingtweets", "acme"]


def test_auto_without_token_but_with_hf_endpoint_is_an_auth_error_naming_both_ways_out(tmp_path):
    env = {"HF_HOME": str(tmp_path), "HF_ENDPOINT": "https://hub.example.org/"}
    with pytest.raises(AuthError) as caught:
        hubtarget.resolve_target("auto", hub_root=tmp_path / ".hub", env=env)
    assert "HF_ENDPOINT is https://hub.example.org but no Hugging Face token" in caught.value.message
    assert "HF_TOKEN" in caught.value.hint and "--hub local" in caught.value.hint
    assert hubtarget.resolve_target("local", hub_root=tmp_path / ".hub", env=env).is_local
