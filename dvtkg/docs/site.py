"""Generate the static documentation site (``dvtkg docs build``) from the merged knowledge.

The site, written to ``build/docs/`` by default:

- ``index.html``: the guidelines (and product labels) with their statement counts;
- ``guidelines/<KEY>.html``: one page per source document, listing its statements;
- ``rec/<ID>.html``: one page per guidance statement: the statement, its source with
  citation and DOI link, the native grade as a badge with the scheme's meaning, the
  direction, the check status, the criteria in plain words by role, the conflicts, the
  superseded chain and the supporting trials;
- ``term/<prefix>-<name>.html``: one page per ontology term (label, definition,
  hierarchy, where it is used);
- ``grading.html``: the grading schemes side by side; ``terms.html``: every term.

Every link between pages is relative, so the site opens from ``file://``. The data
comes from the graph :func:`dvtkg.kb.build.load_knowledge` returns (SPARQL for the
listings, rdflib for the details) and, for the conflicts, from
:class:`dvtkg.guidance.knowledge.KnowledgeBase` and :func:`dvtkg.kb.conflicts.analyse`
(pairs whose populations HermiT finds can meet); without the reasoner the pages show
the knowledge-level candidate pairs, labelled as such.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from dvtkg import logs, paths
from dvtkg.docs.html import NAV, STYLE_PATH, Linker, attr, esc
from dvtkg.docs.templating import Markup, render, style_css
from dvtkg.queryfiles import find_queries

DVT = Namespace("https://w3id.org/dvtkg/ontology#")
DVTC = Namespace("https://w3id.org/dvtkg/criterion/")
DVTV = Namespace("https://w3id.org/dvtkg/value/")
GRADE = Namespace("https://w3id.org/dvtkg/grade/")
REC = Namespace("https://w3id.org/dvtkg/rec/")
PROV = Namespace("http://www.w3.org/ns/prov#")
FABIO = Namespace("http://purl.org/spar/fabio/")

#: the project's namespaces: a named node in one of these gets a page
OWN_PREFIXES = [("dvt", DVT), ("dvtc", DVTC), ("dvtv", DVTV), ("grade", GRADE), ("rec", REC)]
OTHER_PREFIXES = [("owl", OWL), ("rdfs", RDFS), ("rdf", RDF), ("skos", SKOS), ("xsd", XSD),
                  ("dcterms", DCTERMS), ("prov", PROV), ("fabio", FABIO)]

NONE_CELL = '<span class="muted">-</span>'
MARKER = ".dvtkg-docs"  # marks an output directory as this generator's (so it may be replaced)

#: criterion roles in page order: property, heading, what the role does
CRITERION_ROLES = [
    (DVT.hasRequiredCriterion, "required", "Required",
     "All must be met; one not met makes the statement not applicable, one unknown makes it indeterminate."),
    (DVT.hasExcludingCriterion, "excluding", "Excluding",
     "Population exclusions: one met makes the statement not applicable."),
    (DVT.hasBlockingCriterion, "blocking", "Blocking",
     "Absolute contraindications: one met blocks the statement (it is shown as blocked, naming the criterion)."),
    (DVT.hasCautionCriterion, "caution", "Caution",
     "Relative contraindications: shown beside the statement when met; they never block it."),
    (DVT.shownWith, "shown-with", "Shown with",
     "Facts displayed beside the result; they do not decide it."),
]

#: grading schemes whose strength digit and quality letter are shown as one grade (ACCP "1B")
COMBINED_SCHEMES = {GRADE["scheme-accp"]}

#: predicates not listed under "where it is used" when both ends are named (the hierarchy shows them)
HIERARCHY_PREDICATES = {RDF.type, RDFS.subClassOf, RDFS.subPropertyOf, RDFS.isDefinedBy, SKOS.inScheme,
                        SKOS.topConceptOf, SKOS.hasTopConcept, SKOS.broader, SKOS.narrower}

#: predicates a term page shows in its own sections, not in the "other facts" table
SHOWN_ELSEWHERE = HIERARCHY_PREDICATES | {RDFS.label, SKOS.definition, SKOS.prefLabel, RDFS.domain, RDFS.range,
                                          OWL.inverseOf, OWL.equivalentClass}

#: the site's SPARQL queries, in queries/docs/ (header convention: # id: equal to the file stem)
DOCS_QUERIES = ("docs-statements", "docs-sources", "docs-grade-levels", "docs-hierarchy", "docs-replacements")


def load_docs_queries(root: Path | None = None) -> dict[str, str]:
    """The text of each query the site runs, by id, from ``queries/docs/``."""
    found = {q.id: q.text for q in find_queries(paths.queries_dir(root) / "docs")}
    missing = [q for q in DOCS_QUERIES if q not in found]
    if missing:
        raise DocsError(f"queries/docs/ lacks the quer{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)}")
    return found


class DocsError(Exception):
    """The site cannot be written (an expected error, exit code 2)."""

    exit_code = 2


# ---------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class ConflictPair:
    a: URIRef
    b: URIRef
    kind: str
    action_a: str
    action_b: str
    stance_a: str
    stance_b: str
    same_limb: bool


@dataclass
class ConflictInfo:
    """The conflict pairs shown, and whether their populations were checked."""

    checked: bool
    pairs: list[ConflictPair]
    candidates: int
    note: str

    @property
    def heading(self) -> str:
        return "Conflicts" if self.checked else "Candidate conflicts (populations not checked)"

    def of(self, stmt: URIRef) -> list[tuple[ConflictPair, bool]]:
        """(pair, whether ``stmt`` is its first member) for every pair ``stmt`` is in."""
        return [(p, p.a == stmt) for p in self.pairs if stmt in (p.a, p.b)]


def load_conflicts(kb, use_reasoner: bool = True) -> ConflictInfo:
    """Satisfiable pairs from :mod:`dvtkg.kb.conflicts` when it can run, else the candidates."""
    candidates = kb.candidates
    reason = "the reasoner was not asked (--no-reasoner)"
    if use_reasoner:
        try:
            from dvtkg.kb import conflicts as kc

            report = kc.analyse(kb)
            pairs = [ConflictPair(c.a, c.b, c.kind, str(c.action_a), str(c.action_b), str(c.stance_a),
                                  str(c.stance_b), bool(c.same_limb)) for c in report.conflicts]
            how = "cached reasoner verdicts" if getattr(report, "cached", False) else "HermiT"
            note = (f"{len(pairs)} of the {report.candidates} candidate pairs can apply to the same patient "
                    f"(on the same limb when both are limb-level); decided by {how} "
                    "(dvtkg kb conflicts). The others' populations cannot meet.")
            return ConflictInfo(True, pairs, report.candidates, note)
        except ImportError:
            reason = "dvtkg.kb.conflicts is not available"
        except Exception as exc:  # the reasoner failed (no Java, a crash): fall back, and say so
            reason = f"the population check failed ({type(exc).__name__}: {str(exc).strip()[:200]})"
            logs.get(__name__).warning(f"docs: {reason}; showing candidate conflicts")
    pairs = []
    for (a, b), c in sorted(candidates.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        la = kb.statements[a].level if a in kb.statements else ""
        lb = kb.statements[b].level if b in kb.statements else ""
        pairs.append(ConflictPair(a, b, c.kind, c.action_a, c.action_b, c.stance_a, c.stance_b,
                                  la == "limb" and lb == "limb"))
    note = (f"{len(pairs)} knowledge-level candidate pairs: current statements whose stances on overlapping "
            f"actions differ. Populations were not checked ({reason}), so some pairs may never meet in a patient.")
    return ConflictInfo(False, pairs, len(pairs), note)


# ---------------------------------------------------------------- helpers


def local_name(node: object) -> str:
    s = str(node)
    for sep in ("#", "/"):
        if sep in s:
            s = s.rsplit(sep, 1)[1]
    return s


def natural_key(text: str) -> list:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "_"


def _sorted(nodes, key=str) -> list:
    return sorted(nodes, key=key)


def doi_url(doi: str) -> str:
    d = str(doi).strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if d.lower().startswith(prefix):
            d = d[len(prefix):]
    return f"https://doi.org/{d}"


@dataclass
class SiteResult:
    out: Path
    pages: list[str]
    seconds: float
    conflicts: ConflictInfo
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- the site


class Site:
    """Everything the pages need, computed once from the graph; ``render()`` returns path -> HTML."""

    def __init__(self, graph: Graph, *, version: str, conflicts: ConflictInfo, root: Path | None = None):
        self.g = graph
        self.version = version
        self.conflicts = conflicts
        self.root = root
        self.page_of: dict[URIRef, str] = {}
        self._labels: dict[object, str] = {}
        queries = load_docs_queries(root)

        # statements and their sources (SPARQL)
        self.stmt_type: dict[URIRef, URIRef] = {}
        self.stmt_id: dict[URIRef, str] = {}
        self.stmt_source: dict[URIRef, URIRef] = {}
        types_of: dict[URIRef, set[URIRef]] = defaultdict(set)
        for row in graph.query(queries["docs-statements"]):
            self.stmt_id[row.rec] = str(row.id)
            self.stmt_source.setdefault(row.rec, row.source)
            types_of[row.rec].add(row.type)
        for rec, types in types_of.items():
            specific = [t for t in types if t != DVT.GuidanceStatement] or list(types)
            self.stmt_type[rec] = sorted(specific, key=str)[0]
        self.statements = sorted(self.stmt_id, key=lambda r: natural_key(self.stmt_id[r]))
        self.source_type: dict[URIRef, URIRef] = {}
        for row in graph.query(queries["docs-sources"]):
            self.source_type.setdefault(row.src, row.type)
        for src in self.stmt_source.values():
            self.source_type.setdefault(src, DVT.SourceDocument)
        self.by_source: dict[URIRef, list[URIRef]] = defaultdict(list)
        for rec in self.statements:
            self.by_source[self.stmt_source[rec]].append(rec)

        # grading schemes (SPARQL)
        self.scheme_levels: dict[URIRef, dict[URIRef, URIRef | None]] = defaultdict(dict)
        for row in graph.query(queries["docs-grade-levels"]):
            kinds = self.scheme_levels[row.scheme]
            if kinds.get(row.level) is None:
                kinds[row.level] = row.kind
        self.level_order = self._grade_file_order()

        # the named hierarchy (SPARQL): direct super- and sub-terms along rdfs:subClassOf and rdfs:subPropertyOf
        self.supers: dict[URIRef, dict[URIRef, list[URIRef]]] = defaultdict(lambda: defaultdict(list))
        self.subs: dict[URIRef, dict[URIRef, list[URIRef]]] = defaultdict(lambda: defaultdict(list))
        for row in graph.query(queries["docs-hierarchy"]):
            self.supers[row.prop][row.sub].append(row.super)
            self.subs[row.prop][row.super].append(row.sub)
        # the replacement edges (SPARQL): the superseded chains of the statement pages
        self.replaced_by: dict[URIRef, list[URIRef]] = defaultdict(list)
        self.replaces: dict[URIRef, list[URIRef]] = defaultdict(list)
        for row in graph.query(queries["docs-replacements"]):
            self.replaced_by[row.old].append(row.new)
            self.replaces[row.new].append(row.old)

        # pages: statements, sources, the rest of the project's named nodes are terms
        used: set[str] = set()

        def claim(prefix_dir: str, name: str) -> str:
            base, n = _safe(name), 1
            path = f"{prefix_dir}/{base}.html"
            while path.lower() in used:  # never two files differing only in case
                n += 1
                path = f"{prefix_dir}/{base}-{n}.html"
            used.add(path.lower())
            return path

        for rec in self.statements:
            self.page_of[rec] = claim("rec", self.stmt_id[rec])
        for src in sorted(self.source_type, key=lambda s: natural_key(self.label(s))):
            self.page_of[src] = claim("guidelines", self.label(src))
        self.terms: list[URIRef] = []
        candidates = set(graph.subjects(RDF.type, None)) | set(graph.subjects(RDFS.label, None))
        for node in sorted((n for n in candidates if isinstance(n, URIRef)), key=str):
            if node in self.page_of:
                continue
            prefix = self._own_prefix(node)
            if prefix is None:
                continue
            name = str(node)[len(str(dict(OWN_PREFIXES)[prefix])):]
            if not name:
                continue
            self.page_of[node] = claim("term", f"{prefix}-{name}")
            self.terms.append(node)
        self.terms.sort(key=lambda t: (self.label(t).lower(), str(t)))
        self.criterion_classes = {o for p in (DVT.meetsClass, DVT.notMeetsClass, DVT.borderlineClass)
                                  for o in graph.objects(None, p)}
        self.uses = self._build_uses()
        self.modules = self._module_files()

    # ---------------------------------------------------------- naming

    @staticmethod
    def _own_prefix(node: object) -> str | None:
        s = str(node)
        for prefix, ns in OWN_PREFIXES:
            if s.startswith(str(ns)):
                return prefix
        return None

    def curie(self, node: object) -> str:
        s = str(node)
        for prefix, ns in OWN_PREFIXES + OTHER_PREFIXES:
            if s.startswith(str(ns)) and len(s) > len(str(ns)):
                return f"{prefix}:{s[len(str(ns)):]}"
        return s

    def label(self, node: object) -> str:
        cached = self._labels.get(node)
        if cached is not None:
            return cached
        text = None
        for prop in (RDFS.label, SKOS.prefLabel):
            vals = [v for v in self.g.objects(node, prop) if getattr(v, "language", None) in (None, "en")]
            if vals:
                text = str(sorted(vals)[0])
                break
        if text is None:
            text = local_name(node) if self._own_prefix(node) else self.curie(node)
        self._labels[node] = text
        return text

    def one(self, node: object, prop: URIRef) -> str:
        vals = sorted(str(v) for v in self.g.objects(node, prop))
        return vals[0] if vals else ""

    def all(self, node: object, prop: URIRef) -> list[str]:
        return sorted(str(v) for v in self.g.objects(node, prop))

    def notation(self, node: object) -> str:
        return self.one(node, SKOS.notation) or self.label(node)

    def meaning(self, level: object) -> str:
        return self.one(level, DVT.meaning) or self.one(level, SKOS.definition)

    def link(self, ln: Linker, node: object, text: str | None = None, title: str | None = None,
             cls: str | None = None) -> str:
        """A link to ``node``'s page, or its name (an external IRI links out)."""
        if isinstance(node, Literal):
            return esc(node)
        if isinstance(node, BNode):
            return self.expression(ln, node)
        label = self.label(node) if text is None else text
        page = self.page_of.get(node)
        if page is not None:
            return ln.a(page, label, title=title or self.curie(node), cls=cls)
        if str(node).startswith(("http://", "https://")) and not self._own_prefix(node):
            shown = self.curie(node) if text is None else text
            return f'<a class="ext" href="{attr(node)}" title="{attr(node)}">{esc(shown)}</a>'
        return f'<code title="{attr(node)}">{esc(self.curie(node))}</code>'

    # ---------------------------------------------------------- OWL class expressions

    def expression(self, ln: Linker, node: object, depth: int = 0) -> str:
        """A class or data-range expression in Manchester-like words, terms linked."""
        g = self.g
        if isinstance(node, Literal):
            if node.datatype == XSD.boolean or isinstance(node.toPython(), (int, float)):
                return f"<code>{esc(node)}</code>"
            return f"<code>\"{esc(node)}\"</code>"
        if not isinstance(node, BNode):
            return self.link(ln, node)
        if depth > 12:
            return "&hellip;"

        def sub(x) -> str:
            text = self.expression(ln, x, depth + 1)
            return f"({text})" if isinstance(x, BNode) and self._compound(x) else text

        def items(lst) -> list:
            try:
                return list(Collection(g, lst))
            except Exception:
                return []

        for prop, word in ((OWL.intersectionOf, " and "), (OWL.unionOf, " or ")):
            lst = g.value(node, prop)
            if lst is not None:
                return f" <em>{word.strip()}</em> ".join(sub(x) for x in items(lst))
        comp = g.value(node, OWL.complementOf) or g.value(node, OWL.datatypeComplementOf)
        if comp is not None:
            return f"<em>not</em> {sub(comp)}"
        one_of = g.value(node, OWL.oneOf)
        if one_of is not None:
            return "{" + ", ".join(self.expression(ln, x, depth + 1) for x in items(one_of)) + "}"
        prop = g.value(node, OWL.onProperty)
        if prop is not None:
            p = self.link(ln, prop)
            for key, word in ((OWL.someValuesFrom, "some"), (OWL.allValuesFrom, "only")):
                v = g.value(node, key)
                if v is not None:
                    return f"{p} <em>{word}</em> {sub(v)}"
            v = g.value(node, OWL.hasValue)
            if v is not None:
                return f"{p} <em>value</em> {self.expression(ln, v, depth + 1)}"
            for key, word in ((OWL.minQualifiedCardinality, "min"), (OWL.maxQualifiedCardinality, "max"),
                              (OWL.qualifiedCardinality, "exactly"), (OWL.minCardinality, "min"),
                              (OWL.maxCardinality, "max"), (OWL.cardinality, "exactly")):
                v = g.value(node, key)
                if v is not None:
                    filler = g.value(node, OWL.onClass) or g.value(node, OWL.onDataRange)
                    return f"{p} <em>{word}</em> {esc(v)}" + (f" {sub(filler)}" if filler is not None else "")
            v = g.value(node, OWL.hasSelf)
            if v is not None:
                return f"{p} <em>Self</em>"
        base = g.value(node, OWL.onDatatype)
        if base is not None:
            facets = []
            symbols = {XSD.minInclusive: "&ge;", XSD.minExclusive: "&gt;", XSD.maxInclusive: "&le;",
                       XSD.maxExclusive: "&lt;", XSD.pattern: "pattern", XSD.length: "length"}
            for r in items(g.value(node, OWL.withRestrictions)):
                for fp, fv in g.predicate_objects(r):
                    facets.append(f"{symbols.get(fp, esc(self.curie(fp)))} {esc(fv)}")
            return f"{self.link(ln, base)}[{', '.join(facets)}]"
        return '<span class="muted">(an anonymous expression)</span>'

    def _compound(self, node: BNode) -> bool:
        g = self.g
        return any(g.value(node, p) is not None for p in (OWL.intersectionOf, OWL.unionOf, OWL.onProperty))

    # ---------------------------------------------------------- indexes

    def _build_uses(self) -> dict[URIRef, set[tuple[URIRef, URIRef]]]:
        """target -> {(named node that uses it, predicate)}; a use inside an anonymous
        expression is credited to the named node that owns the expression, with the
        predicate that links the owner to it."""
        g = self.g
        parents: dict[BNode, set[tuple[object, URIRef]]] = defaultdict(set)
        for s, p, o in g:
            if isinstance(o, BNode):
                parents[o].add((s, p))
        memo: dict[BNode, set[tuple[URIRef, URIRef]]] = {}

        def owners(b: BNode, seen: frozenset) -> set[tuple[URIRef, URIRef]]:
            if b in memo:
                return memo[b]
            out: set[tuple[URIRef, URIRef]] = set()
            for s, p in parents.get(b, ()):
                if isinstance(s, URIRef):
                    out.add((s, p))
                elif isinstance(s, BNode) and s not in seen:
                    out |= owners(s, seen | {s})
            memo[b] = out
            return out

        uses: dict[URIRef, set[tuple[URIRef, URIRef]]] = defaultdict(set)
        for s, p, o in g:
            if not isinstance(o, URIRef) or o not in self.page_of:
                continue
            if isinstance(s, URIRef):
                if s != o and p not in HIERARCHY_PREDICATES:
                    uses[o].add((s, p))
            elif isinstance(s, BNode):
                for owner, top in owners(s, frozenset({s})):
                    if owner != o:
                        uses[o].add((owner, top))
        return uses

    def _grade_file_order(self) -> dict[URIRef, int]:
        """Grade levels in the order their files define them (the schemes' own order)."""
        order: dict[URIRef, int] = {}
        root = self.root
        if root is None:
            return order
        for path in sorted((paths.ontology_dir(root) / "grading").glob("*.ttl")):
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                continue
            for m in re.finditer(r"^grade:([A-Za-z0-9_.-]+)\s+a\b", text, flags=re.M):
                order.setdefault(GRADE[m.group(1)], len(order))
        return order

    def _module_files(self) -> dict[str, str]:
        if self.root is None:
            return {}
        try:
            from dvtkg.kb.build import CATALOG_FILE, read_catalog

            catalog = read_catalog(paths.ontology_dir(self.root) / CATALOG_FILE, self.root)
        except Exception:
            return {}
        out = {}
        for iri, path in catalog.items():
            try:
                out[iri] = path.resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                out[iri] = str(path)
        return out

    def levels_of(self, scheme: URIRef) -> list[URIRef]:
        levels = self.scheme_levels.get(scheme, {})
        return sorted(levels, key=lambda lv: (self.level_order.get(lv, 10_000), self.notation(lv).lower()))

    def level_kind(self, level: URIRef) -> str:
        types = set(self.g.objects(level, RDF.type))
        if DVT.CertaintyLevel in types:
            return "certainty"
        if DVT.StrengthLevel in types:
            return "strength"
        if DVT.CoarseStrength in types:
            return "coarse"
        return "level"

    def coarse_of(self, level: object) -> URIRef | None:
        return self.g.value(level, DVT.coarseStrength)

    def schemes(self) -> list[URIRef]:
        graded = [s for s in self.scheme_levels if (s, RDF.type, DVT.GradingSystem) in self.g]
        others = [s for s in self.scheme_levels if s not in graded]
        return sorted(graded, key=lambda s: self.label(s).lower()) + sorted(others, key=lambda s: self.label(s).lower())

    # ---------------------------------------------------------- shared fragments

    def grade_parts(self, ln: Linker, stmt: URIRef) -> tuple[str, str]:
        """(badges, visible meanings) of a statement's native grade."""
        g = self.g
        strengths = _sorted(g.objects(stmt, DVT.hasStrength))
        certainties = _sorted(g.objects(stmt, DVT.hasCertainty))
        if not strengths and not certainties:
            why = ("Drug-label statements carry no grade." if self.stmt_type.get(stmt) == DVT.DrugLabelStatement
                   else "The source gives no grade for this statement.")
            return (f'<span class="badge ungraded" title="{attr(why)}">no grade</span>',
                    f'<p class="grade-meaning">{esc(why)}</p>')
        badges: list[str] = []
        meanings: list[str] = []

        def scheme_link(level) -> str:
            schemes = _sorted(g.objects(level, SKOS.inScheme))
            return ", ".join(ln.a("grading.html", self.label(s), fragment=local_name(s)) for s in schemes)

        def badge(text: str, title: str, cls: str, target: URIRef) -> str:
            return (f'<a class="badge {attr(cls)}" href="{attr(ln.href("grading.html", local_name(target)))}" '
                    f'title="{attr(title)}">{esc(text)}</a>')

        def strength_class(level) -> str:
            coarse = self.coarse_of(level)
            return {"strong": "strong", "weak": "weak"}.get(self.notation(coarse) if coarse is not None else "",
                                                            "ungraded")

        combined = (len(strengths) == 1 and len(certainties) == 1
                    and set(g.objects(strengths[0], SKOS.inScheme)) & COMBINED_SCHEMES
                    and set(g.objects(certainties[0], SKOS.inScheme)) & COMBINED_SCHEMES)
        if combined:
            s, c = strengths[0], certainties[0]
            text = f"{self.notation(s)}{self.notation(c)}"
            title = f"Grade {text}: {self.meaning(s)} {self.meaning(c)}"
            badges.append(badge(text, title, strength_class(s), s))
            meanings.append(
                f'<p class="grade-meaning"><strong>Grade {esc(text)}</strong> '
                f'<span class="scheme">({scheme_link(s)}; strength '
                f'{ln.a("grading.html", self.notation(s), fragment=local_name(s), title=self.label(s))} + quality '
                f'{ln.a("grading.html", self.notation(c), fragment=local_name(c), title=self.label(c))})</span>: '
                f'{esc(self.meaning(s))} {esc(self.meaning(c))}</p>')
        else:
            for s in strengths:
                badges.append(badge(self.notation(s), self.meaning(s), strength_class(s), s))
                meanings.append(f'<p class="grade-meaning"><strong>{esc(self.notation(s))}</strong> '
                                f'<span class="scheme">(strength; {scheme_link(s)})</span>: {esc(self.meaning(s))}</p>')
            for c in certainties:
                badges.append(badge(self.notation(c), self.meaning(c), "certainty", c))
                meanings.append(f'<p class="grade-meaning"><strong>{esc(self.notation(c))}</strong> '
                                f'<span class="scheme">(certainty of evidence; {scheme_link(c)})</span>: '
                                f'{esc(self.meaning(c))}</p>')
        coarse = sorted({self.coarse_of(s) for s in strengths} - {None}, key=str)
        if coarse:
            meanings.append('<p class="grade-meaning small muted">Compared across guidelines as: '
                            + ", ".join(ln.a("grading.html", self.notation(c), fragment=local_name(c)) for c in coarse)
                            + " (the coarse common scale; the native grade above is what the source says).</p>")
        return " ".join(badges), "\n".join(meanings)

    def value_badge(self, node: object, family: str, ln: Linker | None = None) -> str:
        """A value (direction, check status, currency) as a badge; a link to its term page when ``ln`` is given."""
        if node is None:
            return '<span class="muted">(none)</span>'
        note = self.notation(node)
        title = self.one(node, SKOS.definition) or self.label(node)
        cls = f"badge {family}-{_safe(note)}"
        page = self.page_of.get(node)
        if ln is not None and page is not None:
            return f'<a class="{attr(cls)}" href="{attr(ln.href(page))}" title="{attr(title)}">{esc(note)}</a>'
        return f'<span class="{attr(cls)}" title="{attr(title)}">{esc(note)}</span>'

    def short_source(self, ln: Linker, src: URIRef) -> str:
        return self.link(ln, src, title=self.one(src, DCTERMS.title) or None)

    # ---------------------------------------------------------- pages

    def render(self) -> dict[str, str]:
        pages: dict[str, str] = {"index.html": self.index_page(), "grading.html": self.grading_page(),
                                 "terms.html": self.terms_page()}
        for src in self.source_type:
            pages[self.page_of[src]] = self.source_page(src)
        for rec in self.statements:
            pages[self.page_of[rec]] = self.statement_page(rec)
        for term in self.terms:
            pages[self.page_of[term]] = self.term_page(term)
        return pages

    def _render(self, template: str, path: str, title: str, crumbs: list[tuple[str, str]] | None = None,
                **context: object) -> str:
        """A page from its template (``templates/<template>``), in the site frame of ``base.html``."""
        return render(template, page=path, title=title, crumbs=crumbs or [], ln=Linker(path), nav=NAV,
                      style_path=STYLE_PATH, version=self.version, none_cell=Markup(NONE_CELL), **context)

    # index ------------------------------------------------------

    def index_page(self) -> str:
        path = "index.html"
        ln = Linker(path)
        g = self.g
        guidelines = [s for s, t in self.source_type.items() if t == DVT.GuidelineDocument]
        labels = [s for s, t in self.source_type.items() if t == DVT.ProductLabel]
        others = [s for s, t in self.source_type.items() if t not in (DVT.GuidelineDocument, DVT.ProductLabel)]

        def year(src) -> int:
            try:
                return int(self.one(src, DVT.publicationYear) or 0)
            except ValueError:
                return 0

        def counts(src) -> tuple[int, int]:
            recs = self.by_source.get(src, [])
            sup = sum(1 for r in recs if (r, DVT.currency, DVTV.superseded) in g)
            return len(recs) - sup, sup

        rows = []
        for src in sorted(guidelines, key=lambda s: (-year(s), natural_key(self.label(s)))):
            cur, sup = counts(src)
            schemes = _sorted(g.objects(src, DVT.usesGradingSystem))
            rows.append({
                "link": Markup(self.link(ln, src)), "title": self.one(src, DCTERMS.title),
                "organisation": self.one(src, DVT.organisation), "year": self.one(src, DVT.publicationYear),
                "schemes": Markup(", ".join(ln.a("grading.html", self.label(s), fragment=local_name(s))
                                            for s in schemes)),
                "current": cur, "superseded": sup})
        label_rows = [{"link": Markup(self.link(ln, src)), "title": self.one(src, DCTERMS.title),
                       "version": self.one(src, DVT.labelVersion), "count": len(self.by_source.get(src, []))}
                      for src in sorted(labels, key=lambda s: natural_key(self.label(s)))]
        other_rows = [{"link": Markup(self.link(ln, s)), "title": self.one(s, DCTERMS.title)}
                      for s in sorted(others, key=str)]
        n_sup = sum(1 for r in self.statements if (r, DVT.currency, DVTV.superseded) in g)
        return self._render("index.html", path, "Guidelines", guidelines=rows, labels=label_rows, others=other_rows,
                            n_stmt=len(self.statements), n_sup=n_sup, n_terms=len(self.terms),
                            conflicts_note=self.conflicts.note)

    # guideline --------------------------------------------------

    def source_page(self, src: URIRef) -> str:
        path = self.page_of[src]
        ln = Linker(path)
        g = self.g
        key = self.label(src)
        kind = self.label(self.source_type[src])
        facts = [("Title", esc(self.one(src, DCTERMS.title))), ("Organisation", esc(self.one(src, DVT.organisation))),
                 ("Year", esc(self.one(src, DVT.publicationYear))),
                 ("Citation", esc(self.one(src, DCTERMS.bibliographicCitation)))]
        dois = self.all(src, DVT.doi)
        if dois:
            facts.append(("DOI", ", ".join(f'<a class="doi" href="{attr(doi_url(d))}">{esc(d)}</a>' for d in dois)))
        pmids = self.all(src, DVT.pmid)
        if pmids:
            facts.append(("PMID", ", ".join(f'<a href="https://pubmed.ncbi.nlm.nih.gov/{attr(p)}/">{esc(p)}</a>'
                                            for p in pmids)))
        for label_, prop in (("Identifier", DCTERMS.identifier), ("Label version", DVT.labelVersion),
                             ("Identifiers checked", DVT.identifierCheckStatus)):
            vals = _sorted(g.objects(src, prop))
            if vals:
                facts.append((label_, ", ".join(self.link(ln, v) if isinstance(v, URIRef) else esc(v) for v in vals)))
        schemes = _sorted(g.objects(src, DVT.usesGradingSystem))
        if schemes:
            facts.append(("Grading scheme", ", ".join(ln.a("grading.html", self.label(s), fragment=local_name(s))
                                                      for s in schemes)))
        status = self.one(src, DVT.documentStatus)
        if status:
            facts.append(("Status", esc(status)))
        for prop, name in ((DVT.supersededSource, "Superseded by"),):
            vals = _sorted(g.objects(src, prop))
            if vals:
                facts.append((name, ", ".join(self.link(ln, v) for v in vals)))
        statements = []
        for rec in self.by_source.get(src, []):
            badges, _ = self.grade_parts(ln, rec)
            statements.append({
                "id": self.stmt_id[rec], "page": self.page_of[rec], "number": self.one(rec, DVT.numberInSource),
                "grade": Markup(badges), "direction": Markup(self.value_badge(g.value(rec, DVT.direction), "dir")),
                "check": Markup(self.value_badge(g.value(rec, DVT.checkStatus), "check")),
                "currency": Markup(self.value_badge(g.value(rec, DVT.currency), "currency")),
                "text": self.one(rec, DVT.statementText)})
        return self._render("source.html", path, key, crumbs=[("index.html", "Guidelines")], key=key, kind=kind,
                            definition=self.one(src, SKOS.definition), facts=[(k, Markup(v)) for k, v in facts],
                            notes=self.all(src, SKOS.scopeNote), statements=statements)

    def _action_criteria(self, rec: URIRef) -> dict[str, set]:
        """The criteria of the action contraindications reaching a statement's actions and options (rule 14)."""
        g = self.g
        direction = g.value(rec, DVT.direction)
        if (rec, RDF.type, DVT.DrugLabelStatement) in g or direction is None or str(direction).endswith("/against"):
            return {}
        acts = set(g.objects(rec, DVT.recommendedAction))
        acts |= {a for o in g.objects(rec, DVT.offersOption) for a in g.objects(o, DVT.optionAction)}
        out: dict[str, set] = {}
        for act in acts:
            for anc in g.transitive_objects(act, RDFS.subClassOf):
                for ci in g.subjects(DVT.contraindicatedAction, anc):
                    crit, effect = g.value(ci, DVT.contraindicationCriterion), g.value(ci, DVT.contraindicationEffect)
                    if crit is not None and effect is not None:
                        out.setdefault("blocking" if str(effect).endswith("/blocks") else "caution", set()).add(crit)
        return out

    @staticmethod
    def _facts(facts: list[tuple[str, str]]) -> str:
        return render("facts.html", facts=[(k, Markup(v)) for k, v in facts]).rstrip("\n")

    # statement --------------------------------------------------

    def _chains(self, rec: URIRef) -> list[list[URIRef]]:
        """Every replacement path through ``rec``: predecessors ... rec ... successors (the docs-replacements edges)."""

        def back(node, seen) -> list[list[URIRef]]:
            prev = [p for p in _sorted(self.replaces.get(node, ())) if p not in seen]
            if not prev:
                return [[node]]
            return [path + [node] for p in prev for path in back(p, seen | {p})]

        def fwd(node, seen) -> list[list[URIRef]]:
            nxt = [n for n in _sorted(self.replaced_by.get(node, ())) if n not in seen]
            if not nxt:
                return [[node]]
            return [[node] + path for n in nxt for path in fwd(n, seen | {n})]

        paths_ = [b[:-1] + f for b in back(rec, {rec}) for f in fwd(rec, {rec})]
        return [p for p in paths_ if len(p) > 1][:20]

    def statement_page(self, rec: URIRef) -> str:
        path = self.page_of[rec]
        ln = Linker(path)
        g = self.g
        sid = self.stmt_id[rec]
        src = self.stmt_source[rec]
        kind = self.label(self.stmt_type.get(rec, DVT.GuidanceStatement))
        badges, meanings = self.grade_parts(ln, rec)
        about = self.one(rec, SKOS.definition)
        population = self.one(rec, DVT.populationText)
        direction = g.value(rec, DVT.direction)
        check = g.value(rec, DVT.checkStatus)
        currency = g.value(rec, DVT.currency)
        level = g.value(rec, DVT.assessmentLevel)
        actions = _sorted(g.objects(rec, DVT.recommendedAction))
        comparators = _sorted(g.objects(rec, DVT.comparatorAction))
        phases = _sorted(g.objects(rec, DVT.governsPhase))

        def described(node, badge: bool = False) -> str:
            """A value: its badge (or notation) linked to its term page, its label if different, its definition."""
            if node is None:
                return '<span class="muted">(none)</span>'
            d = self.one(node, SKOS.definition)
            note, lab = self.notation(node), self.label(node)
            if badge:  # the badge shows the notation and links to the term page
                head = self.link(ln, node, text=lab) if lab != note else ""
            else:
                head = self.link(ln, node, text=lab)
            tail = f'<span class="muted">{esc(d)}</span>' if d else ""
            return " - ".join(x for x in (head, tail) if x)

        facts = [
            ("Population", esc(population)),
            ("Grade", f'<div class="grade" id="grade">{badges}</div>{meanings}'),
            ("Direction", f"{self.value_badge(direction, 'dir', ln)} {described(direction, badge=True)}"),
            ("Action", "; ".join(self.link(ln, a) for a in actions)),
            ("Over (comparator)", "; ".join(self.link(ln, a) for a in comparators)),
            ("Check status", f"{self.value_badge(check, 'check', ln)} {described(check, badge=True)}"),
        ]
        cert_checks = _sorted(g.objects(rec, DVT.certaintyCheckStatus))
        if cert_checks:
            facts.append(("Certainty checked", "; ".join(described(c) for c in cert_checks)))
        facts += [
            ("Currency", f"{self.value_badge(currency, 'currency', ln)} {described(currency, badge=True)}"),
            ("Assessed per", described(level)),
            ("Phase", ", ".join(self.link(ln, p) for p in phases)),
        ]
        # source
        sfacts = [("Document", f"{self.link(ln, src)} - {esc(self.one(src, DCTERMS.title))}"),
                  ("Citation", esc(self.one(src, DCTERMS.bibliographicCitation)))]
        dois = self.all(src, DVT.doi)
        sfacts.append(("DOI", ", ".join(f'<a class="doi" href="{attr(doi_url(d))}">{esc(doi_url(d))}</a>' for d in dois)
                       if dois else '<span class="muted">(none recorded)</span>'))
        sfacts.append(("Number in source", esc(self.one(rec, DVT.numberInSource))))
        sfacts.append(("Document status", esc(self.one(src, DVT.documentStatus))))

        # criteria
        roles = []
        inherited = self._action_criteria(rec)
        for prop, key, name, note in CRITERION_ROLES:
            crits = sorted(set(g.objects(rec, prop)) | inherited.get(key, set()), key=lambda c: self.label(c).lower())
            if key in inherited:
                note += (" Includes the contraindications the statement's actions carry (decision rule 14: on the "
                         "intervention or one above it in the hierarchy).")
            if not crits:
                continue
            view = []
            for c in crits:
                clevel = g.value(c, DVT.criterionLevel)
                view.append({"link": Markup(self.link(ln, c)), "definition": self.one(c, SKOS.definition),
                             "level": self.notation(clevel) if clevel is not None else ""})
            roles.append({"key": key, "name": name, "note": note, "criteria": view})

        # conflicts
        conflicts = []
        for pair, first in sorted(self.conflicts.of(rec),
                                  key=lambda pf: natural_key(self.stmt_id.get(pf[0].b if pf[1] else pf[0].a, ""))):
            other = pair.b if first else pair.a
            mine_act, mine_st = (pair.action_a, pair.stance_a) if first else (pair.action_b, pair.stance_b)
            oth_act, oth_st = (pair.action_b, pair.stance_b) if first else (pair.action_a, pair.stance_a)
            kind_text = {"direction": "opposite direction", "strength": "same direction, different strength"}.get(
                pair.kind, pair.kind)
            if pair.same_limb:
                kind_text += " (same limb)"
            osrc = self.stmt_source.get(other)
            conflicts.append({
                "other": Markup(self.link(ln, other)),
                "source": Markup(self.link(ln, osrc) if osrc is not None else ""),
                "kind": kind_text, "mine_stance": mine_st, "mine_action": Markup(self.link(ln, URIRef(mine_act))),
                "other_stance": oth_st, "other_action": Markup(self.link(ln, URIRef(oth_act))),
                "other_grade": Markup(self.grade_parts(ln, other)[0])})
        no_conflict_reason = ("Superseded statements are not compared." if currency == DVTV.superseded
                              else "No other current statement takes a different stance on an overlapping action"
                              + (" for a population that can meet this one's." if self.conflicts.checked else "."))

        # superseded chain
        chains = []
        for chain in self._chains(rec):
            nodes = []
            for node in chain:
                cur = g.value(node, DVT.currency)
                nodes.append({"here": node == rec, "label": self.label(node), "link": Markup(self.link(ln, node)),
                              "currency": self.notation(cur) if cur is not None else ""})
            chains.append(nodes)
        replaced_by = [{"link": Markup(self.link(ln, node)), "text": self.one(node, DVT.statementText)}
                       for node in _sorted(g.objects(rec, DCTERMS.isReplacedBy)) if self.one(node, DVT.statementText)]

        # evidence
        evidence = []
        for ev in _sorted(g.objects(rec, DVT.supportedBy)):
            trials = []
            for doc in _sorted(g.objects(ev, DVT.evidenceFrom)):
                trials.append({"link": Markup(self.link(ln, doc)),
                               "cite": self.one(doc, DCTERMS.bibliographicCitation) or self.one(doc, DCTERMS.title),
                               "dois": [{"url": doi_url(d), "doi": d} for d in self.all(doc, DVT.doi)]})
            evidence.append({"link": Markup(self.link(ln, ev)), "definition": self.one(ev, SKOS.definition),
                             "result": self.one(ev, DVT.resultText), "trials": trials})

        # remarks, rules, references
        remarks = [(name, text) for prop, name in ((DVT.sourceRemark, "Source remark"),
                                                  (DVT.curatorRemark, "Curator remark"),
                                                  (DVT.decisionRemark, "Remark that changes the decision"))
                   for text in self.all(rec, prop)]
        rules = [{"link": Markup(self.link(ln, rule)),
                  "text": self.one(rule, DVT.ruleText) or self.one(rule, SKOS.definition)}
                 for rule in _sorted(g.objects(rec, DVT.followsDecisionRule))]
        refs = [(o, p) for o, p in self.uses.get(rec, set()) if p != DCTERMS.isReplacedBy]
        crumbs = [("index.html", "Guidelines"), (self.page_of[src], self.label(src))]
        return self._render(
            "statement.html", path, sid, crumbs=crumbs, sid=sid, kind=kind, about=about,
            text=self.one(rec, DVT.statementText), facts=[(k, Markup(v)) for k, v in facts],
            source_facts=[(k, Markup(v)) for k, v in sfacts], roles=roles, conflicts_heading=self.conflicts.heading,
            conflicts=conflicts, no_conflict_reason=no_conflict_reason, conflicts_note=self.conflicts.note,
            chains=chains, replaced_by=replaced_by, evidence=evidence, remarks=remarks, rules=rules,
            referenced_by=Markup(self._uses_list(ln, refs)) if refs else "", iri=str(rec))

    def _uses_list(self, ln: Linker, uses) -> str:
        by_pred: dict[URIRef, list[URIRef]] = defaultdict(list)
        for owner, pred in uses:
            by_pred[pred].append(owner)
        out = ['<dl class="facts uses">']
        for pred in sorted(by_pred, key=lambda p: self.label(p).lower()):
            owners = sorted(set(by_pred[pred]), key=lambda o: (natural_key(self.label(o)), str(o)))
            out.append(f"<dt>{self.link(ln, pred)}</dt><dd>" + ", ".join(self.link(ln, o) for o in owners) + "</dd>")
        out.append("</dl>")
        return "".join(out)

    # term -------------------------------------------------------

    def term_kind(self, term: URIRef) -> str:
        types = set(self.g.objects(term, RDF.type))
        for cls, name in ((OWL.ObjectProperty, "object property"), (OWL.DatatypeProperty, "datatype property"),
                          (OWL.AnnotationProperty, "annotation property"), (RDF.Property, "property")):
            if cls in types:
                return name
        if OWL.Class in types or RDFS.Class in types:
            return "criterion class" if term in self.criterion_classes else "class"
        for cls, name in ((DVT.Criterion, "criterion"), (DVT.GuidanceDependentCriterion, "criterion"),
                          (DVT.GradingSystem, "grading scheme"), (SKOS.ConceptScheme, "grading scheme"),
                          (DVT.StrengthLevel, "grade level"), (DVT.CertaintyLevel, "grade level"),
                          (DVT.CoarseStrength, "grade level"), (DVT.EvidenceDocument, "trial or study"),
                          (DVT.EvidenceStatement, "evidence statement"), (DVT.ReviewedClaim, "reviewed claim"),
                          (DVT.DecisionRule, "decision rule")):
            if cls in types:
                return name
        return "individual"

    def _ancestor_paths(self, term: URIRef, prop: URIRef, limit: int = 12) -> list[list[URIRef]]:
        out: list[list[URIRef]] = []
        supers = self.supers[prop]

        def walk(node, path):
            if len(out) >= limit:
                return
            sups = [s for s in _sorted(supers.get(node, ())) if s not in path]
            if not sups:
                out.append(list(reversed(path)))
                return
            for s in sups:
                walk(s, path + [s])

        walk(term, [term])
        return [p for p in out if len(p) > 1]

    def _ancestors(self, ln: Linker, term: URIRef, chains: list[list[URIRef]], words: str) -> str:
        """The superclasses (or superproperties) section: templates/ancestors.html."""
        data = [[{"here": n == term, "label": Markup(esc(self.label(n))), "link": Markup(self.link(ln, n))}
                  for n in chain] for chain in chains]
        return render("ancestors.html", chains=data, words=words).rstrip("\n")

    def _tree(self, ln: Linker, node: URIRef, prop: URIRef, depth: int = 0,
              seen: frozenset = frozenset()) -> list[dict[str, object]]:
        """The subclasses (or subproperties) of ``node`` as nested data for templates/tree.html."""
        subs = sorted((s for s in self.subs[prop].get(node, ()) if s not in seen),
                      key=lambda s: self.label(s).lower())
        if not subs or depth > 8:
            return []
        return [{"link": Markup(self.link(ln, s)), "children": self._tree(ln, s, prop, depth + 1, seen | {node})}
                for s in subs]

    def term_page(self, term: URIRef) -> str:
        path = self.page_of[term]
        ln = Linker(path)
        g = self.g
        kind = self.term_kind(term)
        title = self.label(term)
        definition = self.one(term, SKOS.definition)
        facts = []
        for lab_, prop in (("Notation", SKOS.notation), ("Meaning", DVT.meaning), ("Also called", SKOS.altLabel)):
            vals = self.all(term, prop)
            if vals:
                facts.append((lab_, "; ".join(esc(v) for v in vals)))
        module = self.one(term, RDFS.isDefinedBy)
        if module:
            file_ = self.modules.get(module)
            facts.append(("Defined in", f"<code>{esc(module)}</code>" + (f" ({esc(file_)})" if file_ else "")))
        # hierarchy
        hier: list[str] = []
        types = set(g.objects(term, RDF.type))
        is_class = OWL.Class in types or RDFS.Class in types
        is_prop = bool(types & {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property})
        if is_class or is_prop:
            prop = RDFS.subClassOf if is_class else RDFS.subPropertyOf
            word, words = ("class", "classes") if is_class else ("property", "properties")
            chains = self._ancestor_paths(term, prop)
            if chains:
                hier.append(self._ancestors(ln, term, chains, words))
            else:
                hier.append(f'<p class="muted">No named super{word}: a top-level {word}.</p>')
            anon = [o for o in _sorted(g.objects(term, prop)) if isinstance(o, BNode)]
            if anon:
                hier.append("<h3>Also a sub" + word + " of</h3><ul>"
                            + "".join(f"<li>{self.expression(ln, o)}</li>" for o in anon) + "</ul>")
            subtree = self._tree(ln, term, prop)
            if subtree:
                hier.append(f"<h3>Sub{words}</h3>" + render("tree.html", nodes=subtree).rstrip("\n"))
            else:
                hier.append(f'<p class="muted">No sub{words}.</p>')
            if is_class:
                eqs = _sorted(g.objects(term, OWL.equivalentClass))
                if eqs:
                    hier.append("<h3>Defined as (equivalent class)</h3><ul class=\"definitions\">"
                                + "".join(f"<li>{self.expression(ln, e)}</li>" for e in eqs) + "</ul>")
                members = sorted((s for s in g.subjects(RDF.type, term) if isinstance(s, URIRef)),
                                 key=lambda s: natural_key(self.label(s)))
                if members:
                    hier.append(f"<h3>Members ({len(members)})</h3><ul class=\"cols\">"
                                + "".join(f"<li>{self.link(ln, m)}</li>" for m in members) + "</ul>")
            else:
                for lab_, p in (("Domain", RDFS.domain), ("Range", RDFS.range), ("Inverse of", OWL.inverseOf)):
                    vals = _sorted(g.objects(term, p))
                    if vals:
                        hier.append(f"<p><strong>{lab_}:</strong> "
                                    + ", ".join(self.expression(ln, v) for v in vals) + "</p>")
                traits = sorted(self.label(t) if self._own_prefix(t) else self.curie(t)
                                for t in types if t not in (OWL.ObjectProperty, OWL.DatatypeProperty,
                                                            OWL.AnnotationProperty, RDF.Property))
                if traits:
                    hier.append("<p><strong>Characteristics:</strong> " + ", ".join(esc(t) for t in traits) + "</p>")
        else:
            named = [t for t in _sorted(types) if t != OWL.NamedIndividual]
            hier.append("<h3>Instance of</h3><ul class=\"types\">")
            for t in named:
                chains = self._ancestor_paths(t, RDFS.subClassOf, limit=3) if isinstance(t, URIRef) else []
                trail = (" <span class=\"muted small\">(" + " &rsaquo; ".join(self.link(ln, n) for n in chains[0][:-1])
                         + ")</span>") if chains else ""
                hier.append(f"<li>{self.link(ln, t)}{trail}</li>")
            hier.append("</ul>")
            schemes = _sorted(g.objects(term, SKOS.inScheme))
            if schemes:
                hier.append("<p><strong>In scheme:</strong> "
                            + ", ".join(self.link(ln, s) + " ("
                                        + ln.a("grading.html", "side by side", fragment=local_name(s)) + ")"
                                        for s in schemes) + "</p>")
            for lab_, p in (("Broader", SKOS.broader), ("Narrower", SKOS.narrower),
                            ("Top concepts", SKOS.hasTopConcept)):
                vals = _sorted(g.objects(term, p))
                if vals:
                    hier.append(f"<p><strong>{lab_}:</strong> " + ", ".join(self.link(ln, v) for v in vals) + "</p>")
            if (term, RDF.type, SKOS.ConceptScheme) in g:
                levels = self.levels_of(term)
                if levels:
                    hier.append("<h3>Levels</h3><ul>" + "".join(
                        f"<li>{self.link(ln, lv)} <span class=\"muted small\">({esc(self.notation(lv))})</span></li>"
                        for lv in levels) + "</ul>")
        # other facts
        other_facts = []
        for p in sorted(set(g.predicates(term, None)) - SHOWN_ELSEWHERE - {SKOS.notation, DVT.meaning, SKOS.altLabel},
                        key=lambda p: self.label(p).lower()):
            rendered = []
            for v in _sorted(g.objects(term, p)):
                if p == DVT.doi:
                    rendered.append(f'<a class="doi" href="{attr(doi_url(v))}">{esc(v)}</a>')
                elif isinstance(v, Literal):
                    rendered.append(esc(v))
                else:
                    rendered.append(self.link(ln, v) if isinstance(v, URIRef) else self.expression(ln, v))
            other_facts.append((Markup(self.link(ln, p)), [Markup(r) for r in rendered]))

        # uses
        uses = self.uses.get(term, set())
        stmt_uses = [(o, p) for o, p in uses if o in self.stmt_id]
        other_uses = [(o, p) for o, p in uses if o not in self.stmt_id]

        def listed(pairs) -> dict[str, object] | None:
            return {"count": len({o for o, _ in pairs}), "list": Markup(self._uses_list(ln, pairs))} if pairs else None

        via: set = set()
        if is_class:
            narrower = set(g.transitive_subjects(RDFS.subClassOf, term)) - {term}
            via = {(o, p) for n in narrower for o, p in self.uses.get(n, set())
                   if o in self.stmt_id and p in (DVT.recommendedAction, DVT.comparatorAction)}
        return self._render(
            "term.html", path, title, crumbs=[("terms.html", "Ontology terms")], kind=kind, curie=self.curie(term),
            iri=str(term), definition=definition, facts=[(k, Markup(v)) for k, v in facts],
            hierarchy=[Markup(h) for h in hier], other_facts=other_facts, used=bool(uses),
            by_statements=listed(stmt_uses), through_narrower=listed(via), by_terms=listed(other_uses))

    # terms index ------------------------------------------------

    KIND_ORDER = ["class", "criterion class", "object property", "datatype property", "annotation property", "property",
                  "criterion", "decision rule", "grading scheme", "grade level", "trial or study", "evidence statement",
                  "reviewed claim", "individual"]

    def terms_page(self) -> str:
        path = "terms.html"
        ln = Linker(path)
        groups: dict[str, list[URIRef]] = defaultdict(list)
        for t in self.terms:
            groups[self.term_kind(t)].append(t)
        order = [k for k in self.KIND_ORDER if k in groups] + sorted(k for k in groups if k not in self.KIND_ORDER)
        view = [{"kind": k, "anchor": _safe(k), "heading": k[0].upper() + k[1:],
                 "terms": [{"link": Markup(self.link(ln, t)), "curie": self.curie(t)}
                           for t in sorted(groups[k], key=lambda t: self.label(t).lower())]}
                for k in order]
        return self._render("terms.html", path, "Ontology terms", groups=view, n_terms=len(self.terms))

    # grading ----------------------------------------------------

    def grading_page(self) -> str:
        path = "grading.html"
        ln = Linker(path)
        g = self.g
        schemes = self.schemes()
        users: dict[URIRef, list[URIRef]] = defaultdict(list)
        for src, scheme in g.subject_objects(DVT.usesGradingSystem):
            users[scheme].append(src)
        coarse_levels = [lv for s in schemes if (s, RDF.type, DVT.GradingSystem) not in g for lv in self.levels_of(s)
                         if self.level_kind(lv) == "coarse"]

        def lvl_badge(lv) -> str:
            kind = self.level_kind(lv)
            if kind == "certainty":
                cls = "certainty"
            else:
                c = self.coarse_of(lv) if kind == "strength" else lv
                cls = {"strong": "strong", "weak": "weak"}.get(self.notation(c) if c is not None else "", "ungraded")
            return (f'<a class="badge {cls}" href="#{attr(local_name(lv))}" title="{attr(self.meaning(lv))}">'
                    f"{esc(self.notation(lv))}</a>")

        graded = [s for s in schemes if (s, RDF.type, DVT.GradingSystem) in g]
        rows = []
        for s in graded:
            levels = self.levels_of(s)
            cells = [Markup(" ".join(lvl_badge(lv) for lv in levels
                                     if self.level_kind(lv) == "strength" and self.coarse_of(lv) == c))
                     for c in coarse_levels]
            other = " ".join(lvl_badge(lv) for lv in levels
                             if self.level_kind(lv) == "strength" and self.coarse_of(lv) not in coarse_levels)
            cert = " ".join(lvl_badge(lv) for lv in levels if self.level_kind(lv) == "certainty")
            used = ", ".join(self.link(ln, u)
                             for u in sorted(users.get(s, []), key=lambda u: natural_key(self.label(u))))
            rows.append({"anchor": local_name(s), "label": self.label(s), "used": Markup(used), "cells": cells,
                         "other": Markup(other), "certainty": Markup(cert)})
        cards = []
        for s in schemes:
            used_by = sorted(users.get(s, []), key=lambda u: natural_key(self.label(u)))
            groups = []
            for kind, name in (("strength", "Strength"), ("certainty", "Certainty of evidence"), ("coarse", "Levels"),
                               ("level", "Levels")):
                levels = [lv for lv in self.levels_of(s) if self.level_kind(lv) == kind]
                if not levels:
                    continue
                view = []
                for lv in levels:
                    coarse = self.coarse_of(lv)
                    implied = g.value(lv, DVT.impliedDirection)
                    view.append({"anchor": local_name(lv), "badge": Markup(lvl_badge(lv)),
                                 "link": Markup(self.link(ln, lv)),
                                 "coarse": ({"anchor": local_name(coarse), "notation": self.notation(coarse)}
                                            if coarse is not None else None),
                                 "implied": self.notation(implied) if implied is not None else "",
                                 "meaning": self.meaning(lv)})
                groups.append({"name": name, "levels": view})
            cards.append({"anchor": local_name(s), "link": Markup(self.link(ln, s, text=self.label(s))),
                          "definition": self.one(s, SKOS.definition),
                          "used": Markup(", ".join(self.link(ln, u) for u in used_by)), "groups": groups,
                          "notes": self.all(s, SKOS.scopeNote)})
        return self._render("grading.html", path, "Grading schemes",
                            coarse=[self.notation(c) for c in coarse_levels], rows=rows, schemes=cards)


# ---------------------------------------------------------------- writing


def check_output_dir(out: Path) -> None:
    """``out`` may be replaced: it is missing, empty, or an earlier output of this generator."""
    out = Path(out).resolve()
    if out.exists():
        if not out.is_dir():
            raise DocsError(f"{out} exists and is not a directory")
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise DocsError(f"{out} is not empty and was not written by dvtkg docs; refusing to replace it "
                            "(choose another --out or remove it)")


def _write_tree(out: Path, pages: dict[str, str]) -> None:
    """Write ``pages`` into ``out`` atomically: a new directory next to it, then swapped in."""
    out = out.resolve()
    check_output_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for rel, text in pages.items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        (tmp / STYLE_PATH).write_text(style_css(), encoding="utf-8")
        (tmp / MARKER).write_text("written by dvtkg docs build; the whole directory is replaced on each build\n",
                                  encoding="utf-8")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def build_site(out: Path | None = None, root: Path | None = None, use_reasoner: bool = True,
               check: bool = True) -> SiteResult:
    """Generate the site into ``out`` (default ``build/docs``) and check its links."""
    start = time.perf_counter()
    from dvtkg.guidance.knowledge import KnowledgeBase

    root = (root or paths.project_root()).resolve()
    out = Path(out) if out is not None else paths.output_dir(root) / "docs"
    check_output_dir(out)
    kb = KnowledgeBase.load(root)
    conflicts = load_conflicts(kb, use_reasoner=use_reasoner)
    site = Site(kb.graph, version=kb.version, conflicts=conflicts, root=root)
    pages = site.render()
    _write_tree(out, pages)
    problems: list[str] = []
    if check:
        from dvtkg.docs.check import check_links

        problems = check_links(out)
    return SiteResult(out.resolve(), sorted(pages), time.perf_counter() - start, conflicts, problems)
