"""The training text, assembled as huggingtweets' demo did, plus a held-out evaluation split.

Per epoch (4), each user's tweets are shuffled with `random.Random(seed)`, smaller users are oversampled up
to the largest user's character count, and users are concatenated in input order; every tweet is
separated by `<|endoftext|>` and the text starts and ends with one (docs/tweet-data.md §1.9). The 5% evaluation
tweets are drawn first, with the same generator, and never appear in the training text.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from publisher.data.cleaning import EOS

EPOCHS = 4
EVAL_FRACTION = 0.05


@dataclass
class Dataset:
    train_text: str
    eval_text: str
    train_tweets: list[list[str]]
    eval_tweets: list[list[str]]


def split_eval(
    tweets: list[str], rng: random.Random, fraction: float = EVAL_FRACTION
) -> tuple[list[str], list[str]]:
    """(train, eval): `fraction` of the tweets, at least one when there are two or more."""
    n_eval = math.ceil(len(tweets) * fraction) if len(tweets) > 1 else 0
    order = list(range(len(tweets)))
    rng.shuffle(order)
    held = set(order[:n_eval])
    train = [t for i, t in enumerate(tweets) if i not in held]
    evaluation = [tweets[i] for i in sorted(held)]
    return train, evaluation


def training_text(cool_tweets: list[list[str]], rng: random.Random, epochs: int = EPOCHS) -> str:
    """huggingtweets' balanced multi-epoch text (the oversampled list persists across epochs, as there)."""
    cool_tweets = [list(t) for t in cool_tweets]  # the original mutated its input; we work on copies
    all_handle_tweets: list[str] = []
    epoch_len = max(len("".join(cool_tweet)) for cool_tweet in cool_tweets)
    for _ in range(epochs):
        for cool_tweet in cool_tweets:
            rng.shuffle(cool_tweet)
            current_tweet = cool_tweet  # alias, as in the original
            current_len = len("".join(current_tweet))
            while cool_tweet and current_len < epoch_len:
                for t in list(cool_tweet):
                    current_tweet.append(t)
                    current_len += len(t)
                    if current_len >= epoch_len:
                        break
            rng.shuffle(current_tweet)
            all_handle_tweets.extend(current_tweet)
    return EOS + EOS.join(all_handle_tweets) + EOS


def eval_text(eval_tweets: list[list[str]]) -> str:
    flat = [t for tweets in eval_tweets for t in tweets]
    return EOS + EOS.join(flat) + EOS if flat else ""


def build_dataset(kept_per_user: list[list[str]], seed: int, epochs: int = EPOCHS) -> Dataset:
    """Split off the evaluation tweets, then assemble the training text, all from one seeded generator."""
    rng = random.Random(seed)
    splits = [split_eval(tweets, rng) for tweets in kept_per_user]
    train = [s[0] for s in splits]
    held = [s[1] for s in splits]
    return Dataset(training_text(train, rng, epochs), eval_text(held), train, held)
