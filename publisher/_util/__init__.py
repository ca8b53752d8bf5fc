"""Stdlib-only helpers every layer may import (layer 0)."""
