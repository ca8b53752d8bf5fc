"""Who may do what on the local hub: tokens map to a user and the namespaces (orgs) it may write to.

With no configuration there is one user, `local`, whose token is `hf_publisherlocalhub` and who may write to
any namespace: the documented default for rehearsals on one machine. Anonymous requests may read public repos.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_LOCAL_TOKEN = "hf_publisherlocalhub"
DEFAULT_LOCAL_USER = "local"
ANY_NAMESPACE = "*"


@dataclass(frozen=True)
class User:
    name: str
    token: str = field(repr=False)
    orgs: tuple[str, ...] = ()
    fullname: str = ""
    org_fullnames: tuple[tuple[str, str], ...] = ()

    def can_write(self, namespace: str) -> bool:
        return namespace == self.name or namespace in self.orgs or ANY_NAMESPACE in self.orgs

    def whoami(self) -> dict:
        """The whoami-v2 document (never includes the token itself)."""
        names = dict(self.org_fullnames)
        orgs = [
            {"name": o, "fullname": names.get(o, o), "type": "org"} for o in self.orgs if o != ANY_NAMESPACE
        ]
        return {
            "type": "user",
            "id": self.name,
            "name": self.name,
            "fullname": self.fullname or self.name,
            "email": None,
            "emailVerified": False,
            "isPro": False,
            "orgs": orgs,
            "auth": {"type": "access_token", "accessToken": {"displayName": "local", "role": "write"}},
        }


def user_from_dict(entry: dict) -> User:
    """A user from a config entry {"name", "token", "orgs"}; a clear ValueError names a missing field."""
    for key in ("name", "token"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ValueError(f"auth user entry needs a non-empty string {key!r}")
    raw_orgs = entry.get("orgs") or []
    orgs, org_fullnames = [], []
    for org in raw_orgs if isinstance(raw_orgs, list) else [None]:
        if isinstance(org, dict) and isinstance(org.get("name"), str) and org["name"]:
            orgs.append(org["name"])
            if isinstance(org.get("fullname"), str):
                org_fullnames.append((org["name"], org["fullname"]))
        elif isinstance(org, str):
            orgs.append(org)
        else:
            raise ValueError(
                f"auth user {entry['name']!r}: 'orgs' must be a list of names (or {{name, fullname}})"
            )
    fullname = entry.get("fullname") or ""
    if not isinstance(fullname, str):
        raise ValueError(f"auth user {entry['name']!r}: 'fullname' must be a string")
    return User(entry["name"], entry["token"], tuple(orgs), fullname, tuple(org_fullnames))


def parse_token_flag(value: str) -> dict:
    """`NAME:TOKEN[:ORG,ORG]` (from --token) as a user entry."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise ValueError("--token must look like NAME:TOKEN or NAME:TOKEN:ORG1,ORG2")
    orgs = [o for o in parts[2].split(",") if o] if len(parts) == 3 else []
    return {"name": parts[0], "token": parts[1], "orgs": orgs}


def load_auth_file(path: str | Path) -> list[dict]:
    """Users from a JSON or YAML file: {"users": [{"name", "token", "orgs": [...], "fullname"}]} (or just the list)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = yaml.safe_load(text)
    users = data.get("users") if isinstance(data, dict) else data
    if not isinstance(users, list):
        raise ValueError(f"{path}: expected a list of users under 'users'")
    for entry in users:
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: each user must be a mapping with name, token, orgs")
        user_from_dict(entry)
    return users


class Users:
    """The token table; mutable at run time (a session-wide test server adds users)."""

    def __init__(self, entries: list[dict] | None) -> None:
        self._lock = threading.Lock()
        self._by_token: dict[str, User] = {}
        if entries is None:
            entries = [{"name": DEFAULT_LOCAL_USER, "token": DEFAULT_LOCAL_TOKEN, "orgs": [ANY_NAMESPACE]}]
        for entry in entries:
            self.add(user_from_dict(entry))

    def add(self, user: User) -> None:
        with self._lock:
            self._by_token[user.token] = user

    def by_token(self, token: str) -> User | None:
        with self._lock:
            return self._by_token.get(token)
