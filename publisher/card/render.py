"""Render a Card with a Jinja template: one environment, undefined variables are errors, explicit escaping.

Autoescape is off because a card mixes contexts (YAML front matter, HTML, Markdown, a Python snippet); each
piece of user text goes through the filter for its context instead:

    html      HTML text and attribute values, strictly: every & < > " ' escaped
    text      HTML text content (and Markdown, which passes inline HTML through): only what would start
              markup is escaped: a `<` that opens a tag/comment (then every `>` too) and a `&` that would
              start a character reference; "haley o'shaughnessy", "Tom & Jerry", "<3" stay as written
    attr      an HTML attribute value: as `text`, plus both quotes and every < >
    fill      str.replace of placeholders in the order given, as the huggingtweets notebooks filled cards
    cell      Markdown table cell: HTML-escaped, | escaped, newlines folded
    md        Markdown paragraph text: HTML-escaped, [ ] escaped, newlines folded
    md_block  free Markdown text written by the model owner: HTML-escaped, newlines kept
    yaml      one YAML scalar (quoted only when needed); yaml_quoted always double-quoted
    to_yaml   a whole mapping/list as block YAML (the default template's front matter)
    pystr     a Python string literal for the usage snippet
    url       a URL inside a Markdown link: ( ) < > and spaces percent-encoded
    fence     a code fence longer than any backtick run in the text
    number    a metric or hyperparameter value, 6 significant digits

Templates live in the top-level templates/ directory, which is the `publisher.templates` package (setup.py's
package_dir maps the package to the folder, in an editable install and in a wheel). They are read with
importlib.resources, so an installed, non-editable package finds them.
`template` may also be a file path; a file may `{% extends "classic" %}` a built-in.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markupsafe import escape

from publisher import defaults
from publisher.card.model import Card
from publisher.card.templates import (
    DIGEST_FIELD,
    DIGEST_KEY,
    DIGEST_PLACEHOLDER,
    available_templates,
    builtin_source,
    seal_digest,
)
from publisher.card.text import mis_decode
from publisher.card.wandb_links import run_artifacts_url, run_url
from publisher.errors import TemplateError

_NEWLINES = re.compile(r"\r\n|[\r\n\u2028\u2029\x85]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n]")  # what breaks a line of HTML; U+2028 and NEL do not


# ------------------------------------------------------------------------------------------------ filters


def html_escape(value: Any) -> str:
    return str(escape(str(value)))


# "&" followed by what the HTML tokenizer reads as a character reference; html.unescape applies the same
# HTML5 rules (named references, with or without ";", numeric ones), so "&copy" counts and "& " or "&T" do not.
_CHAR_REF = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")
# "<" followed by what opens a tag, an end tag, a comment/declaration or a processing instruction.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")


def _escape_ampersands(text: str) -> str:
    return _CHAR_REF.sub(
        lambda m: "&amp;" + m.group()[1:] if html.unescape(m.group()) != m.group() else m.group(), text
    )


def html_text(value: Any) -> str:
    """HTML text content, escaped only where a browser would otherwise read markup (see the module doc)."""
    text = _escape_ampersands(_LINE_BREAKS.sub(" ", str(value)))
    if _TAG_OPEN.search(text):
        text = text.replace("<", "&lt;").replace(">", "&gt;")
    return text


def html_attribute(value: Any) -> str:
    """An attribute value (either quote style): `text` rules plus quotes and angle brackets."""
    text = _escape_ampersands(_LINE_BREAKS.sub(" ", str(value)))
    return text.replace('"', "&quot;").replace("'", "&#39;").replace("<", "&lt;").replace(">", "&gt;")


@jinja2.pass_context
def fill_placeholders(context: Any, text: str, values: dict[str, Any], order: str) -> str:
    """The huggingtweets notebooks' `for k, v in card_val.items(): card = card.replace(k, v)`, in `order`.

    Later replacements also rewrite earlier values (a "ROBOT" name becomes "ROCYBORG" on a multi-user card),
    exactly as the originals did; a value that is None leaves its placeholder in the text, as a key the
    notebook never set did. A card recorded as garbled as a whole (card.layout_mojibake) gets the template's
    own text garbled the same way; its values were read garbled and go in as they are.
    """
    card = context.get("card")
    decoding = getattr(card, "layout_mojibake", None)
    if decoding:
        text = mis_decode(text, decoding)
    for key in order.split():
        value = values.get(key)
        if value is not None:
            text = text.replace(key, str(value))
    return text


def _fold(text: str) -> str:
    return _NEWLINES.sub(" ", text)


def _escape_lt_gt_amp(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def table_cell(value: Any) -> str:
    return _fold(_escape_lt_gt_amp(str(value))).replace("|", "\\|")


def markdown_inline(value: Any) -> str:
    return _fold(_escape_lt_gt_amp(str(value))).replace("[", "\\[").replace("]", "\\]")


# What Markdown (CommonMark + the Hub's GFM extensions) reads as markup in inline text: emphasis, code, links,
# images, autolinks, raw HTML, entities, strikethrough, table pipes. Every ASCII punctuation character may be
# backslash-escaped in CommonMark and then renders as itself; & < > become entities, as the `md` filter does.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~:@])")
_WWW = re.compile(r"(?i)\b(www)\.")


def markdown_text(value: Any) -> str:
    """Plain text (a display name from someone's archive) inside Markdown prose: one line, and nothing in it
    is read as Markdown or HTML (no link, image, heading, emphasis, autolink or tag); it renders as written."""
    text = _MD_SPECIAL.sub(r"\\\1", _fold(_escape_lt_gt_amp(str(value))))
    return _WWW.sub(r"\1\\.", text)


def html_line(value: Any) -> str:
    """Text inside an HTML block of a Markdown card: HTML-escaped and on one line, because a blank line would
    end the HTML block and let the rest be read as Markdown (headings, images, links)."""
    return html_escape(_fold(str(value)))


def markdown_block(value: Any) -> str:
    return _escape_lt_gt_amp(str(value))


class _CardDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Safe YAML with multi-line strings double-quoted on one line (no folded surprises)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = '"' if _NEWLINES.search(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CardDumper.add_representer(str, _represent_str)


def _dump(value: Any, **options: Any) -> str:
    return yaml.dump(
        value, Dumper=_CardDumper, allow_unicode=True, width=2**31 - 1, sort_keys=False, **options
    )


def yaml_scalar(value: Any) -> str:
    text = _dump(value)
    return text.removesuffix("\n...\n").removesuffix("\n")


def yaml_quoted(value: Any) -> str:
    return _dump(str(value), default_style='"').removesuffix("\n")


def to_yaml(value: Any) -> str:
    return _dump(value, default_flow_style=False)


def python_string(value: Any) -> str:
    """A double-quoted Python literal: JSON's escapes (\\" \\\\ \\n \\uNNNN) are all valid Python escapes."""
    return (
        json.dumps(str(value), ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


def markdown_url(value: Any) -> str:
    return (
        str(value)
        .replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


def code_fence(value: Any) -> str:
    longest = max((len(run) for run in re.findall(r"`+", str(value))), default=0)
    return "`" * max(3, longest + 1)


def format_number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


FILTERS = {
    "html": html_escape,
    "text": html_text,
    "attr": html_attribute,
    "fill": fill_placeholders,
    "cell": table_cell,
    "md": markdown_inline,
    "md_block": markdown_block,
    "md_text": markdown_text,
    "html_line": html_line,
    "yaml": yaml_scalar,
    "yaml_quoted": yaml_quoted,
    "to_yaml": to_yaml,
    "pystr": python_string,
    "url": markdown_url,
    "fence": code_fence,
    "number": format_number,
}


# ------------------------------------------------------------------------------------------------ loading


class _CardLoader(jinja2.BaseLoader):
    """Built-in names first (classic, huggingtweets), then file paths; so a custom template can extend one."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        source = builtin_source(template)
        if source is not None:
            return source, None, lambda: True
        path = Path(template)
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        mtime = path.stat().st_mtime
        return path.read_text(encoding="utf-8"), str(path), lambda: path.stat().st_mtime == mtime


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one Jinja environment: strict undefined, explicit escaping, exact whitespace."""
    env = jinja2.Environment(
        loader=_CardLoader(),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.filters.update(FILTERS)
    return env


def _load(template: str) -> jinja2.Template:
    try:
        return environment().get_template(template)
    except jinja2.TemplateNotFound:
        known = ", ".join(available_templates())
        raise TemplateError(
            f"template {template!r} not found (built-in templates: {known}; or give a file path)"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template {exc.filename or template}: line {exc.lineno}: {exc.message}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"template {template!r} cannot be read: {exc}") from None


# ------------------------------------------------------------------------------------------------ context


def _wandb_links(card: Card) -> dict[str, str | None]:
    w = card.wandb
    links: dict[str, str | None] = {
        "report": (w.report_url if w and w.report_url else defaults.WANDB_REPORT_URL),
        "preprocess": None,
        "preprocess_artifacts": None,
        "train": None,
        "train_artifacts": None,
    }
    if w and w.entity and w.project:
        for kind, run_id in (("preprocess", w.preprocess_run), ("train", w.train_run)):
            if run_id and run_id not in w.offline_runs:  # an offline run has no page on W&B
                links[kind] = run_url(w.app_url, w.entity, w.project, run_id)
                links[f"{kind}_artifacts"] = run_artifacts_url(w.app_url, w.entity, w.project, run_id)
    return links


def _widget_entries(card: Card) -> list[dict[str, Any]]:
    outputs: dict[str, str] = {}
    for sample in card.samples:
        outputs.setdefault(sample.prompt, sample.text)
    entries: list[dict[str, Any]] = []
    for prompt in card.widget:
        entry: dict[str, Any] = {"text": prompt}
        if prompt in outputs:
            entry["output"] = {"text": outputs[prompt]}
        entries.append(entry)
    return entries


def _model_index(card: Card, repo_id: str) -> list[dict[str, Any]] | None:
    metrics = card.training.metrics if card.training else {}
    names = {"eval_loss": ("loss", "Eval loss"), "perplexity": ("perplexity", "Perplexity")}
    results = [{"type": names[k][0], "value": metrics[k], "name": names[k][1]} for k in names if k in metrics]
    if not results:
        return None
    handles = ", ".join(f"@{h}" for h in card.handles)
    return [
        {
            "name": repo_id,
            "results": [
                {
                    "task": {"type": "text-generation", "name": "Text Generation"},
                    "dataset": {"type": "tweets", "name": f"Tweets from {handles}"},
                    "metrics": results,
                }
            ],
        }
    ]


def hub_metadata(card: Card, repo_id: str) -> dict[str, Any]:
    """The default template's front matter: what today's Hub expects of a text-generation model."""
    data: dict[str, Any] = {}
    if card.language:
        data["language"] = card.language
    data["license"] = card.license
    data["library_name"] = "transformers"
    data["pipeline_tag"] = "text-generation"
    if card.base_model:
        data["base_model"] = card.base_model
    data["tags"] = ["huggingtweets", *card.handles]
    if card.thumbnail and card.thumbnail.startswith("https://"):
        # an http:// thumbnail (huggingtweets.com previews of 2021-2022, long dead) is kept in card.json and by
        # the legacy layouts, but the default template leaves it out: the Hub wants https, `check` too
        data["thumbnail"] = card.thumbnail
    if card.widget:
        data["widget"] = _widget_entries(card)
    model_index = _model_index(card, repo_id)
    if model_index:
        data["model-index"] = model_index
    data[DIGEST_KEY] = {
        DIGEST_FIELD: DIGEST_PLACEHOLDER
    }  # sealed by render_card (card/templates.py says why)
    return data


def _stats_row(card: Card, key: str) -> str | None:
    if not all(u.stats is not None for u in card.users):
        return None
    return " | ".join(str(getattr(u.stats, key)) for u in card.users)


def legacy_placeholders(card: Card, links: dict[str, str | None]) -> dict[str, str | None]:
    """What the huggingtweets notebooks put in card_val, escaped by context, for the legacy templates' `fill`.

    Names go into HTML text and Markdown (`text`: a real name comes out exactly as the notebook wrote it, a
    `<script>` does not), avatar URLs into attributes (`attr`). None leaves the placeholder as the notebook did.
    """
    names = [html_text(u.name) for u in card.users]
    avatar = card.users[0].avatar_url
    values: dict[str, str | None] = {
        "USER_HANDLE": card.handle_line,
        "USER_NAME": " & ".join(names),
        "USER_PROFILE": html_attribute(avatar) if avatar else None,
        "BOT": bot_kind(len(card.users)),
        "SOCIAL_LINK": card.thumbnail,
        "TABLE_USER": " | ".join(names),
        "TABLE_SPLIT": " | ".join(["---"] * len(card.users)),
        "TWEETS_DL": _stats_row(card, "downloaded"),
        "RETWEETS": _stats_row(card, "retweets"),
        "SHORT_TWEETS": _stats_row(card, "short"),
        "TWEETS_KEPT": _stats_row(card, "kept"),
        "WANDB_PREPROCESS": links["preprocess"],
        "WANDB_TRAIN": links["train"],
        "RANDOM_SZ": None if card.layout_padding is None else " " * card.layout_padding,
    }
    for i in range(3):  # the avatar block shows the first three users
        url = card.users[i].avatar_url if i < len(card.users) else None
        values[f"USER_PROFILE_{i + 1}"] = html_attribute(url) if url else ""
        values[f"DISPLAY_{i + 1}"] = "inherit" if url else "none"
    return values


def bot_kind(n_users: int) -> str:
    """huggingtweets' label: the model of one user is a BOT, a blend of two or three a CYBORG."""
    return "BOT" if n_users == 1 else "CYBORG"


def template_context(card: Card, namespace: str = defaults.NAMESPACE) -> dict[str, Any]:
    """Everything a template may use: the card itself plus a few derived values."""
    repo_id = card.effective_repo_id(namespace)
    stats = [u.stats for u in card.users]
    links = _wandb_links(card)
    return {
        "card": card,
        "users": card.users,
        "names": [u.name for u in card.users],
        "handles": card.handles,
        "handle_line": card.handle_line,
        "repo_id": repo_id,
        "namespace": namespace,
        "bot_kind": bot_kind(len(card.users)),
        "all_stats": all(s is not None for s in stats),
        "wandb": links,
        "placeholders": legacy_placeholders(card, links),
        "metrics": dict(card.training.metrics) if card.training else {},
        "hyperparameters": dict(card.training.hyperparameters) if card.training else {},
        "samples": card.samples,
        "card_metadata": hub_metadata(card, repo_id),
    }


def render_card(card: Card, template: str = defaults.TEMPLATE, *, namespace: str = defaults.NAMESPACE) -> str:
    """The README.md text for `card` (same card + template = same bytes)."""
    compiled = _load(template)
    try:
        return seal_digest(compiled.render(template_context(card, namespace)))
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {template!r}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {template!r}: {exc}") from None
