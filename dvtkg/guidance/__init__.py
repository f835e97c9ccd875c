"""Guidance: statuses, reasons, missing facts and conflicts, computed by SPARQL."""
