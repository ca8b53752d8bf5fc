"""Offline model-card metadata checks, as the Hub applies them, with line numbers.

One implementation serves `publisher check`, `publisher render --check` and the local hub's `validate-yaml`
endpoint, so a card that passes here is accepted there. Dependency-light on purpose (PyYAML only): the server
imports it.

Public contract (stable):
    Problem(severity: "error" | "warning", message: str, line: int | None)
    check_card_text(text, *, require_default_fields=False) -> list[Problem]

The front matter itself is read by the project's one bounded parser, publisher.card.frontmatter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

from publisher import defaults
from publisher.card.frontmatter import FrontMatterError, find_block, line_of, parse_yaml
from publisher.naming import is_repo_id

# Hub license ids (huggingface.co/docs/hub/repositories-licenses).
KNOWN_LICENSES = frozenset(
    """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
    bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc
    cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0
    cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0
    cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0
    eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research
    lppl-1.3c ms-pl apple-ascl apple-amlr mpl-2.0 odc-by odbl openmdw-1.0 openrail++ osl-3.0 postgresql
    ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license fair-noncommercial-research-license llama2
    llama3 llama3.1 llama3.2 llama3.3 llama4 gemma unknown other""".split()  # noqa: SIM905
)

# Hub task ids (huggingface.co/tasks; @huggingface/tasks PIPELINE_DATA).
KNOWN_PIPELINE_TAGS = frozenset(
    """text-classification token-classification table-question-answering question-answering
    zero-shot-classification translation summarization feature-extraction text-generation fill-mask
    sentence-similarity text-to-speech text-to-audio automatic-speech-recognition audio-to-audio
    audio-classification audio-text-to-text voice-activity-detection depth-estimation image-classification
    object-detection image-segmentation text-to-image image-to-text image-to-image image-to-video
    unconditional-image-generation video-classification reinforcement-learning robotics tabular-classification
    tabular-regression tabular-to-text table-to-text multiple-choice text-ranking text-retrieval
    time-series-forecasting text-to-video image-text-to-text image-text-to-image image-text-to-video
    visual-question-answering document-question-answering zero-shot-image-classification graph-ml
    mask-generation zero-shot-object-detection text-to-3d image-to-3d image-feature-extraction
    video-text-to-text keypoint-detection visual-document-retrieval any-to-any video-to-video other""".split()  # noqa: SIM905
)

KNOWN_LIBRARIES = frozenset(
    """transformers sentence-transformers diffusers timm peft adapter-transformers spacy keras tf-keras flair
    fastai stable-baselines3 ml-agents sklearn scikit-learn pytorch tensorflow jax flax onnx gguf mlx
    transformers.js safetensors setfit span-marker speechbrain espnet nemo fairseq allennlp asteroid
    open_clip paddlenlp sample-factory unity-sentis coreml tflite openvino llama.cpp vllm other""".split()  # noqa: SIM905
)

BASE_MODEL_RELATIONS = frozenset({"adapter", "merge", "quantized", "finetune"})
LANGUAGE_CODE = re.compile(r"^(?:[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*|multilingual)$")
# The marker comment a publisher template writes right after the front matter: `publisher check` is strict
# (require_default_fields) for cards that claim the default template.
TEMPLATE_MARKER = re.compile(r"<!-- publisher:template=([\w.\-]+)")
WIDGET_KEYS = frozenset({"text", "src", "example_title", "output", "context", "table", "structured_data"})


@dataclass(frozen=True)
class Problem:
    severity: Literal["error", "warning"]
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "message": self.message, "line": self.line}


def template_claimed(text: str) -> str | None:
    """The template name a rendered card declares in its `<!-- publisher:template=NAME` marker, if any."""
    match = TEMPLATE_MARKER.search(text)
    return match.group(1) if match else None


def claims_default_template(text: str) -> bool:
    return template_claimed(text) == defaults.TEMPLATE


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


# --------------------------------------------------------------------------------------- line numbers


class _Lines:
    """Maps a metadata path like ("widget", 0, "output") to its 1-based line in the card."""

    def __init__(self, root: yaml.Node | None, start_line: int) -> None:
        self.start_line = start_line
        self.lines: dict[tuple[Any, ...], int] = {}
        self.duplicates: list[tuple[str, int]] = []
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                line = self.start_line + key_node.start_mark.line
                if key in seen:
                    self.duplicates.append((".".join(map(str, path + (key,))), line))
                seen.add(key)
                self.lines.setdefault(path + (key,), line)
                self._walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[path + (index,)] = self.start_line + item.start_mark.line
                self._walk(item, path + (index,))

    def at(self, *path: Any) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.start_line


# --------------------------------------------------------------------------------------- rules


class _Checker:
    def __init__(self, lines: _Lines, strict: bool) -> None:
        self.lines = lines
        self.strict = strict
        self.problems: list[Problem] = []

    def error(self, message: str, *path: Any) -> None:
        self.problems.append(Problem("error", message, self.lines.at(*path)))

    def warning(self, message: str, *path: Any) -> None:
        self.problems.append(Problem("warning", message, self.lines.at(*path)))

    def string_or_list(self, data: dict[str, Any], key: str) -> list[tuple[Any, tuple[Any, ...]]]:
        """The values of a key that may be a string or a list of strings, each with its path."""
        value = data[key]
        if isinstance(value, str):
            return [(value, (key,))]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [(v, (key, i)) for i, v in enumerate(value)]
        self.error(f"'{key}' must be a string or a list of strings", key)
        return []

    def url(self, value: Any, *path: Any) -> None:
        name = ".".join(map(str, path))
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            self.error(f"'{name}' must be an https:// URL", *path)
        elif parts.scheme != "https":
            (self.error if self.strict else self.warning)(f"'{name}' should be an https:// URL", *path)


def _check_license(c: _Checker, data: dict[str, Any]) -> None:
    license_id = data["license"]
    if not isinstance(license_id, str):
        c.error("'license' must be a single license id such as 'mit'", "license")
    elif license_id not in KNOWN_LICENSES:
        c.error(
            f"'license' {license_id!r} is not a Hub license id (see hf.co/docs/hub/repositories-licenses)",
            "license",
        )
    elif license_id == "other" and "license_name" not in data:
        c.warning("'license: other' should come with 'license_name' and 'license_link'", "license")


def _check_widget(c: _Checker, widget: Any) -> None:
    if not isinstance(widget, list):
        c.error("'widget' must be a list of examples", "widget")
        return
    for i, entry in enumerate(widget):
        if not isinstance(entry, dict):
            c.error(f"widget[{i}] must be a mapping such as 'text: My dream is'", "widget", i)
            continue
        if not isinstance(entry.get("text"), str) and not isinstance(entry.get("src"), str):
            c.error(f"widget[{i}] needs a 'text' string", "widget", i)
        for key in sorted(set(entry) - WIDGET_KEYS, key=str):
            c.warning(f"widget[{i}] has an unknown key {key!r}", "widget", i, key)
        if "example_title" in entry and not isinstance(entry["example_title"], str):
            c.error(f"widget[{i}].example_title must be a string", "widget", i, "example_title")
        if "output" in entry:
            output = entry["output"]
            if not isinstance(output, dict) or not any(k in output for k in ("text", "label", "url")):
                c.error(f"widget[{i}].output must be a mapping with 'text'", "widget", i, "output")
            elif "text" in output and not isinstance(output["text"], str):
                c.error(f"widget[{i}].output.text must be a string", "widget", i, "output", "text")


def _check_model_index(c: _Checker, model_index: Any) -> None:
    if not isinstance(model_index, list) or not model_index:
        c.error("'model-index' must be a non-empty list", "model-index")
        return
    for i, model in enumerate(model_index):
        where = ("model-index", i)
        if not isinstance(model, dict) or not isinstance(model.get("name"), str):
            c.error(f"model-index[{i}] needs a 'name' string", *where)
            continue
        results = model.get("results")
        if not isinstance(results, list):
            c.error(f"model-index[{i}].results must be a list", *where, "results")
            continue
        for j, result in enumerate(results):
            _check_result(c, result, f"model-index[{i}].results[{j}]", (*where, "results", j))


def _check_result(c: _Checker, result: Any, name: str, where: tuple[Any, ...]) -> None:
    if not isinstance(result, dict):
        c.error(f"{name} must be a mapping with task, dataset and metrics", *where)
        return
    task, dataset, metrics = result.get("task"), result.get("dataset"), result.get("metrics")
    if not isinstance(task, dict) or not isinstance(task.get("type"), str):
        c.error(f"{name}.task needs a 'type' string", *where, "task")
    if not isinstance(dataset, dict) or not all(isinstance(dataset.get(k), str) for k in ("type", "name")):
        c.error(f"{name}.dataset needs 'type' and 'name' strings", *where, "dataset")
    if not isinstance(metrics, list) or not metrics:
        c.error(f"{name}.metrics must be a non-empty list", *where, "metrics")
        return
    for k, metric in enumerate(metrics):
        if not isinstance(metric, dict) or not isinstance(metric.get("type"), str) or "value" not in metric:
            c.error(f"{name}.metrics[{k}] needs 'type' and 'value'", *where, "metrics", k)


def _check_fields(c: _Checker, data: dict[str, Any]) -> None:
    if "license" in data:
        _check_license(c, data)
    tag = data.get("pipeline_tag")
    if "pipeline_tag" in data and (not isinstance(tag, str) or tag not in KNOWN_PIPELINE_TAGS):
        c.error(f"'pipeline_tag' {tag!r} is not a Hub task id", "pipeline_tag")
    if "library_name" in data:
        if not isinstance(data["library_name"], str):
            c.error("'library_name' must be a string", "library_name")
        elif data["library_name"] not in KNOWN_LIBRARIES:
            c.warning(
                f"'library_name' {data['library_name']!r} is not a library the Hub knows", "library_name"
            )
    if "language" in data:
        for code, path in c.string_or_list(data, "language"):
            if not LANGUAGE_CODE.match(code):
                c.error(f"'language' {code!r} is not an ISO 639 language code", *path)
    for key in ("tags", "datasets", "metrics"):
        if key not in data:
            continue
        if not c.strict:
            c.string_or_list(data, key)  # the Hub accepts `datasets: glue` as well as a list
        elif not isinstance(data[key], list) or not all(isinstance(t, str) for t in data[key]):
            c.error(f"'{key}' must be a list of strings", key)
    if "base_model" in data:
        for repo, path in c.string_or_list(data, "base_model"):
            if not is_repo_id(repo, namespace_required=False):
                c.error(f"'base_model' {repo!r} is not a Hub model id", *path)
    if "base_model_relation" in data and data["base_model_relation"] not in BASE_MODEL_RELATIONS:
        c.error(
            f"'base_model_relation' must be one of {', '.join(sorted(BASE_MODEL_RELATIONS))}",
            "base_model_relation",
        )
    if "thumbnail" in data:
        c.url(data["thumbnail"], "thumbnail")
    if "license_link" in data:
        c.url(data["license_link"], "license_link")
    if "widget" in data:
        _check_widget(c, data["widget"])
    if "model-index" in data:
        _check_model_index(c, data["model-index"])
    if "inference" in data and not isinstance(data["inference"], (bool, dict)):
        c.error("'inference' must be true, false or a mapping", "inference")


def _check_required(c: _Checker, data: dict[str, Any]) -> None:
    """The default template's contract: the fields the Hub needs to show and run a text-generation model."""
    for key in ("library_name", "pipeline_tag"):
        if key not in data:
            c.error(f"'{key}' is missing (the Hub needs it to show the model and run pipeline())", None)
    for key in ("license", "base_model", "language"):
        if key not in data:
            c.warning(f"'{key}' is missing", None)


def check_card_text(text: str, *, require_default_fields: bool = False) -> list[Problem]:
    """Problems in the card's metadata, sorted by line (no error means the Hub would accept it).

    require_default_fields: the card claims the default template, so library_name and pipeline_tag must be
    present and non-https URLs are errors rather than warnings.
    """
    match, text = find_block(text)
    strict = require_default_fields
    if match is None:
        if text.lstrip().startswith("---"):
            return [Problem("error", "front matter starts with '---' but is never closed by a '---' line", 1)]
        c = _Checker(_Lines(None, 1), strict)
        c.warning("the card has no metadata (YAML front matter between '---' lines)", None)
        if strict:
            _check_required(c, {})
        return c.problems
    start_line = line_of(text, match.start(2))
    try:
        data, root = parse_yaml(match.group(2), start_line)
    except FrontMatterError as exc:
        return [Problem("error", exc.message, exc.line)]
    c = _Checker(_Lines(root, start_line), strict)
    for key, line in c.lines.duplicates:
        c.problems.append(Problem("error", f"duplicate key '{key}' in front matter", line))
    _check_fields(c, data)
    if strict:
        _check_required(c, data)
    if not text[match.end() :].strip():
        c.warning("the card has metadata but no text", None)
    return sorted(c.problems, key=lambda p: (p.line or 0, p.severity != "error"))
