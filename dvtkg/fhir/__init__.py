"""FHIR R4 input: a Bundle (or a list of resources) read as a dvtkg case sheet.

``dvtkg.fhir.convert`` does the reading; ``dvtkg.fhir.codes`` loads the code tables
from the ontology's codes module (no clinical code is written in Python).
"""
