"""Card templates (Jinja2), shipped as package data of publisher.templates."""
