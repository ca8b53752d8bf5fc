"""Where `publisher train --base-model X` comes from, decided with one quick request before any download.

`from_pretrained` on a Hub id that cannot be fetched retries for about a minute and then blames the network,
whether the machine is offline or the id is misspelt. One `model_info` call with a short timeout tells the
cases apart first: the model exists (load it), the Hub says there is no such model (exit 2, with a
did-you-mean for `tiny`), or the Hub cannot be reached (exit 1; a copy already in the local cache is used
instead). Every message says what to do: `--base-model tiny`, a local folder, or `HF_ENDPOINT`.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from publisher.errors import BadInputError, HubError
from publisher.hubclient.errors import hub_message, is_connection_error, status_of

# seconds for the one look-up: a reachable Hub answers model_info in well under a second
LOOKUP_TIMEOUT = 10.0
TINY = "tiny"
WHAT_TO_DO = (
    "use --base-model tiny (no download), a local folder with a saved model, or point HF_ENDPOINT "
    "at a reachable Hub"
)


def looks_like_a_path(name: str) -> bool:
    """A Hub id is `name` or `namespace/name`; anything with more slashes or a leading . / ~ is a folder."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name


def resolve(base_model: str) -> tuple[str, bool]:
    """(what to pass to from_pretrained, local_files_only) for a Hub id or a local folder.

    Raises BadInputError for a missing folder or a model the Hub does not have, HubError when the Hub
    cannot be reached and the model is not in the local cache.
    """
    if Path(base_model).expanduser().exists():
        return str(Path(base_model).expanduser()), True
    if looks_like_a_path(base_model):
        raise BadInputError(f"--base-model {base_model}: no such folder", hint=WHAT_TO_DO)
    from huggingface_hub import HfApi, constants

    endpoint = constants.ENDPOINT
    try:
        HfApi().model_info(base_model, timeout=LOOKUP_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - sorted into "not there" / "cannot reach" below
        return _after_failed_lookup(base_model, endpoint, exc)
    return base_model, False


def _after_failed_lookup(base_model: str, endpoint: str, exc: Exception) -> tuple[str, bool]:
    from huggingface_hub.errors import GatedRepoError, HFValidationError, RepositoryNotFoundError

    status = status_of(exc)
    if isinstance(exc, GatedRepoError):
        raise BadInputError(
            f"--base-model {base_model}: gated on {endpoint}",
            hint="accept its terms on the model page and set HF_TOKEN",
        ) from None
    if isinstance(exc, (RepositoryNotFoundError, HFValidationError)) or status == 404:
        raise BadInputError(
            f"--base-model {base_model}: no such model on {endpoint} (or it is private and "
            f"HF_TOKEN cannot read it){_did_you_mean(base_model)}",
            hint=WHAT_TO_DO,
        ) from None
    if is_connection_error(exc):
        if _in_local_cache(base_model):
            return base_model, True
        raise HubError(
            f"--base-model {base_model}: cannot reach {endpoint} ({hub_message(exc)}) and the model "
            f"is not in the local cache",
            hint=WHAT_TO_DO,
        ) from None
    raise HubError(
        f"--base-model {base_model}: looking it up on {endpoint} failed: {hub_message(exc)}", hint=WHAT_TO_DO
    ) from None


def _did_you_mean(base_model: str) -> str:
    return (
        f"; did you mean `{TINY}`?" if difflib.get_close_matches(base_model, [TINY], n=1, cutoff=0.6) else ""
    )


def _in_local_cache(base_model: str) -> bool:
    """True when a previous download left config.json in the cache (from_pretrained can work offline)."""
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(base_model, "config.json"), str)
