"""The lean single-case path of the fast engine: case sheet -> JSON without rdflib (see assess.py)."""
