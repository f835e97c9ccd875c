"""Merge every ``ontology/**/*.ttl`` into one knowledge graph, check it, write it.

Run as ``python -m dvtkg.kb.build`` (the same as ``dvtkg kb build``). Outputs:

- ``build/dvtkg.ttl``: the merged Turtle;
- ``build/dvtkg.owl``: the same graph as RDF/XML, which owlready2 loads offline;
- ``build/kb-<hash>.ttl``: the load cache, keyed by a content hash of the sources.

In the merged graph only the main ontology header (``ontology/dvt.ttl``) is kept:
the modules' ``owl:Ontology`` headers are dropped and so is every ``owl:imports``,
because everything imported is already in the one graph and owlready2 must never
try to fetch a module over the network.

Before merging, the build checks that the sources agree with each other:

- every file parses (a syntax error is reported as ``<file> line N: <message>``);
- ``ontology/dvt.ttl``'s ``owl:versionInfo`` equals the ``VERSION`` file;
- every other file declares exactly one module ``owl:Ontology``, no two files the same;
- ``dvt.ttl`` imports exactly the declared modules;
- ``ontology/catalog-v001.xml`` maps each module IRI to the file that declares it.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF

from dvtkg import paths

MAIN_ONTOLOGY = URIRef("https://w3id.org/dvtkg/ontology")
MAIN_FILE = "dvt.ttl"
CATALOG_FILE = "catalog-v001.xml"
CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"

from dvtkg.kb.sources import BUILD_FORMAT, KnowledgeError, _rel, source_files, sources_hash  # noqa: E402,F401 - re-exported

MERGED_TTL = "dvtkg.ttl"
MERGED_OWL = "dvtkg.owl"
CACHE_PREFIX = "kb-"


class TurtleSyntaxError(KnowledgeError):
    """One or more ontology files do not parse."""


@dataclass
class BuildResult:
    ttl: Path
    owl: Path
    triples: int
    source_hash: str
    files: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- sources


def _syntax_message(exc: Exception, rel: str) -> str:
    """``<file> line N: <message>`` from an rdflib parser exception."""
    line = None
    why = None
    lines = getattr(exc, "lines", None)
    if isinstance(lines, int):
        line = lines + 1
    why = getattr(exc, "_why", None)
    text = str(exc)
    if line is None:
        m = re.search(r"line (\d+)", text)
        if m:
            line = int(m.group(1))
    if not why:
        why = text.splitlines()[0] if text else type(exc).__name__
        why = re.sub(r"^at line \d+ of <[^>]*>:\s*", "", why)
    why = " ".join(str(why).split())
    return f"{rel} line {line}: {why}" if line is not None else f"{rel}: {why}"


def parse_file(path: Path, root: Path) -> Graph:
    """Parse one Turtle file; a syntax error becomes :class:`TurtleSyntaxError`."""
    rel = _rel(path, root)
    g = Graph(bind_namespaces="core")
    try:
        g.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises BadSyntax (a SyntaxError) and others
        raise TurtleSyntaxError(_syntax_message(exc, rel)) from None
    return g


def read_version(root: Path) -> str:
    vf = paths.version_file(root)
    if not vf.exists():
        raise KnowledgeError(f"{_rel(vf, root)} is missing (it holds the release version, e.g. 0.1.0)")
    version = vf.read_text(encoding="utf-8").strip()
    if not version:
        raise KnowledgeError(f"{_rel(vf, root)} is empty")
    return version


def read_catalog(path: Path, root: Path) -> dict[str, Path]:
    """Module IRI -> local file, from an OASIS XML catalog (Protégé style)."""
    rel = _rel(path, root)
    try:
        tree = ET.parse(path)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise KnowledgeError(f"{rel} line {line}: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    mapping: dict[str, Path] = {}
    for el in tree.getroot().iter(f"{{{CATALOG_NS}}}uri"):
        name, uri = el.get("name"), el.get("uri")
        if name and uri:
            mapping[name] = (path.parent / uri).resolve()
    return mapping


# ---------------------------------------------------------------- merge


def _drop_subject_tree(g: Graph, subject) -> None:
    """Remove every triple of ``subject`` and of blank nodes only it reaches."""
    objects = [o for o in g.objects(subject, None) if isinstance(o, BNode)]
    g.remove((subject, None, None))
    for o in objects:
        if next(iter(g.subjects(None, o)), None) is None:  # nothing else points at it
            _drop_subject_tree(g, o)


def _check_consistency(parsed: dict[str, Graph], root: Path) -> list[str]:
    problems: list[str] = []
    main_rel = f"ontology/{MAIN_FILE}"
    main = parsed.get(main_rel)
    if main is None:
        return [f"{main_rel} is missing (it holds the ontology header and owl:imports)"]

    if (MAIN_ONTOLOGY, RDF.type, OWL.Ontology) not in main:
        problems.append(f"{main_rel}: does not declare <{MAIN_ONTOLOGY}> a owl:Ontology")

    # version
    try:
        version = read_version(root)
    except KnowledgeError as exc:
        problems.append(str(exc))
        version = None
    infos = [str(o) for o in main.objects(MAIN_ONTOLOGY, OWL.versionInfo)]
    if version is not None:
        if infos != [version]:
            found = ", ".join(f'"{i}"' for i in infos) or "none"
            problems.append(
                f'{main_rel}: owl:versionInfo is {found} but VERSION says "{version}"; '
                "they must be equal (VERSION is the single source of truth)"
            )
        expected_iri = URIRef(f"{MAIN_ONTOLOGY}/{version}")
        viris = list(main.objects(MAIN_ONTOLOGY, OWL.versionIRI))
        if viris != [expected_iri]:
            found = ", ".join(f"<{v}>" for v in viris) or "none"
            problems.append(f"{main_rel}: owl:versionIRI is {found}, expected <{expected_iri}>")

    # module headers
    declared: dict[str, str] = {}
    for rel, g in parsed.items():
        if rel == main_rel:
            continue
        onts = sorted(str(s) for s in g.subjects(RDF.type, OWL.Ontology))
        if not onts:
            problems.append(f"{rel}: declares no owl:Ontology for its module")
            continue
        if len(onts) > 1:
            problems.append(f"{rel}: declares {len(onts)} owl:Ontology headers ({', '.join(onts)}); one per file")
        for iri in onts:
            if iri == str(MAIN_ONTOLOGY):
                problems.append(f"{rel}: declares the main ontology <{iri}>; only {main_rel} may")
            elif iri in declared:
                problems.append(f"{rel}: module <{iri}> is already declared by {declared[iri]}")
            else:
                declared[iri] = rel

    imports = {str(o) for o in main.objects(MAIN_ONTOLOGY, OWL.imports)}
    for iri, rel in sorted(declared.items(), key=lambda kv: kv[1]):
        if iri not in imports:
            problems.append(f"{main_rel}: does not import <{iri}> (declared by {rel}); add an owl:imports")
    for iri in sorted(imports - set(declared)):
        problems.append(f"{main_rel}: imports <{iri}>, which no ontology file declares")

    # catalog
    cat_path = paths.ontology_dir(root) / CATALOG_FILE
    cat_rel = _rel(cat_path, root)
    if not cat_path.exists():
        problems.append(f"{cat_rel} is missing (module IRI -> local file, for offline resolution)")
    else:
        try:
            catalog = read_catalog(cat_path, root)
        except KnowledgeError as exc:
            problems.append(str(exc))
            catalog = None
        if catalog is not None:
            for iri, rel in sorted(declared.items(), key=lambda kv: kv[1]):
                target = catalog.get(iri)
                expected = (root / rel).resolve()
                if target is None:
                    problems.append(f"{cat_rel}: no entry for <{iri}> (declared by {rel})")
                elif target != expected:
                    problems.append(
                        f"{cat_rel}: maps <{iri}> to {_rel(target, root)}, but {rel} declares it"
                    )
            for iri in sorted(set(catalog) - set(declared)):
                problems.append(f"{cat_rel}: maps <{iri}>, which no ontology file declares")
    return problems


def merge_sources(root: Path | None = None) -> Graph:
    """Parse, check and merge every ontology file into one graph (no caching)."""
    root = (root or paths.project_root()).resolve()
    files = source_files(root)
    if not files:
        raise KnowledgeError(f"no .ttl files under {root / 'ontology'}")
    parsed: dict[str, Graph] = {}
    errors: list[str] = []
    for path in files:
        try:
            parsed[_rel(path, root)] = parse_file(path, root)
        except TurtleSyntaxError as exc:
            errors.append(str(exc))
    if errors:
        raise TurtleSyntaxError("\n".join(errors))
    problems = _check_consistency(parsed, root)
    if problems:
        raise KnowledgeError("the ontology sources are inconsistent:\n  " + "\n  ".join(problems))

    merged = Graph(bind_namespaces="core")
    for g in parsed.values():
        for prefix, ns in g.namespaces():
            if prefix and prefix not in dict(merged.namespaces()):
                merged.bind(prefix, ns, override=False)
        merged += g

    # keep only the main header; never leave an owl:imports for owlready2 to follow
    for module in set(merged.subjects(RDF.type, OWL.Ontology)) - {MAIN_ONTOLOGY}:
        _drop_subject_tree(merged, module)
    merged.remove((None, OWL.imports, None))
    return merged


# ---------------------------------------------------------------- outputs


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _serialize(graph: Graph, fmt: str) -> bytes:
    try:
        data = graph.serialize(format=fmt, encoding="utf-8")
    except Exception as exc:
        raise KnowledgeError(f"cannot serialise the merged graph as {fmt}: {exc}") from None
    return data if isinstance(data, bytes) else data.encode("utf-8")


def _write_cache(root: Path, digest: str, ttl_bytes: bytes) -> None:
    out = paths.cache_dir(root)
    try:
        _atomic_write(out / f"{CACHE_PREFIX}{digest}.ttl", ttl_bytes)
        for old in out.glob(f"{CACHE_PREFIX}*.ttl"):
            if old.name != f"{CACHE_PREFIX}{digest}.ttl":
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only checkout still works, only slower


def build(root: Path | None = None) -> BuildResult:
    """Write build/dvtkg.ttl, build/dvtkg.owl and the load cache."""
    root = (root or paths.project_root()).resolve()
    files = source_files(root)
    digest = sources_hash(root, files)
    graph = merge_sources(root)
    ttl = _serialize(graph, "turtle")
    owl = _serialize(graph, "xml")
    out = paths.cache_dir(root)  # build/ of a clone; never an installed package's own data
    _atomic_write(out / MERGED_TTL, ttl)
    _atomic_write(out / MERGED_OWL, owl)
    _write_cache(root, digest, ttl)
    return BuildResult(
        ttl=out / MERGED_TTL,
        owl=out / MERGED_OWL,
        triples=len(graph),
        source_hash=digest,
        files=[_rel(f, root) for f in files],
    )


def check_owlready(owl_path: Path) -> int:
    """Load the RDF/XML output into a fresh owlready2 World with the network cut off.

    Returns the number of classes owlready2 saw; raises KnowledgeError if loading
    fails or tries to fetch anything.
    """
    import urllib.request

    import owlready2

    def _no_network(*args, **kwargs):
        raise KnowledgeError(f"owlready2 tried to fetch {args[0] if args else '?'} while loading {owl_path}")

    saved = urllib.request.urlopen
    urllib.request.urlopen = _no_network
    try:
        world = owlready2.World()
        try:
            onto = world.get_ontology(Path(owl_path).resolve().as_uri()).load()
        except KnowledgeError:
            raise
        except Exception as exc:
            raise KnowledgeError(f"owlready2 cannot load {owl_path}: {exc}") from None
        if onto.imported_ontologies:
            raise KnowledgeError(f"{owl_path} still imports {onto.imported_ontologies}")
        n = len(list(world.classes()))
        world.close()
        return n
    finally:
        urllib.request.urlopen = saved


# ---------------------------------------------------------------- loading

def load_knowledge(root: Path | None = None) -> Graph:
    """The merged knowledge graph, a new :class:`~rdflib.Graph` on every call.

    Read from ``build/kb-<hash>.ttl`` when the sources are unchanged (a hash of their
    content), else merged from the sources (and that cache written). Nothing is kept
    between calls: the caller owns the graph it gets, and a caller that needs it
    several times loads it once and passes it on.
    """
    root = (root or paths.project_root()).resolve()
    files = source_files(root)
    digest = sources_hash(root, files)
    for folder in dict.fromkeys((paths.build_dir(root), paths.cache_dir(root))):
        cache = folder / f"{CACHE_PREFIX}{digest}.ttl"
        if cache.exists():
            try:
                return Graph(bind_namespaces="core").parse(cache, format="turtle")
            except Exception:
                pass  # a damaged cache is rebuilt
    graph = merge_sources(root)
    _write_cache(root, digest, _serialize(graph, "turtle"))
    return graph


def main(argv: list[str] | None = None) -> int:
    """``python -m dvtkg.kb.build`` = ``dvtkg kb build``."""
    from dvtkg import cli

    return cli.main(["kb", "build", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
