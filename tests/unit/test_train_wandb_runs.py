"""The one "is W&B online?" rule: prepare/train log their runs in the mode publish trusts when it syncs and
back-links. (Before, publish had its own rule, which also read ~/.netrc and could disagree with train's.)"""

from __future__ import annotations

import sys

import pytest

from publisher.card.manifest import card_from_dict
from publisher.settings import Settings
from publisher.training.wandb_runs import is_online, wandb_mode

KEY = "k" * 40


class _RefusingWandb:
    """Stands in for wandb: the back-link got as far as asking W&B (which does not exist offline)."""

    class Settings(dict):
        pass

    @staticmethod
    def init(**_kw):
        raise RuntimeError("would contact W&B")


def _backlink(settings: Settings) -> str:
    from publisher.publish.plan import PreparedRun
    from publisher.publish.run import record_wandb_backlink

    card = card_from_dict(
        {
            "users": [{"handle": "demo", "name": "D"}],
            "wandb": {"entity": "e", "project": "p", "train_run": "r1"},
        }
    )
    prepared = PreparedRun(run_dir=None, repo_id="huggingtweets/demo", card=card, readme="", files=[])
    return record_wandb_backlink(prepared, "http://127.0.0.1:1", "c" * 40, settings)


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, "offline"),
        ({"WANDB_API_KEY": KEY}, "online"),
        ({"WANDB_MODE": "online"}, "online"),  # said so: tried (and falls back with a warning without a key)
        ({"WANDB_MODE": " Online "}, "online"),
        ({"WANDB_MODE": "offline", "WANDB_API_KEY": KEY}, "offline"),
        ({"WANDB_MODE": "dryrun", "WANDB_API_KEY": KEY}, "offline"),
        ({"WANDB_MODE": "disabled", "WANDB_API_KEY": KEY}, "disabled"),
    ],
)
def test_runs_are_logged_in_the_mode_publish_trusts_for_its_back_link(env, mode, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", _RefusingWandb)
    settings = Settings.from_env(env)
    assert wandb_mode(settings) == mode
    assert is_online(settings) == (mode == "online")
    outcome = _backlink(settings)
    if mode == "online":
        assert outcome == "failed: RuntimeError"  # it went to W&B
    else:
        assert outcome == "skipped: W&B is offline"


def test_a_netrc_login_alone_does_not_switch_w_and_b_online(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", _RefusingWandb)
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine api.wandb.ai\n  login user\n  password " + KEY + "\n")
    settings = Settings.from_env({"NETRC": str(netrc), "HOME": str(tmp_path)})
    assert wandb_mode(settings) == "offline" and not is_online(settings)
    assert _backlink(settings) == "skipped: W&B is offline"


def test_settings_keep_whether_a_key_is_set_never_the_key():
    settings = Settings.from_env({"WANDB_API_KEY": KEY})
    assert settings.wandb_api_key_set and KEY not in repr(settings)
