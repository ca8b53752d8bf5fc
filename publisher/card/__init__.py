"""Card data, rendering, checking and parsing (no I/O beyond reading templates)."""
