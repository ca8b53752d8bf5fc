"""Seed a namespace of the local hub with 200+ huggingtweets repos for the regenerate tests and benchmark.

Cards are made from classic-layout cards with varied data (1 to 3 users, names in several scripts, with and
without avatars), in kinds whose expected `regenerate` status is known in advance:

  legacy       classic card, untouched                      -> changed
  mojibake     classic card whose names were mis-decoded    -> changed, mojibake repaired
  edited       classic card with a hand edit                -> edited (never touched)
  current      README already the target template + card.json -> unchanged
  stale_json   card.json + a README from the classic template -> changed
  unsupported  a README of a layout the parser does not know -> unsupported
  private      private repo of another user (not visible)   -> failed
  foreign      public repo of another user (no write access) -> failed

Seeding goes through the server's own HTTP API (huggingface_hub's create_repo, then one inline commit of the
small files: the commit POST regenerate itself uses), in parallel threads, so 220 repos take a few seconds and
2,000 well under a minute.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

NAMES = [
    "Khalid Saifullah", "José Müller", "Zoë Ångström", "محمد الأحمد", "山田太郎", "Сергей Иванов",
    "देवनागरी लेखक", "Ελένη Παπαδοπούλου", "김민준", "🍂", "We’re Not Really Strangers", "Ana | Pipe",
    "O'Brien \"Quotes\"", "Dr. <b>Bold</b>", "李小龍 🐉", "Renée: the 2nd", "שרה כהן", "Nguyễn Văn A",
]  # fmt: skip
# Names whose UTF-8 bytes survive a cp1252 mis-decoding without loss, so the repair is exact.
MOJIBAKE_NAMES = ["José Müller", "We’re Not Really Strangers", "Zoë Ångström", "Renée 🤖 Bot", "Crème brûlée"]
DEFAULT_MIX = {
    "legacy": 110, "mojibake": 12, "edited": 24, "current": 36, "stale_json": 16, "unsupported": 12,
    "private": 6, "foreign": 6,
}  # fmt: skip
EXPECTED = {
    "legacy": "changed", "mojibake": "changed", "edited": "edited", "current": "unchanged",
    "stale_json": "changed", "unsupported": "unsupported", "private": "failed", "foreign": "failed",
}  # fmt: skip
UNSUPPORTED_README = "---\nlicense: mit\n---\n\n# {name}\n\nA model card in a layout of its own.\n"


@dataclass
class SeededRepo:
    repo_id: str
    kind: str
    readme: bytes
    card_json: bytes | None = None

    @property
    def expected(self) -> str:
        return EXPECTED[self.kind]


@dataclass
class Seed:
    namespace: str
    owner: str  # the other user's namespace (private / foreign repos)
    repos: list[SeededRepo] = field(default_factory=list)

    def ids(self, *kinds: str) -> list[str]:
        return [r.repo_id for r in self.repos if not kinds or r.kind in kinds]

    def by_id(self) -> dict[str, SeededRepo]:
        return {r.repo_id: r for r in self.repos}

    def expected(self) -> dict[str, str]:
        return {r.repo_id: r.expected for r in self.repos}


def _manifest(rng: random.Random, index: int, names: list[str]) -> dict:
    count = rng.choice([1, 1, 1, 2, 3])
    users = []
    for k in range(count):
        downloaded = rng.randint(200, 3300)
        retweets, short = rng.randint(0, 100), rng.randint(0, 150)
        short = min(short, downloaded - retweets)  # kept >= 0 at every size (the same random draws as before)
        users.append({
            "handle": f"u{index:04d}{'abc'[k]}_{rng.choice(['x', 'tw', 'dev', 'q'])}",
            "name": rng.choice(names),
            "avatar_url": None if rng.random() < 0.15 else f"https://pbs.twimg.com/profile_images/{index}{k}/a_400x400.jpg",
            "stats": {"downloaded": downloaded, "retweets": retweets, "short": short,
                      "kept": downloaded - retweets - short},
        })  # fmt: skip
    return {
        "users": users,
        "wandb": {"entity": "wandb", "project": "huggingtweets", "preprocess_run": f"pre{index:05d}",
                  "train_run": f"trn{index:05d}",
                  "report_url": "https://wandb.ai/wandb/huggingtweets/reports/HuggingTweets-Train-a-Model-to-Generate-Tweets--VmlldzoxMTY5MjI"},
    }  # fmt: skip


def _mis_decode(text: str) -> str:
    return text.encode("utf-8").decode("cp1252")


def _hand_edit(readme: str, rng: random.Random) -> str:
    edits = [
        lambda t: t + "\n## Update\n\nThis bot is retired.\n",
        lambda t: t.replace("## Limitations and bias", "## Limitations, bias and caveats"),
        lambda t: t.replace("I was made with", "I was lovingly made with"),
    ]
    return rng.choice(edits)(readme)


def make_cards(namespace: str, owner: str, *, mix: dict[str, int] | None = None, seed: int = 0,
               template: str = "huggingtweets") -> Seed:  # fmt: skip
    """The repos to seed, with their exact README/card.json bytes (no Hub access)."""
    from publisher.card.manifest import card_from_dict
    from publisher.card.render import render_card
    from publisher.regenerate.decide import render_files

    rng = random.Random(seed)
    result = Seed(namespace, owner)
    index = 0
    for kind, count in (mix or DEFAULT_MIX).items():
        for _ in range(count):
            index += 1
            data = _manifest(rng, index, MOJIBAKE_NAMES if kind == "mojibake" else NAMES)
            ns = owner if kind in {"private", "foreign"} else namespace
            card = card_from_dict(data)
            repo_id = f"{ns}/{card.handle_line}"
            card_json = None
            classic = render_card(card, template="classic", namespace=ns)
            if kind == "mojibake":
                for user in data["users"]:
                    user["name"] = _mis_decode(user["name"])
                classic = _mis_decode_names(classic, card, data)
            if kind == "edited":
                readme = _hand_edit(classic, rng)
            elif kind == "current":
                readme_b, card_json = render_files(card, repo_id, template)
                readme = readme_b.decode("utf-8")
            elif kind == "stale_json":
                _, card_json = render_files(card, repo_id, template)
                readme = classic
            elif kind == "unsupported":
                readme = UNSUPPORTED_README.format(name=card.users[0].handle)
            else:
                readme = classic
            result.repos.append(SeededRepo(repo_id, kind, readme.encode("utf-8"), card_json))
    return result


def _mis_decode_names(classic: str, card, data: dict) -> str:
    """The classic card as an old tool wrote it: every display name stored mis-decoded."""
    for user in card.users:
        classic = classic.replace(user.name, _mis_decode(user.name))
    return classic


def seed_hub(endpoint: str, token: str, seed: Seed, *, owner_token: str, workers: int = 8) -> Seed:
    """Create every repo of `seed` on the hub (one create_repo + one small commit each), in parallel."""
    from publisher.hubclient.bulk import BulkHub

    admin = BulkHub(endpoint, token)
    owner = BulkHub(endpoint, owner_token)

    def _one(repo: SeededRepo) -> None:
        hub = owner if repo.kind in {"private", "foreign"} else admin
        hub.api.create_repo(repo.repo_id, private=repo.kind == "private" or None, exist_ok=True)
        files = {"README.md": repo.readme}
        if repo.card_json is not None:
            files["card.json"] = repo.card_json
        hub._post_commit(repo.repo_id, files, parent_commit=None, message="Seed card")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_one, seed.repos))
    return seed
