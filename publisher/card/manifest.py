"""card.json: the manifest loaded, validated, dumped and written (the Card itself is publisher.card.model).

A manifest is untrusted input (hand-written, or recovered from a card on the Hub), so loading validates every
field and names the offending one in the error (`users[1].stats.kept: must be an integer >= 0`). Mojibake in
user text is repaired on load, with a warning in `Card.warnings` (warnings are never serialized).

The same rules, for editors and other tools, are published as a JSON Schema: `card.schema.json` next to this
module (package data; tests/unit/test_card_schema.py keeps the two in agreement).
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from typing import Any
from urllib.parse import urlsplit

from publisher import defaults
from publisher._util import fs
from publisher.card.check import KNOWN_LICENSES
from publisher.card.model import (
    SCHEMA_VERSION,
    Card,
    Pictures,
    Sample,
    Training,
    User,
    UserStats,
    WandbInfo,
)
from publisher.card.text import CARD_MOJIBAKE, repair_mojibake
from publisher.errors import ManifestError
from publisher.naming import CARD_HANDLE_PATTERN, repo_id_problem

# A manifest may list many users (real huggingtweets cards have up to 6); new models are still trained on 1 to 3
# (publisher.data.counting.merge_sources, max_users=3), the bound is only there to keep untrusted input small.
MAX_USERS = 64
LAYOUT_PATTERN = re.compile(r"^[a-z][a-z0-9\-]{0,63}$")
MAX_LAYOUT_PADDING = 1000

WANDB_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
# Characters that could escape a quoted URL in HTML/CSS/Markdown even after escaping; no real URL needs them.
_URL_FORBIDDEN = re.compile(r"[\s'\"<>\\`{}|^\x00-\x1f\x7f]")
# A picture inside the repo: a relative path of plain segments (no "..", no scheme, no leading "/").
PICTURE_PATH_PATTERN = re.compile(
    r"^(?!.*//)(?!.*(?:^|/)\.\.?(?:/|$))[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,199}\.(?:png|jpg|jpeg|webp|gif)$"
)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# ---------------------------------------------------------------------------------------------- validation


class _Reader:
    """Reads one JSON object, remembering the field path for error messages and collecting warnings."""

    def __init__(self, source: str | None, warnings: list[str], *, repair: bool = True) -> None:
        self.source = source
        self.warnings = warnings
        self.repair = repair

    def fail(self, path: str, message: str) -> ManifestError:
        return ManifestError(message, field=path, source=self.source)

    def obj(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "must be a JSON object")
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            where = f"{path}.{unknown[0]}" if path else unknown[0]
            raise self.fail(where, f"unknown field (expected one of: {', '.join(allowed)})")
        return value

    def text(self, value: Any, path: str, *, empty_ok: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(path, "must be a string")
        if not empty_ok and not value.strip():
            raise self.fail(path, "must be a non-empty string")
        if _CONTROL_CHARS.search(value):
            raise self.fail(path, "must not contain control characters")
        if self.repair:
            value, found = repair_mojibake(value, field=path)
            self.warnings.extend(found)
        return value

    def optional_text(self, value: Any, path: str) -> str | None:
        return None if value is None else self.text(value, path)

    def pattern(self, value: Any, path: str, pattern: re.Pattern[str], what: str) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise self.fail(path, f"must be {what}")
        return value

    def optional_pattern(self, value: Any, path: str, pattern: re.Pattern[str], what: str) -> str | None:
        return None if value is None else self.pattern(value, path, pattern, what)

    def url(
        self, value: Any, path: str, *, schemes: tuple[str, ...] = ("https",), warn_http: bool = False
    ) -> str | None:
        """A URL in one of `schemes`; warn_http=True also accepts http:// (kept as written) with a warning."""
        if value is None:
            return None
        if warn_http and isinstance(value, str) and urlsplit(value).scheme == "http":
            checked = self.url(value, path, schemes=("http",))
            self.warnings.append(f"{path}: insecure http:// URL (kept as written)")
            return checked
        want = " or ".join(f"{s}://" for s in schemes)
        if not isinstance(value, str) or _URL_FORBIDDEN.search(value):
            raise self.fail(path, f"must be an {want} URL (no spaces, quotes or angle brackets)")
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.netloc:
            raise self.fail(path, f"must be an {want} URL, got {value!r}")
        return value

    def integer(self, value: Any, path: str, *, minimum: int | None = 0) -> int:
        valid = isinstance(value, int) and not isinstance(value, bool)
        if not valid or (minimum is not None and value < minimum):
            bound = f" >= {minimum}" if minimum is not None else ""
            raise self.fail(path, f"must be an integer{bound}")
        return value

    def array(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, "must be a JSON array")
        return value


TOP_LEVEL_KEYS = (
    "schema_version", "repo_id", "users", "wandb", "thumbnail", "language", "widget",
    "base_model", "license", "samples", "training", "intended_use", "limitations", "layout", "layout_padding",
    "layout_mojibake", "pictures",
)  # fmt: skip


def _read_stats(r: _Reader, value: Any, path: str) -> UserStats | None:
    if value is None:
        return None
    data = r.obj(value, path, ("downloaded", "retweets", "short", "kept"))
    for key in ("downloaded", "retweets", "short", "kept"):
        if key not in data:
            raise r.fail(f"{path}.{key}", "is required")
    stats = UserStats(
        downloaded=r.integer(data["downloaded"], f"{path}.downloaded"),
        retweets=r.integer(data["retweets"], f"{path}.retweets"),
        short=r.integer(data["short"], f"{path}.short", minimum=None),
        kept=r.integer(data["kept"], f"{path}.kept"),
    )
    if stats.short < 0:
        r.warnings.append(f"{path}.short: negative count {stats.short} (kept as in the original card)")
    if stats.downloaded != stats.retweets + stats.short + stats.kept:
        r.warnings.append(
            f"{path}: downloaded ({stats.downloaded}) != retweets + short + kept "
            f"({stats.retweets} + {stats.short} + {stats.kept})"
        )
    return stats


def _read_user(r: _Reader, value: Any, path: str) -> User:
    data = r.obj(value, path, ("handle", "name", "avatar_url", "stats"))
    for key in ("handle", "name"):
        if key not in data:
            raise r.fail(f"{path}.{key}", "is required")
    handle = r.pattern(
        data["handle"],
        f"{path}.handle",
        CARD_HANDLE_PATTERN,
        "a Twitter/X handle: 1-30 of A-Z a-z 0-9 _, no '@'",
    )
    return User(
        handle=handle,
        name=r.text(data["name"], f"{path}.name"),
        avatar_url=r.url(data.get("avatar_url"), f"{path}.avatar_url", warn_http=True),
        stats=_read_stats(r, data.get("stats"), f"{path}.stats"),
    )


def _read_users(r: _Reader, value: Any) -> list[User]:
    items = r.array(value, "users")
    if not 1 <= len(items) <= MAX_USERS:
        raise r.fail("users", f"must list 1 to {MAX_USERS} users, got {len(items)}")
    users = [_read_user(r, item, f"users[{i}]") for i, item in enumerate(items)]
    seen: set[str] = set()
    for i, user in enumerate(users):
        if user.handle.lower() in seen:
            raise r.fail(f"users[{i}].handle", f"duplicate handle {user.handle!r}")
        seen.add(user.handle.lower())
    return users


def _read_wandb(r: _Reader, value: Any) -> WandbInfo | None:
    if value is None:
        return None
    keys = ("app_url", "entity", "project", "preprocess_run", "train_run", "report_url", "offline_runs")
    data = r.obj(value, "wandb", keys)
    app_url = r.url(data.get("app_url", defaults.WANDB_APP_URL), "wandb.app_url", schemes=("https", "http"))
    what = "a W&B id (A-Z a-z 0-9 _ . -)"
    ids = {
        key: r.optional_pattern(data.get(key), f"wandb.{key}", WANDB_ID_PATTERN, what)
        for key in ("entity", "project", "preprocess_run", "train_run")
    }
    return WandbInfo(
        app_url=(app_url or defaults.WANDB_APP_URL).rstrip("/"),
        report_url=r.url(data.get("report_url"), "wandb.report_url", schemes=("https", "http")),
        offline_runs=tuple(
            r.pattern(run, f"wandb.offline_runs[{i}]", WANDB_ID_PATTERN, what)
            for i, run in enumerate(r.array(data.get("offline_runs", []), "wandb.offline_runs"))
        ),
        **ids,
    )


def _read_scalar_map(r: _Reader, value: Any, path: str, *, numbers_only: bool) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise r.fail(path, "must be a JSON object")
    result: dict[str, Any] = {}
    for key, item in value.items():
        where = f"{path}.{key}"
        if not key.strip() or _CONTROL_CHARS.search(key):
            raise r.fail(where, "keys must be non-empty text")
        is_number = isinstance(item, (int, float)) and not isinstance(item, bool)
        if is_number and not math.isfinite(item):
            raise r.fail(where, "must be a finite number")
        if numbers_only and not is_number:
            raise r.fail(where, "must be a number")
        if not numbers_only and not (is_number or item is None or isinstance(item, (str, bool))):
            raise r.fail(where, "must be a string, number, boolean or null")
        result[key] = r.text(item, where, empty_ok=True) if isinstance(item, str) else item
    return result


def _read_training(r: _Reader, value: Any) -> Training | None:
    if value is None:
        return None
    data = r.obj(value, "training", ("hyperparameters", "metrics"))
    return Training(
        hyperparameters=_read_scalar_map(
            r, data.get("hyperparameters", {}), "training.hyperparameters", numbers_only=False
        ),
        metrics=_read_scalar_map(r, data.get("metrics", {}), "training.metrics", numbers_only=True),
    )


def _read_samples(r: _Reader, value: Any) -> list[Sample]:
    samples = []
    for i, item in enumerate(r.array(value, "samples")):
        data = r.obj(item, f"samples[{i}]", ("prompt", "text"))
        samples.append(
            Sample(
                prompt=r.text(data.get("prompt"), f"samples[{i}].prompt"),
                text=r.text(data.get("text"), f"samples[{i}].text", empty_ok=True),
            )
        )
    return samples


def _read_pictures(r: _Reader, value: Any) -> Pictures | None:
    if value is None:
        return None
    data = r.obj(value, "pictures", ("training_curve", "preview"))
    what = "a path inside the repo such as 'training_curve.png' (no '..', no leading '/')"
    return Pictures(
        **{
            key: r.optional_pattern(data.get(key), f"pictures.{key}", PICTURE_PATH_PATTERN, what)
            for key in ("training_curve", "preview")
        }
    )


def _read_repo_id(r: _Reader, value: Any, path: str) -> str | None:
    if value is None:
        return None
    problem = repo_id_problem(value, namespace_required=False)
    if problem:
        raise r.fail(path, f"must be a Hub repo id like 'namespace/name': {problem}")
    return value


def card_from_dict(data: dict[str, Any], *, source: str | None = None, repair: bool | None = None) -> Card:
    """Validate a manifest dict and build the Card; ManifestError names the first bad field.

    repair=False keeps mojibake as it is (for a byte-exact round trip of a legacy card), True repairs it;
    the default repairs it unless the manifest records a legacy `layout` (see below).
    """
    warnings: list[str] = []
    # a card read back from a legacy layout ("layout" set) holds its text as the card had it, so rendering it
    # with that layout gives the same bytes; mojibake is repaired when such a card is regenerated (or parsed
    # with --repair), not behind the manifest's back
    if repair is None:
        repair = not (isinstance(data, dict) and data.get("layout") is not None)
    r = _Reader(source, warnings, repair=repair)
    if not isinstance(data, dict):
        raise ManifestError("a manifest must be a JSON object", source=source)
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise r.fail(
            "schema_version", f"unsupported value {version!r} (this publisher reads {SCHEMA_VERSION})"
        )
    if "users" not in data:
        raise r.fail("users", "is required")
    language = data.get("language", defaults.LANGUAGE)
    card = Card(
        users=_read_users(r, data["users"]),
        repo_id=_read_repo_id(r, data.get("repo_id"), "repo_id"),
        wandb=_read_wandb(r, data.get("wandb")),
        thumbnail=r.url(data.get("thumbnail"), "thumbnail", warn_http=True),
        language=r.optional_pattern(language, "language", LANGUAGE_PATTERN, "a language code such as 'en'"),
        widget=[
            r.text(p, f"widget[{i}]")
            for i, p in enumerate(r.array(data.get("widget", list(defaults.WIDGET)), "widget"))
        ],
        # absent -> GPT-2 (the huggingtweets default); an explicit null -> no Hub base model (e.g. tiny)
        base_model=_read_repo_id(r, data.get("base_model", defaults.BASE_MODEL), "base_model"),
        license=_read_license(r, data.get("license", defaults.LICENSE)),
        samples=_read_samples(r, data.get("samples", [])),
        training=_read_training(r, data.get("training")),
        intended_use=r.optional_text(data.get("intended_use"), "intended_use"),
        limitations=r.optional_text(data.get("limitations"), "limitations"),
        layout=r.optional_pattern(
            data.get("layout"), "layout", LAYOUT_PATTERN, "a template name such as 'classic'"
        ),
        layout_padding=_read_padding(r, data.get("layout_padding")),
        layout_mojibake=_read_mojibake(r, data.get("layout_mojibake")),
        pictures=_read_pictures(r, data.get("pictures")),
        extra=_read_extra(r, data),
    )
    card.warnings.extend(warnings)
    return card


def _read_padding(r: _Reader, value: Any) -> int | None:
    if value is None:
        return None
    padding = r.integer(value, "layout_padding")
    if padding > MAX_LAYOUT_PADDING:
        raise r.fail("layout_padding", f"must be at most {MAX_LAYOUT_PADDING}")
    return padding


def _read_mojibake(r: _Reader, value: Any) -> str | None:
    if value is not None and value not in CARD_MOJIBAKE:
        raise r.fail("layout_mojibake", f"must be one of {', '.join(CARD_MOJIBAKE)} or null")
    return value


def _read_extra(r: _Reader, data: dict[str, Any]) -> dict[str, Any]:
    """Unknown top-level keys: a near miss of a known key is a typo (error, so `"lisence"` never silently leaves
    the card at its default license); anything else passes through to card.json with a warning."""
    extra = {k: v for k, v in data.items() if k not in TOP_LEVEL_KEYS}
    for key in extra:
        known = near_miss(key, TOP_LEVEL_KEYS)
        if known:
            raise r.fail(key, f"unknown field: did you mean `{known}`?")
        r.warnings.append(f"{key}: unknown field, kept in card.json as is (not shown on the card)")
    return extra


def near_miss(key: str, known: tuple[str, ...]) -> str | None:
    """The known key `key` is probably a typo of: same up to case and -/_, difflib-close (ratio >= 0.8), or
    the same letters in another order (difflib scores a swap such as "lisence" for "license" only 0.57)."""
    folded = key.lower().replace("-", "_")
    if folded in known:
        return folded
    close = difflib.get_close_matches(folded, known, n=1, cutoff=0.8)
    if close:
        return close[0]
    return next((k for k in known if len(k) >= 4 and sorted(k) == sorted(folded)), None)


def _read_license(r: _Reader, value: Any) -> str:
    if not isinstance(value, str) or value not in KNOWN_LICENSES:
        raise r.fail("license", f"must be a Hub license id such as 'mit' or 'apache-2.0', got {value!r}")
    return value


# ---------------------------------------------------------------------------------------------- serialization


def card_to_dict(card: Card) -> dict[str, Any]:
    """The card.json form: every field, always in the same order (nulls included, so the file is explicit)."""
    data: dict[str, Any] = {
        "schema_version": card.schema_version,
        "repo_id": card.repo_id,
        "users": [
            {
                "handle": u.handle,
                "name": u.name,
                "avatar_url": u.avatar_url,
                "stats": None
                if u.stats is None
                else {
                    "downloaded": u.stats.downloaded,
                    "retweets": u.stats.retweets,
                    "short": u.stats.short,
                    "kept": u.stats.kept,
                },
            }
            for u in card.users
        ],
        "wandb": None
        if card.wandb is None
        else {
            "app_url": card.wandb.app_url,
            "entity": card.wandb.entity,
            "project": card.wandb.project,
            "preprocess_run": card.wandb.preprocess_run,
            "train_run": card.wandb.train_run,
            "report_url": card.wandb.report_url,
            # written only when there are some, so the card.json of every existing card keeps its bytes
            **({"offline_runs": list(card.wandb.offline_runs)} if card.wandb.offline_runs else {}),
        },
        "thumbnail": card.thumbnail,
        "language": card.language,
        "widget": list(card.widget),
        "base_model": card.base_model,
        "license": card.license,
        "samples": [{"prompt": s.prompt, "text": s.text} for s in card.samples],
        "training": None
        if card.training is None
        else {"hyperparameters": dict(card.training.hyperparameters), "metrics": dict(card.training.metrics)},
        "intended_use": card.intended_use,
        "limitations": card.limitations,
    }
    # written only when set, so every card.json written before these fields existed keeps its exact bytes
    for key in ("layout", "layout_padding", "layout_mojibake"):
        if getattr(card, key) is not None:
            data[key] = getattr(card, key)
    if (
        card.pictures is not None
    ):  # only when set: card.json files written before pictures stay byte-identical
        data["pictures"] = {"training_curve": card.pictures.training_curve, "preview": card.pictures.preview}
    for key, value in card.extra.items():
        data.setdefault(key, value)
    return data


def dumps_manifest(card: Card) -> str:
    """Deterministic JSON text of the card (UTF-8, non-ASCII kept, trailing newline)."""
    return json.dumps(card_to_dict(card), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


# A manifest is a few kB (users, samples, W&B ids); read whole, so capped.
MAX_MANIFEST_BYTES = 4 * 1024 * 1024


def loads_manifest(text: str, *, source: str | None = None) -> Card:
    """Parse and validate manifest text; JSON errors are reported with line and column."""
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", source=source
        ) from None
    except ValueError as exc:
        raise ManifestError(f"invalid manifest: {exc}", source=source) from None
    except RecursionError:
        raise ManifestError(
            "invalid JSON: nested too deeply (no manifest nests more than a few levels)", source=source
        ) from None
    return card_from_dict(data, source=source)


def load_manifest(path: str | os.PathLike[str]) -> Card:
    """Read and validate card.json (always UTF-8; a BOM is tolerated)."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise ManifestError("file not found", source=source) from None
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror}", source=source) from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"larger than {MAX_MANIFEST_BYTES} bytes; not a card manifest", source=source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            f"not valid UTF-8 (byte {exc.start}); manifests are always UTF-8", source=source
        ) from None
    return loads_manifest(text, source=source)


def write_manifest(card: Card, path: str | os.PathLike[str]) -> None:
    """Save the card as card.json atomically (publisher._util.fs, the one atomic writer)."""
    fs.write_text(path, dumps_manifest(card))
