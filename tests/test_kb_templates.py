"""The criterion pattern (dvtkg/kb/templates.py): the committed generated file is up to date, and the table's
cells render to the OWL structures the criteria need; bad rows get a message naming file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, XSD, Literal, Namespace

from dvtkg.kb import templates
from dvtkg.kb.templates import TemplateError, generate, read_table, render_term

DVT = Namespace("https://w3id.org/dvtkg/ontology#")
DVTC = Namespace("https://w3id.org/dvtkg/criterion/")
HEAD = "\t".join(templates.COLUMNS) + "\n"


def test_generated_criteria_are_up_to_date(project_root: Path) -> None:
    committed = (project_root / templates.OUTPUT).read_text(encoding="utf-8")
    assert committed == generate(project_root), "ontology/modules/criteria-table.ttl is stale: run `make generate`"


def test_table_and_handwritten_criteria_do_not_overlap(project_root: Path) -> None:
    table = rdflib.Graph().parse(project_root / templates.OUTPUT)
    hand = rdflib.Graph().parse(project_root / "ontology/modules/criteria.ttl")
    both = set(table.subjects(RDF.type, DVT.Criterion)) & set(hand.subjects(RDF.type, DVT.Criterion))
    assert not both, f"criteria both generated and hand-written: {sorted(both)}"


def _render(tmp_path: Path, row: str) -> rdflib.Graph:
    root = tmp_path
    (root / "ontology/templates").mkdir(parents=True)
    (root / templates.TABLE).write_text(HEAD + row + "\n", encoding="utf-8")
    pattern = Path(templates.__file__).resolve().parents[2] / templates.PATTERN
    (root / templates.PATTERN).write_text(pattern.read_text(encoding="utf-8"), encoding="utf-8")
    return rdflib.Graph().parse(data=generate(root), format="turtle")


def test_a_boolean_fact_row(tmp_path: Path) -> None:
    g = _render(tmp_path, "ActiveCancer\tpatient\tactive cancer\tThe patient has active cancer.\t"
                          "conditions.activeCancer\t\tactiveCancer value true\tactiveCancer value false")
    crit = DVTC.ActiveCancer
    assert (crit, RDF.type, DVT.Criterion) in g
    assert g.value(crit, DVT.meetsClass) == DVT.ActiveCancerMet
    assert str(g.value(DVT.ActiveCancerMet, rdflib.RDFS.label)) == "meets: active cancer"
    restriction = [r for r in g.subjects(OWL.onProperty, DVT.activeCancer)]
    values = sorted(g.value(r, OWL.hasValue).toPython() for r in restriction)
    assert values == [False, True]


def test_a_threshold_keeps_the_exact_comparison(tmp_path: Path) -> None:
    # "30 exactly meets it": <= 30 is met, > 30 is not met (the source's comparison, both sides of the boundary)
    g = _render(tmp_path, "CrclAtMost30\tpatient\tCrCl 30 or less\tdef\tlabs.crclMlMin\t\t"
                          "crclMlMin some xsd:decimal[<= 30]\tcrclMlMin some xsd:decimal[> 30]")
    facets = {(p, o) for s, p, o in g if p in (XSD.maxInclusive, XSD.minExclusive)}
    assert facets == {(XSD.maxInclusive, Literal("30", datatype=XSD.decimal)),
                      (XSD.minExclusive, Literal("30", datatype=XSD.decimal))}


def test_a_union_and_a_limb_level_row(tmp_path: Path) -> None:
    g = _render(tmp_path, "LimbX\tlimb\tx in this limb\tdef\tlimbs.{limb}.veins\trule-missing-limb\t"
                          "hasThrombusIn some dvt:ProximalVeinSegment or dvt:FooMet\t"
                          "hasThrombusIn only not dvt:ProximalVeinSegment")
    assert g.value(DVTC.LimbX, DVT.criterionLevel) == rdflib.URIRef("https://w3id.org/dvtkg/value/limb-level")
    assert any(True for _ in g.triples((None, OWL.unionOf, None)))
    assert any(True for _ in g.triples((None, OWL.complementOf, DVT.ProximalVeinSegment)))
    definitions = {str(o) for o in g.objects(None, rdflib.SKOS.definition)}
    assert "A limb that meets the criterion 'x in this limb'." in definitions


@pytest.mark.parametrize("row, column", [
    ("activeCancer\tpatient\tl\td\tk\t\tp value true\tp value false", "column id"),
    ("X\tperson\tl\td\tk\t\tp value true\tp value false", "column level"),
    ("X\tpatient\tl\td\tk\t\tp maybe true\tp value false", "column met"),
    ("X\tpatient\tl\td\tk\t\tp value true\tp some xsd:decimal[~ 3]", "column not_met"),
    ("X\tpatient\t\td\tk\t\tp value true\tp value false", "column label"),
])
def test_bad_rows_name_the_row_and_column(tmp_path: Path, row: str, column: str) -> None:
    path = tmp_path / "criteria.tsv"
    path.write_text(HEAD + row + "\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=rf"criteria.tsv row 2 .*{column}"):
        read_table(path)


def test_a_wrong_header_is_named(tmp_path: Path) -> None:
    path = tmp_path / "criteria.tsv"
    path.write_text("id\tlabel\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="the header must be"):
        read_table(path)


def test_render_term_rejects_an_unknown_form() -> None:
    with pytest.raises(TemplateError, match="cannot read the term"):
        render_term("activeCancer is true", "here")
