"""`publisher publish`: a trained run directory to one verified commit on a Hub.

run.py        the whole publish: target, access check, plan, one commit (or none), tag, verify, back-link
plan.py       the run prepared locally (card, rendering, model files; no network) and the plan against the Hub
modelcheck.py what a run directory must hold: model files, tokenizer/config/weights agreeing, shard index
files.py      the run directory's files read safely (regular files only, bounded, re-checked before sending),
              and LocalFile: a file to publish with its lazily computed oids
hashcache.py  hashes of unchanged weights kept between publishes, so a card-only publish reads no weights
pictures.py   the training curve and the preview, uploaded in the same commit as the card
verify.py     the published revision downloaded and loaded in a clean subprocess
"""
