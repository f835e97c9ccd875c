"""Maintainer script: (re)copy the conformance-test data from a local copy of the published suites.

Not run by the tests (they read only tests/external/). Run it from the project root:

    .venv/bin/python tests/external/copy_from_shared.py --source DIR

DIR holds the W3C SHACL test suite, the W3C SPARQL 1.1 test suite and the OWL 2 test
cases export, as published (tests/external/README.md names their origins).

It copies
- the SHACL test suite's core/ folder unchanged (shacl/core/),
- for each SPARQL 1.1 test named in sparql11-subset-passing-rdflib-and-oxigraph.txt, its query,
  data and result files, and writes a manifest.ttl per folder listing only those entries
  (sparql11/<folder>/), in the W3C manifest vocabulary,
- the OWL 2 test cases listed in OWL_TESTS below out of semantics-direct.rdf, as one Turtle file
  in the W3C OWL 2 test-ontology vocabulary (owl2/owl2-subset.ttl), every triple of each test
  case kept.
Files translated by hand (owl2/translated/) are not touched.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef

HERE = Path(__file__).resolve().parent
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
TEST = Namespace("http://www.w3.org/2007/OWL/testOntology#")

# OWL 2 cases run by tests/test_conformance_owl.py (test:identifier values); the
# functional-syntax-only ones are translated by hand in owl2/translated/.
OWL_TESTS = [
    # datatype restrictions
    "Datatype-Float-Discrete-001",
    "New-Feature-Rational-001",
    "New-Feature-Rational-002",
    "New-Feature-Rational-003",
    "datatype-restriction-min-max-inconsistency",
    "consistent-dataproperty-disjointness",
    "Inconsistent Disjoint Dataproperties",
    "Contradicting datatype Restrictions",
    "Consistent-dateTime",
    "Contradicting-dateTime-restrictions",
    # qualified cardinalities
    "New-Feature-DataQCR-001",
    "New-Feature-ObjectQCR-001",
    "New-Feature-ObjectQCR-002",
    "Qualified-cardinality-boolean",
    # defined classes (owl:equivalentClass with restrictions / intersections)
    "WebOnt-I4.5-001",
    "WebOnt-I4.5-002",
    "WebOnt-I5.2-002",
    "WebOnt-I5.2-004",
    "WebOnt-I5.2-006",
    "WebOnt-equivalentClass-004",
    "WebOnt-equivalentClass-005",
    "WebOnt-equivalentClass-006",
    "WebOnt-someValuesFrom-003",
    "WebOnt-description-logic-001",
    "WebOnt-description-logic-005",
    "WebOnt-description-logic-207",
    "Consistent-but-all-unsat",
]


def copy_shacl(src: Path) -> None:
    dest = HERE / "shacl" / "core"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src / "shacl-w3c-tests" / "core", dest)
    for path in dest.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _n3(g: Graph, node, base: str) -> str:
    if isinstance(node, URIRef) and str(node).startswith(base):
        return f"<{str(node)[len(base):]}>"
    return node.n3(g.namespace_manager)


def copy_sparql(src: Path) -> None:
    root = src / "w3c-sparql" / "sparql11"
    wanted: dict[str, list[str]] = {}
    for line in (src / "sparql11-subset-passing-rdflib-and-oxigraph.txt").read_text().splitlines():
        if line.strip():
            folder, name = line.split()
            wanted.setdefault(folder, []).append(name)
    dest_root = HERE / "sparql11"
    if dest_root.exists():
        shutil.rmtree(dest_root)
    for folder, names in sorted(wanted.items()):
        manifest_path = root / folder / "manifest.ttl"
        g = Graph()
        g.parse(manifest_path)
        base = (root / folder).as_uri() + "/"
        prefix = next(str(ns) for p, ns in g.namespaces() if p == "")
        dest = dest_root / folder
        dest.mkdir(parents=True)
        blocks = []
        files: set[str] = set()
        for name in names:
            test = URIRef(prefix + name)
            assert (test, RDF.type, None) in g, (folder, name)
            action = g.value(test, MF.action)
            result = g.value(test, MF.result)
            parts = [f":{name} a {_n3(g, g.value(test, RDF.type), base)} ;",
                     f"    mf:name {g.value(test, MF.name).n3()} ;"]
            act = []
            for pred in (QT.query, QT.data, QT.graphData):
                for obj in sorted(g.objects(action, pred)):
                    act.append(f"{_n3(g, pred, base)} {_n3(g, obj, base)}")
                    files.add(str(obj)[len(base):])
            parts.append("    mf:action [ " + " ; ".join(act) + " ] ;")
            parts.append(f"    mf:result {_n3(g, result, base)} .")
            files.add(str(result)[len(base):])
            blocks.append("\n".join(parts))
        for name in sorted(files):
            shutil.copyfile(root / folder / name, dest / name)
            (dest / name).chmod(0o644)
        header = (
            f"# The entries of W3C rdf-tests sparql/sparql11/{folder}/manifest.ttl that dvtkg runs\n"
            "# (tests/test_conformance_sparql.py); written by tests/external/copy_from_shared.py.\n"
            f"@prefix : <{prefix}> .\n"
            "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
            "@prefix mf: <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#> .\n"
            "@prefix qt: <http://www.w3.org/2001/sw/DataAccess/tests/test-query#> .\n\n"
            "<> a mf:Manifest ;\n    mf:entries ( " + " ".join(f":{n}" for n in names) + " ) .\n\n"
        )
        (dest / "manifest.ttl").write_text(header + "\n\n".join(blocks) + "\n")


def copy_owl(src: Path) -> None:
    g = Graph()
    g.parse(src / "owl2-w3c-tests" / "semantics-direct.rdf", format="xml")
    out = Graph()
    out.bind("test", TEST)
    found = set()
    for tc in g.subjects(RDF.type, TEST.TestCase):
        ident = str(g.value(tc, TEST.identifier))
        if ident not in OWL_TESTS:
            continue
        found.add(ident)
        for p, o in g.predicate_objects(tc):
            if isinstance(o, Literal):
                o = Literal(str(o))  # plain strings: the export types every string as xsd:string
            out.add((tc, p, o))
        # the negative profile assertions ("this case is not in profile QL") belong to the case too
        # (blank-node labels made stable, so that a re-run writes the same file)
        for npa in g.subjects(URIRef("http://www.w3.org/2002/07/owl#sourceIndividual"), tc):
            if isinstance(npa, BNode):
                target = g.value(npa, URIRef("http://www.w3.org/2002/07/owl#targetIndividual"))
                stable = BNode(f"npa-{ident.replace(' ', '-')}-{str(target).rsplit('#', 1)[-1]}")
                for p, o in g.predicate_objects(npa):
                    out.add((stable, p, o))
    missing = set(OWL_TESTS) - found
    assert not missing, missing
    dest = HERE / "owl2"
    dest.mkdir(exist_ok=True)
    text = out.serialize(format="turtle")
    header = ("# OWL 2 WG test cases (https://www.w3.org/2009/11/owl-test/) that dvtkg runs, taken out of the\n"
              "# semantics-direct.rdf export; written by tests/external/copy_from_shared.py.\n")
    (dest / "owl2-subset.ttl").write_text(header + text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True,
                        help="folder with the published SHACL, SPARQL 1.1 and OWL 2 test suites")
    args = parser.parse_args()
    copy_shacl(args.source)
    copy_sparql(args.source)
    copy_owl(args.source)


if __name__ == "__main__":
    main()
