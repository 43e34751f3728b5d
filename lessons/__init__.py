"""Numbered, runnable lessons: ``python -m lessons [--quick] [--backend numpy|cupy] [--out DIR]``."""
