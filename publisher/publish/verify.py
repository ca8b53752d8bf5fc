"""Verify a published model the way a user would get it: download at the commit sha, load, generate.

The Hub clients read HF_ENDPOINT at import time and fall back silently to cached files, so verification runs
in a subprocess with the target's endpoint and token in its environment and a fresh, empty HF_HOME.
The parent side (`verify_published`) imports nothing heavy; the child side (`main`) imports transformers.

Child protocol: `python -m publisher.publish.verify REPO_ID SHA --prompt TEXT` prints one JSON object on stdout:
{"ok", "stage", "error", "prompt", "sample", "card_widget"}; stages: card, tokenizer, model, generate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from typing import Any

from publisher import defaults
from publisher.output import redact

DEFAULT_TIMEOUT = 900.0
MAX_NEW_TOKENS = 20


@dataclass(frozen=True)
class Verification:
    ok: bool
    stage: str
    error: str | None = None
    prompt: str | None = None
    sample: str | None = None
    card_widget: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: redact(v) if isinstance(v, str) else v for k, v in asdict(self).items()}


def verify_published(
    target: Any, repo_id: str, sha: str, *, prompt: str, timeout: float = DEFAULT_TIMEOUT
) -> Verification:
    """Run the child check against `target` (a hubclient.target.HubTarget) and return its verdict."""
    with tempfile.TemporaryDirectory(prefix="publisher-verify-") as hf_home:
        env = target.child_env(hf_home=hf_home)
        cmd = [sys.executable, "-m", "publisher.publish.verify", repo_id, sha, "--prompt", prompt]
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Verification(
                False, "timeout", f"verification did not finish within {timeout:.0f} s", prompt
            )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            try:
                return Verification(**json.loads(line))
            except (TypeError, ValueError):
                break
    tail = redact((proc.stderr.strip().splitlines() or ["no output"])[-1])
    return Verification(False, "crash", f"verifier exited {proc.returncode}: {tail}", prompt)


# ---------------------------------------------------------------------------------------------------------
# Child side


def _card_widget(repo_id: str, sha: str) -> str | None:
    """The card at the commit must exist; its first widget prompt is returned (None if it has none)."""
    from huggingface_hub import hf_hub_download

    from publisher.card.frontmatter import parse_front_matter  # the one bounded front-matter parser

    with open(hf_hub_download(repo_id, "README.md", revision=sha), encoding="utf-8") as handle:
        text = handle.read()
    front = parse_front_matter(text)
    widget = front.get("widget") or []
    first = widget[0] if widget else None
    return first.get("text") if isinstance(first, dict) else None


def _load_model(repo_id: str, sha: str) -> Any:
    """Load the weights and refuse a checkpoint that does not fit its config (missing/mismatched tensors)."""
    from transformers import AutoModelForCausalLM

    model, loading = AutoModelForCausalLM.from_pretrained(repo_id, revision=sha, output_loading_info=True)
    problems = []
    for key in ("missing_keys", "mismatched_keys", "unexpected_keys", "error_msgs"):
        found = [str(k) for k in (loading.get(key) or [])]
        if found:
            problems.append(
                f"{key.replace('_', ' ')}: {', '.join(found[:5])}{' ...' if len(found) > 5 else ''}"
            )
    if problems:
        raise ValueError("the weights do not match config.json (" + "; ".join(problems) + ")")
    return model


def _generate(model: Any, tokenizer: Any, prompt: str) -> str:
    """The prompt and a sampled continuation, as the text-generation widget shows it.

    `model.generate` directly rather than `pipeline("text-generation")`: the same sampling, without importing
    transformers' pipelines (and with them its image and audio processors), about 2.4 s of every verification.
    """
    import torch

    torch.manual_seed(0)
    inputs = tokenizer(prompt, return_tensors="pt")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=True, num_return_sequences=1,
                             pad_token_id=pad)  # fmt: skip
    prompt_length = len(tokenizer.decode(inputs["input_ids"][0], skip_special_tokens=True))
    return prompt + tokenizer.decode(out[0], skip_special_tokens=True)[prompt_length:]


def check(repo_id: str, sha: str, prompt: str) -> Verification:
    """Download card, tokenizer and model at `sha` from the endpoint in the environment, then generate."""
    stage = "card"
    widget = None
    try:
        widget = _card_widget(repo_id, sha)
        prompt = widget or prompt
        stage = "tokenizer"
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(repo_id, revision=sha)
        stage = "model"
        model = _load_model(repo_id, sha)
        stage = "generate"
        sample = _generate(model, tokenizer, prompt)
    except Exception as exc:  # noqa: BLE001 - reported as the verdict
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Verification(False, stage, redact(f"{type(exc).__name__}: {message}"), prompt, None, widget)
    return Verification(True, "done", None, prompt, sample, widget)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m publisher.publish.verify", description=__doc__.splitlines()[0]
    )
    parser.add_argument("repo_id")
    parser.add_argument("sha")
    parser.add_argument("--prompt", default=defaults.WIDGET_TEXT)
    args = parser.parse_args(argv)
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    verdict = check(args.repo_id, args.sha, args.prompt)
    print(json.dumps(verdict.as_json(), ensure_ascii=False), flush=True)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
