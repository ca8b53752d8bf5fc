"""Everything that talks to or emulates the Hugging Face Hub."""
