"""The knowledge-base shapes (shapes/knowledge.ttl) against their fixtures.

Fixtures live in tests/fixtures/shapes/knowledge/{valid,invalid}/<rule-at-stake>.ttl.
Each is a small self-contained graph. A valid fixture must conform; an invalid
fixture starts with comment lines

    # expect: <focus> <path or -> <ConstraintComponent local name>

(focus and path as prefixed names of the fixture's own prefixes, or <full IRIs>;
a blank-node focus is written []) and its pySHACL report, through
dvtkg.validate, must contain exactly that set of (focus, path, constraint).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from dvtkg.validate import ResultEntry, validate_graph

ROOT = Path(__file__).resolve().parents[1]
SHAPES_FILE = ROOT / "shapes" / "knowledge.ttl"
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "shapes" / "knowledge"
VALID = sorted((FIXTURE_DIR / "valid").glob("*.ttl"))
INVALID = sorted((FIXTURE_DIR / "invalid").glob("*.ttl"))

Expectation = tuple[str, str, str]


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE)


def _term(token: str, graph: Graph, path: Path) -> str:
    """Expand a focus or path token of an expect line to the string compared with the report."""
    if token in ("-", "[]"):
        return token
    if token.startswith("<") and token.endswith(">"):
        return token[1:-1]
    if ":" in token:
        try:
            return str(graph.namespace_manager.expand_curie(token))
        except ValueError as exc:
            raise ValueError(f"{path.name}: cannot expand {token!r}: {exc}") from exc
    raise ValueError(f"{path.name}: {token!r} is neither a prefixed name, an <IRI>, '-' nor '[]'")


def leading_comments(path: Path) -> list[str]:
    """The comment lines at the top of a fixture, before its first Turtle line."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines


def parse_expectations(path: Path, graph: Graph | None = None) -> set[Expectation]:
    """Read the ``# expect:`` lines of a fixture; malformed lines raise ValueError."""
    graph = graph if graph is not None else Graph().parse(path)
    expected: set[Expectation] = set()
    for line in leading_comments(path):
        body = line.lstrip("#").strip()
        if not body.startswith("expect:"):
            continue
        tokens = body[len("expect:"):].split()
        if len(tokens) != 3:
            raise ValueError(f"{path.name}: expect line needs <focus> <path or -> <Component>: {line!r}")
        focus, prop, component = tokens
        if not component.endswith("ConstraintComponent"):
            raise ValueError(f"{path.name}: {component!r} is not a constraint component local name")
        expected.add((_term(focus, graph, path), _term(prop, graph, path), component))
    return expected


def actual_results(results: list[ResultEntry]) -> set[Expectation]:
    out = set()
    for r in results:
        focus, prop, component = r.key()
        out.add(("[]" if isinstance(r.focus, BNode) else focus, prop, component))
    return out


def _diff(expected: set[Expectation], actual: set[Expectation]) -> str:
    missing = "\n  ".join(" ".join(e) for e in sorted(expected - actual)) or "-"
    extra = "\n  ".join(" ".join(e) for e in sorted(actual - expected)) or "-"
    return f"\nexpected but not reported:\n  {missing}\nreported but not expected:\n  {extra}"


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_fixture_conforms(path: Path, shapes: Graph) -> None:
    data = Graph().parse(path)
    report = validate_graph(data, shapes)
    assert report.conforms, report.format_text()
    assert report.results == []


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_reports_exactly_the_expected_results(path: Path, shapes: Graph) -> None:
    data = Graph().parse(path)
    expected = parse_expectations(path, data)
    report = validate_graph(data, shapes)
    assert not report.conforms
    actual = actual_results(report.results)
    assert actual == expected, _diff(expected, actual) + "\n\nreport:\n" + report.format_text()
    assert all(r.message for r in report.results), "every result carries the shape's sh:message"


def test_fixture_sets_exist() -> None:
    assert VALID and INVALID


def test_every_invalid_fixture_lists_expectations() -> None:
    for path in INVALID:
        assert parse_expectations(path), f"{path.name} lists no '# expect:' line"
        assert leading_comments(path)[0].startswith("# expect:"), f"{path.name} must start with its expect lines"


def test_valid_fixtures_list_no_expectations() -> None:
    for path in VALID:
        assert not parse_expectations(path), f"valid fixture {path.name} lists expected results"


def test_malformed_expect_line_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("# expect: <https://example.org/x> MinCountConstraintComponent\n"
                   "<https://example.org/x> <https://example.org/p> 1 .\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expect line"):
        parse_expectations(bad)
    bad.write_text("# expect: <https://example.org/x> - MinCount\n"
                   "<https://example.org/x> <https://example.org/p> 1 .\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="constraint component"):
        parse_expectations(bad)


def _named(shapes: Graph, kind: URIRef) -> set[URIRef]:
    return {s for s in shapes.subjects(RDF.type, kind) if isinstance(s, URIRef)}


def test_every_shape_has_a_name_and_a_message(shapes: Graph) -> None:
    for shape in _named(shapes, SH.NodeShape) | _named(shapes, SH.PropertyShape):
        assert shapes.value(shape, SH.name) is not None, f"{shape} has no sh:name"
        assert shapes.value(shape, SH.message) is not None, f"{shape} has no sh:message"
    for constraint in shapes.objects(None, SH.sparql):
        assert shapes.value(constraint, SH.message) is not None, "every SPARQL constraint has an sh:message"


def test_every_property_shape_is_exercised_by_an_invalid_fixture(shapes: Graph) -> None:
    fired: set[URIRef] = set()
    for path in INVALID:
        report = validate_graph(Graph().parse(path), shapes)
        fired |= {r.shape for r in report.results if isinstance(r.shape, URIRef)}
    unexercised = sorted(str(s) for s in _named(shapes, SH.PropertyShape) - fired)
    assert not unexercised, "property shapes no invalid fixture violates:\n" + "\n".join(unexercised)


def _focus_nodes(shape: URIRef, shapes: Graph, data: Graph) -> set:
    """Focus nodes of a node shape in ``data`` (targetClass with subclasses, targetSubjectsOf, SPARQL target)."""
    nodes: set = set()
    for cls in shapes.objects(shape, SH.targetClass):
        for row in data.query("SELECT ?x WHERE { ?x a/<%s>* ?c }" % RDFS.subClassOf, initBindings={"c": cls}):
            nodes.add(row[0])
    for prop in shapes.objects(shape, SH.targetSubjectsOf):
        nodes |= set(data.subjects(prop, None))
    for target in shapes.objects(shape, SH.target):
        select = str(shapes.value(target, SH.select))
        prefixes = "\n".join(
            f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>"
            for d in shapes.objects(shapes.value(target, SH.prefixes), SH.declare))
        nodes |= {row[0] for row in data.query(prefixes + "\n" + select)}
    return nodes


def test_every_node_shape_has_a_valid_fixture_with_focus_nodes(shapes: Graph) -> None:
    graphs = [Graph().parse(p) for p in VALID]
    uncovered = [str(shape) for shape in sorted(_named(shapes, SH.NodeShape))
                 if not any(_focus_nodes(shape, shapes, g) for g in graphs)]
    assert not uncovered, "node shapes with no focus node in any valid fixture:\n" + "\n".join(uncovered)


def test_every_node_shape_has_an_invalid_fixture(shapes: Graph) -> None:
    graphs = [Graph().parse(p) for p in INVALID]
    uncovered = [str(shape) for shape in sorted(_named(shapes, SH.NodeShape))
                 if not any(_focus_nodes(shape, shapes, g) for g in graphs)]
    assert not uncovered, "node shapes with no focus node in any invalid fixture:\n" + "\n".join(uncovered)


def test_report_text_has_one_line_per_result(shapes: Graph) -> None:
    path = FIXTURE_DIR / "invalid" / "statement-text-malformed.ttl"
    report = validate_graph(Graph().parse(path), shapes)
    lines = report.format_text().splitlines()
    assert len(lines) == len(report.results) == 3
    assert all("ConstraintComponent]" in line for line in lines)


def test_validate_graph_does_not_modify_its_inputs(shapes: Graph) -> None:
    data = Graph().parse(FIXTURE_DIR / "valid" / "recommendation-complete.ttl")
    ontology = Graph().parse(ROOT / "ontology" / "modules" / "core.ttl")
    sizes = (len(data), len(shapes), len(ontology))
    validate_graph(data, shapes, ontology)
    assert (len(data), len(shapes), len(ontology)) == sizes
