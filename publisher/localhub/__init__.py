"""A Hub-compatible local server (`publisher hub serve`): the real huggingface_hub and transformers clients
upload to it and download from it, offline. See docs/hub-api.md for the protocol it implements.

It never imports huggingface_hub, transformers, torch or wandb.
"""

from publisher.localhub.app import HubServer
from publisher.localhub.auth import DEFAULT_LOCAL_TOKEN, DEFAULT_LOCAL_USER

__all__ = ["HubServer", "DEFAULT_LOCAL_TOKEN", "DEFAULT_LOCAL_USER"]
