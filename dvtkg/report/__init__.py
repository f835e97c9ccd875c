"""Render an assessment: text for a clinician, JSON for code, Turtle for SPARQL users."""
