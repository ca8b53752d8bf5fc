"""The real huggingface_hub and transformers clients against the local hub (the session server on port 0)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

README = """---
language: en
license: mit
tags:
- huggingtweets
pipeline_tag: text-generation
library_name: transformers
widget:
- text: "My dream is"
---

# Tiny test model

A tiny GPT-2 for tests.
"""


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def api(hub):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub.token)


@pytest.fixture(scope="module")
def model_folder(tiny_model_dir, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("upload")
    shutil.copytree(tiny_model_dir, folder, dirs_exist_ok=True)
    (folder / "README.md").write_text(README)
    return folder


@pytest.fixture(scope="module")
def published(hub, model_folder) -> str:
    """One repo with the tiny model and README uploaded through upload_folder."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub.url, token=hub.token)
    repo_id = f"local/{unique('tiny')}"
    api.create_repo(repo_id)
    api.upload_folder(repo_id=repo_id, folder_path=model_folder, commit_message="Upload tiny model")
    return repo_id


def test_model_info_shows_uploaded_files_card_data_and_sha(api, published):
    info = api.model_info(published, files_metadata=True)
    names = {s.rfilename for s in info.siblings}
    assert {"README.md", "config.json", "model.safetensors", "tokenizer.json", ".gitattributes"} <= names
    weights = next(s for s in info.siblings if s.rfilename == "model.safetensors")
    assert weights.lfs is not None and weights.size == weights.lfs.size > 0
    assert len(info.sha) == 40
    assert info.card_data.license == "mit"
    assert info.pipeline_tag == "text-generation" and info.library_name == "transformers"


def test_list_repo_files_matches_the_uploaded_folder(api, published, model_folder):
    files = set(api.list_repo_files(published))
    expected = {p.relative_to(model_folder).as_posix() for p in model_folder.rglob("*") if p.is_file()}
    assert files == expected | {".gitattributes"}


def test_model_card_load_reads_the_readme(published):
    from huggingface_hub import ModelCard

    card = ModelCard.load(published)
    assert card.data.license == "mit"
    assert "Tiny test model" in card.text


def test_snapshot_download_returns_identical_bytes(hub, published, model_folder, tmp_path):
    from huggingface_hub import snapshot_download

    local = Path(snapshot_download(published, endpoint=hub.url, cache_dir=tmp_path / "cache"))
    for name in ("model.safetensors", "README.md", "tokenizer.json"):
        assert (local / name).read_bytes() == (model_folder / name).read_bytes()


def test_transformers_pipeline_generates_text_from_the_local_hub(published):
    from transformers import pipeline

    generator = pipeline("text-generation", model=published)
    out = generator("My dream is", max_new_tokens=5, do_sample=False)
    assert out[0]["generated_text"].startswith("My dream is")


def test_identical_reupload_makes_no_new_commit(api, published, model_folder):
    before = api.list_repo_commits(published)
    info = api.upload_folder(repo_id=published, folder_path=model_folder, commit_message="again")
    after = api.list_repo_commits(published)
    assert len(after) == len(before)
    assert info.oid == before[0].commit_id
