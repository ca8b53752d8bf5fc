"""`publisher train`: fine-tuning a prepared run, and the W&B runs around it.

train.py        fine-tuning (torch/transformers are imported only here and in tiny_model.py)
tiny_model.py   the offline tiny GPT-2 for `--base-model tiny`, tests and benchmarks
train_log.py    the training progress bar and `<run>/train.log`
base_model.py   where `--base-model` comes from, decided with one quick look-up
wandb_runs.py   the one "is W&B online?" rule, the runs huggingtweets logged, and which of them exist on
                W&B (offline ones synced with `wandb sync` before a card links them)
"""
