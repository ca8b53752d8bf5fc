"""Tweet archive import, cleaning, counting and dataset assembly."""
