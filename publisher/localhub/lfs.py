"""LFS basic-transfer helpers: self-authenticating upload URLs.

The client PUTs LFS bytes with no Authorization header (docs/hub-api.md §2 #14), so the upload href carries its own
credential: an HMAC over (repo, oid, size, expiry) with a secret that lives only in the server process. The
repo is part of it because LFS objects are scoped per repo: an upload URL granted for one repo adds the object
to that repo only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from typing import TypeGuard

UPLOAD_URL_TTL_S = 3600


class UrlSigner:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or os.urandom(32)

    def _mac(self, scope: str, oid: str, size: int, expires: int) -> str:
        return hmac.new(self._secret, f"{scope}\0{oid}:{size}:{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, scope: str, oid: str, size: int, ttl_s: int = UPLOAD_URL_TTL_S) -> str:
        """The query string (without '?') that authorises one upload of `oid` with `size` bytes into `scope`."""
        expires = int(time.time()) + ttl_s
        return f"size={size}&expires={expires}&sig={self._mac(scope, oid, size, expires)}"

    def check(self, scope: str, oid: str, size: int, expires: int, sig: str) -> str | None:
        """None if the signature is valid for this scope and unexpired, else the reason."""
        if expires < time.time():
            return "upload URL expired; ask the LFS batch endpoint for a new one"
        if not hmac.compare_digest(self._mac(scope, oid, size, expires), sig):
            return "invalid upload URL signature"
        return None


def is_sha256(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
