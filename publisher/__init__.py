"""publisher: model cards and Hugging Face Hub publishing for huggingtweets-style models."""

__version__ = "0.1.0"
