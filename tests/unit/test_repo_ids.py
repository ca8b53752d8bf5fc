"""The one repo-id rule agrees with huggingface_hub's own `validate_repo_id` on every name we can generate."""

from __future__ import annotations

import itertools
import random

import pytest
from huggingface_hub.utils import HFValidationError, validate_repo_id

from publisher.naming import RepoIdError, check_namespace, check_repo_id, is_repo_id

# every character class the rule distinguishes: word chars, the two allowed punctuations, the separator, and
# characters the Hub refuses (space, non-ASCII word character, other punctuation, control character)
ALPHABET = "a_Z9-./ é@\n"
EDGE_PIECES = ["a", "_", "-", ".", "--", "..", ".git", "/", "x" * 95, "é", "A1", "__"]


def _hub_accepts(repo_id: str) -> bool:
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return False
    return True


def _generated_ids() -> list[str]:
    short = ["".join(p) for n in range(1, 5) for p in itertools.product(ALPHABET, repeat=n)]
    rng = random.Random(20261201)
    pieces = [rng.choice(EDGE_PIECES + list(ALPHABET)) for _ in range(40_000)]
    combined = ["".join(pieces[i : i + rng.randint(1, 6)]) for i in range(0, len(pieces) - 6, 3)]
    lengths = [f"{'n' * a}/{'m' * b}" for a in (1, 95, 96, 97) for b in (1, 95, 96, 97)]
    return short + combined + lengths


def test_the_rule_agrees_with_validate_repo_id_on_every_generated_name() -> None:
    """Bare names (namespace optional) are where huggingface_hub's validator applies as is."""
    disagreements = [
        (repo_id, _hub_accepts(repo_id))
        for repo_id in _generated_ids()
        if is_repo_id(repo_id, namespace_required=False) != _hub_accepts(repo_id)
    ]
    assert disagreements == []


def test_a_full_repo_id_is_what_validate_repo_id_accepts_with_exactly_one_slash() -> None:
    for repo_id in _generated_ids():
        assert is_repo_id(repo_id) == (_hub_accepts(repo_id) and repo_id.count("/") == 1), repo_id


@pytest.mark.parametrize(
    "repo_id",
    [
        "huggingtweets/_mohamads",
        "huggingtweets/__frye",
        "huggingtweets/_is_is_are-newscollected",
        "_org/_",
        "huggingtweets/elonmusk",
        "openai-community/gpt2",
        "a.b_c-d/E.F_G-H",
        "n" * 96 + "/" + "m" * 96,
    ],
)
def test_real_and_edge_repo_ids_are_accepted(repo_id: str) -> None:
    assert check_repo_id(repo_id) == repo_id
    assert _hub_accepts(repo_id)


@pytest.mark.parametrize(
    "repo_id",
    [
        "huggingtweets/a--b",
        "huggingtweets/a..b",
        "huggingtweets/-a",
        "huggingtweets/.a",
        "huggingtweets/a-",
        "huggingtweets/a.",
        "huggingtweets/a.git",
        "huggingtweets/" + "m" * 97,
        "a/b/c",
        "huggingtweets/",
        "/name",
        "..%2F..%2Foutside/x",
        "../x",
        "huggingtweets/caf\u00e9",
        "huggingtweets/a b",
        "huggingtweets/a\nb",
        "huggingtweets/a\x00",
        "",
    ],
)
def test_names_the_hub_refuses_are_refused_with_the_reason(repo_id: str) -> None:
    with pytest.raises(RepoIdError, match="repo|namespace"):
        check_repo_id(repo_id)
    assert not (_hub_accepts(repo_id) and repo_id.count("/") == 1)


def test_a_bare_name_is_refused_where_a_namespace_is_required() -> None:
    with pytest.raises(RepoIdError, match="namespace/name"):
        check_repo_id("gpt2")
    assert check_repo_id("gpt2", namespace_required=False) == "gpt2"


def test_namespaces_follow_the_same_rule_including_a_leading_underscore() -> None:
    assert check_namespace("_private_org") == "_private_org"
    for bad in ("-org", "org-", "a--b", "a/b", "", "x" * 97):
        with pytest.raises(RepoIdError, match="namespace"):
            check_namespace(bad)
