"""Entailed named types of a case's individuals from a ``CompiledClassifier``.

The least fixpoint of the TBox over the asserted facts: a named class is added to an
individual when one of its definitions holds for it (``holds()``, below), and each
class an individual is in brings its superclasses, the expressions it is a subclass
of and its definitions' content (both directions of owl:equivalentClass). What
``holds()`` decides for each construct, and why it is what OWL entails here:

- ``some p C``: a known p-successor (named, or through the inverse property) holds C,
  or an anonymous successor the case asserts (``p some E``) does: that one is decided
  as its own small individual carrying E, the range of p and every ``p only F`` of
  its subject;
- ``all p D``: the ``p only F`` fillers of the subject with the range of p entail D
  (decided on a fresh anonymous individual), or the p-successors are all known (a
  ``max n p`` bound, or a functional p, met by n pairwise different named successors)
  and each holds D;
- ``not A``: A is primitive (compile.py checks); it holds when the individual is in a
  class told disjoint with A or a superclass of A;
- data: a value in the value space (values.py), facets compared exactly.

Disjunctions the facts assert (a union in a closure, a union in a definition's
content) are split by cases when no disjunct already holds; a type is entailed when
every consistent case has it. Inconsistency: disjoint types, owl:Nothing, two values
of a functional data property, a value outside a range, a complemented class, more
pairwise different successors than a ``max`` bound, an anonymous successor that
cannot exist, sameAs against differentFrom. What is outside this (a bound that would
force anonymous and named successors to merge, inverse restrictions reached through an
anonymous successor) raises ``UnsupportedCase`` rather than guessing.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from dvtkg.fast.compiled import NOTHING, THING, CompiledClassifier, Expr
from dvtkg.fast.values import Lit, Value, in_datatype, in_range, range_within, ranges_intersect, value_of

MAX_SPLITS = 64
MAX_PREDICATES = 100_000


class Inconsistent(Exception):
    """The facts contradict the TBox."""


class UnsupportedCase(Exception):
    """The case needs reasoning the fast classifier does not do (exit code 2)."""

    exit_code = 2


@dataclass
class CaseFacts:
    """The assertions of one case: named individuals, their types and property values."""

    individuals: list[str]
    types: dict[str, set[str]] = field(default_factory=dict)
    exprs: dict[str, list[Expr]] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    values: list[tuple[str, str, Lit]] = field(default_factory=list)
    same: list[tuple[str, str]] = field(default_factory=list)
    different: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Node:
    types: set = field(default_factory=set)
    values: dict = field(default_factory=lambda: defaultdict(set))
    succ: dict = field(default_factory=lambda: defaultdict(set))
    somes: set = field(default_factory=set)
    alls: dict = field(default_factory=lambda: defaultdict(set))
    maxes: dict = field(default_factory=dict)
    nots: set = field(default_factory=set)
    dsomes: set = field(default_factory=set)
    unions: set = field(default_factory=set)
    expanded: set = field(default_factory=set)  # classes whose content has been added


class _State:
    """Nodes (named individuals, or one anonymous individual) and what is known of them."""

    def __init__(self) -> None:
        self.nodes: dict[str, _Node] = {}
        self.different: set[frozenset] = set()
        self.queue: list[tuple[str, Expr, Expr | None]] = []
        # change counters: every change of a node, and those not made by deriving a class from its definition
        self.version: dict[str, int] = defaultdict(int)
        self.external: dict[str, int] = defaultdict(int)
        self.evaluated: dict[str, tuple] = {}
        self.maybe_same: set[frozenset] = set()
        self.facts: CaseFacts | None = None  # the named case: lets a trial merge decide "necessarily different"


class Reasoner:
    """Decides entailed named types over a compiled TBox; caches anonymous individuals by content."""

    def __init__(self, compiled: CompiledClassifier) -> None:
        self.c = compiled
        self.functional = set(compiled.functional)
        for p in compiled.inverse_functional:
            if p in compiled.inverses:
                self.functional.add(compiled.inverses[p])
        self.inv_functional = set(compiled.inverse_functional) | {
            compiled.inverses[p] for p in compiled.functional if p in compiled.inverses}
        self.named_supers: dict[str, set[str]] = defaultdict(set)
        self.content: dict[str, list[tuple[Expr, Expr | None]]] = defaultdict(list)
        for cls, exprs in compiled.supers.items():
            for e in exprs:
                self.content[cls].append((e, None))
        for cls, bodies in compiled.definitions.items():
            for b in bodies:
                self.content[cls].append((b, b))
        self.disjoint: dict[str, set[str]] = defaultdict(set)
        for a, b in compiled.disjoint:
            self.disjoint[a].add(b)
            self.disjoint[b].add(a)
        self._ancestors: dict[str, set[str]] = {}
        self.order = self._definition_order()
        self.required: dict[tuple[str, int], set[str]] = {}
        for cls in self.order:
            for i, body in enumerate(compiled.definitions[cls]):
                self.required[(cls, i)] = _named_conjuncts(body)
        self.watch = _watched(compiled)
        self._anon_cache: dict[tuple, list[_State] | None] = {}
        self._values: dict[Lit, Value] = {}
        self._ranges: dict[tuple, bool] = {}
        self._in_progress: set[tuple] = set()
        self._predicates: dict[Expr, Predicate] = {}
        # each definition's predicate compiled once (``predicate``): the saturation loop calls it, no tree walk
        # the named conjuncts of a definition are checked first (``required``): its predicate leaves them out
        self.plan: list[tuple[str, list[tuple[frozenset[str], Predicate, Expr]]]] = [
            (cls, [(frozenset(self.required[(cls, i)]), self._rest(body, self.required[(cls, i)]), body)
                   for i, body in enumerate(compiled.definitions[cls])]) for cls in self.order]

    # ----- TBox helpers

    def ancestors(self, cls: str) -> set[str]:
        """cls and its told named superclasses (subClassOf and definitions' named conjuncts)."""
        if cls not in self._ancestors:
            seen, todo = {cls}, [cls]
            while todo:
                for e, _ in self.content.get(todo.pop(), []):
                    for n in _named_conjuncts(e):
                        if n not in seen:
                            seen.add(n)
                            todo.append(n)
            self._ancestors[cls] = seen
        return self._ancestors[cls]

    def _definition_order(self) -> list[str]:
        """Defined classes, each after the named classes its definitions mention."""
        defs = self.c.definitions
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(cls: str) -> None:
            if state.get(cls) is not None:
                return
            state[cls] = 0
            for body in defs[cls]:
                for n in _mentions(body):
                    if n in defs and n != cls:
                        visit(n)
            state[cls] = 1
            order.append(cls)
        for cls in sorted(defs):
            visit(cls)
        return order

    # ----- building a state

    def run(self, facts: CaseFacts) -> dict[str, set[str]]:
        """The entailed named types of every individual; raises Inconsistent."""
        parent = {i: i for i in facts.individuals}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        mentioned = {x for e in facts.edges for x in (e[0], e[2])} | {v[0] for v in facts.values}
        mentioned |= set(facts.types) | set(facts.exprs) | {x for pair in facts.different for x in pair}
        for x in mentioned:
            parent.setdefault(x, x)
        for a, b in facts.same:
            parent.setdefault(a, a)
            parent.setdefault(b, b)
            parent[find(a)] = find(b)
        # functional and inverse functional properties identify individuals
        while True:
            merged = False
            by_subject: dict[tuple[str, str], set[str]] = defaultdict(set)
            by_object: dict[tuple[str, str], set[str]] = defaultdict(set)
            for a, p, b in facts.edges:
                a, b = find(a), find(b)
                by_subject[(a, p)].add(b)
                by_object[(b, p)].add(a)
                q = self.c.inverses.get(p)
                if q:
                    by_subject[(b, q)].add(a)
                    by_object[(a, q)].add(b)
            for (_, p), objs in by_subject.items():
                if p in self.functional and len(objs) > 1:
                    first, *rest = sorted(objs)
                    for o in rest:
                        parent[find(o)] = find(first)
                    merged = True
            for (_, p), subs in by_object.items():
                if p in self.inv_functional and len(subs) > 1:
                    first, *rest = sorted(subs)
                    for o in rest:
                        parent[find(o)] = find(first)
                    merged = True
            if not merged:
                break
        st = _State()
        for x in parent:
            st.nodes.setdefault(find(x), _Node())
        for a, b in facts.different:
            fa, fb = find(a), find(b)
            if fa == fb:
                raise Inconsistent(f"{a} and {b} are said to be different and are the same")
            st.different.add(frozenset((fa, fb)))
        for a, p, b in facts.edges:
            self._edge(st, find(a), p, find(b))
        for a, p, lit in facts.values:
            st.queue.append((find(a), ("value", p, lit), None))
        for a, ts in facts.types.items():
            for t in ts:
                st.queue.append((find(a), t, None))
        for a, es in facts.exprs.items():
            for e in es:
                st.queue.append((find(a), e, None))
        st.facts = facts
        results = self._cases(st, 0)
        if not results:
            raise Inconsistent("no consistent case")
        out = {}
        for x in parent:
            out[x] = set.intersection(*(r.nodes[find(x)].types for r in results))
        return out

    def _edge(self, st: _State, a: str, p: str, b: str) -> None:
        st.nodes[a].succ[p].add(b)
        for d in self.c.domains.get(p, []):
            st.queue.append((a, d, None))
        for r in self.c.ranges.get(p, []):
            st.queue.append((b, r, None))
        q = self.c.inverses.get(p)
        if q:
            st.nodes[b].succ[q].add(a)
            for d in self.c.domains.get(q, []):
                st.queue.append((b, d, None))
            for r in self.c.ranges.get(q, []):
                st.queue.append((a, r, None))

    # ----- saturation

    def _add(self, st: _State, n: str, e: Expr, via: Expr | None) -> bool:
        node = st.nodes[n]
        if isinstance(e, str):
            if e == THING:
                return False
            if e == NOTHING:
                raise Inconsistent(f"{n} is in owl:Nothing")
            if e in node.types and e in node.expanded:
                return False
            new = e not in node.types
            if new:
                clash = self.disjoint.get(e, set()) & node.types
                if clash:
                    raise Inconsistent(f"{n} is in {e} and in the disjoint {sorted(clash)[0]}")
                if e in node.nots:
                    raise Inconsistent(f"{n} is in {e} and in its complement")
                node.types.add(e)
            # the content of a class: superclasses, subclass expressions, definitions (both directions)
            for body, which in self.content.get(e, []):
                if which is not None and which == via:
                    continue
                st.queue.append((n, body, None))
            node.expanded.add(e)
            return new
        op = e[0]
        if op == "and":
            for x in e[1]:
                st.queue.append((n, x, None))
            return False
        if op == "or":
            if e not in node.unions:
                node.unions.add(e)
                return True
            return False
        if op == "not":
            if e[1] in node.types:
                raise Inconsistent(f"{n} is in {e[1]} and in its complement")
            node.nots.add(e[1])
            return False
        if op == "some":
            p = e[1]
            for d in self.c.domains.get(p, []):
                st.queue.append((n, d, None))
            if (p, e[2]) not in node.somes:
                node.somes.add((p, e[2]))
                return True
            return False
        if op == "all":
            p = e[1]
            if e[2] not in node.alls[p]:
                node.alls[p].add(e[2])
                for s in node.succ.get(p, ()):
                    st.queue.append((s, e[2], None))
                return True
            return False
        if op == "max":
            k, p = e[1], e[2]
            if node.maxes.get(p, k + 1) > k:
                node.maxes[p] = k
                return True
            return False
        if op == "value":
            p = e[1]
            v = self.value(e[2])
            if v in node.values[p]:
                return False
            if v[0] == "bad":
                raise Inconsistent(f"{n}: {e[2][0]!r} is not a value of {e[2][1]}")
            for dt in self.c.data_ranges.get(p, []):
                if not in_datatype(dt, v):
                    raise Inconsistent(f"{n}: {e[2][0]!r} is outside the range {dt} of {p}")
            if p in self.functional and node.values[p]:
                raise Inconsistent(f"{n}: two values of the functional {p}")
            node.values[p].add(v)
            for d in self.c.domains.get(p, []):
                st.queue.append((n, d, None))
            return True
        if op == "dsome":
            p = e[1]
            for d in self.c.domains.get(p, []):
                st.queue.append((n, d, None))
            if (p, e[2]) not in node.dsomes:
                node.dsomes.add((p, e[2]))
                return True
            return False
        raise UnsupportedCase(f"fast classifier: cannot assert {e!r}")

    def _drain(self, st: _State) -> bool:
        changed = False
        while st.queue:
            n, e, via = st.queue.pop()
            if self._add(st, n, e, via):
                changed = True
                st.version[n] += 1
                if via is None:
                    st.external[n] += 1
        return changed

    def _signature(self, st: _State, n: str) -> tuple:
        """What the definitions can read of n: its own state, and of each neighbour what the fillers read."""
        node = st.nodes[n]
        seen = []
        for p, ss in node.succ.items():
            watch = self.watch.get(p)
            if watch is None:
                continue
            for s in ss:
                seen.append((p, s, st.version[s] if watch is _ALL else frozenset(st.nodes[s].types & watch)))
        return (st.version[n], tuple(sorted(seen, key=repr)))

    def _saturate(self, st: _State) -> tuple[str, Expr, tuple[Expr, ...]] | None:
        """Apply everything until nothing changes; return an open disjunction to split, if any."""
        while True:
            changed = self._drain(st)
            for n, node in st.nodes.items():
                # a node whose facts and neighbours did not change since it was last evaluated is skipped;
                # its own derivations (in definition order) do not count as a change, anything else does
                start = self._signature(st, n)
                if st.evaluated.get(n) == start:
                    continue
                external = st.external[n]
                types = node.types
                for cls, bodies in self.plan:
                    if cls in types:
                        continue
                    for required, pred, body in bodies:
                        if required <= types and pred(st, n):
                            st.queue.append((n, cls, body))
                            changed |= self._drain(st)  # at once: later classes in the order read it
                            break
                changed |= self._drain(st)
                self._check_node(st, n, node)
                changed |= self._drain(st)
                st.evaluated[n] = self._signature(st, n) if st.external[n] == external else start
            if changed:
                continue
            pick = self._open_union(st)
            if pick is None or pick[0] == "split":
                return None if pick is None else pick[1]
            # a union with one possible disjunct: assert it
            st.queue.append(pick[1])

    def _check_node(self, st: _State, n: str, node: _Node) -> None:
        by_prop: dict[str, list] = defaultdict(list)
        for p, dr in node.dsomes:
            by_prop[p].append(dr)
            declared = [("dt", d) for d in self.c.data_ranges.get(p, [])]
            if not ranges_intersect([dr, *declared]):
                raise Inconsistent(f"{n}: no value of {p} can be in the required range")
            if p in self.functional and node.values.get(p):
                if not any(self.in_range(dr, v) for v in node.values[p]):
                    raise Inconsistent(f"{n}: the value of {p} is outside a required range")
        for p, drs in by_prop.items():
            # a functional data property has one value: it must lie in every required range at once
            if p in self.functional and len(drs) > 1 and not node.values.get(p):
                declared = [("dt", d) for d in self.c.data_ranges.get(p, [])]
                if not ranges_intersect([*drs, *declared]):
                    raise Inconsistent(f"{n}: the required ranges of the functional {p} do not meet")
        for p, cexpr in list(node.somes):
            named = node.succ.get(p, set())
            if any(self.holds(st, s, cexpr) for s in named):
                continue
            if p in self.functional and named:
                for s in named:
                    st.queue.append((s, cexpr, None))
                continue
            if self._anon(p, self._anon_key(node, p, cexpr)) is None:
                raise Inconsistent(f"{n}: a {p} successor that cannot exist")
        bounds = dict(node.maxes)
        for p in node.succ:
            if p in self.functional:
                bounds[p] = min(bounds.get(p, 1), 1)
        for p in node.somes:
            if p[0] in self.functional:
                bounds[p[0]] = min(bounds.get(p[0], 1), 1)
        for p, k in bounds.items():
            named = sorted(node.succ.get(p, ()))
            open_somes = [c for q, c in node.somes if q == p
                          and not any(self.holds(st, s, c) for s in named)]
            if len(named) > k:
                if self._all_different(st, named):
                    raise Inconsistent(f"{n}: more than {k} different {p} successors")
                raise UnsupportedCase(f"fast classifier: {n} has {len(named)} {p} successors, at most {k}, "
                                      "not all said different (would need merging)")
            if open_somes and len(named) + len(open_somes) > k and p not in self.functional:
                raise UnsupportedCase(f"fast classifier: {n}: anonymous {p} successors beyond the bound {k} "
                                      "(would need merging)")

    def _closed_successors(self, st: _State, node: _Node, p: str) -> list[str] | None:
        """The named p-successors of a node when they are all it has (a max bound or a functional property met
        by that many successors said to be different), sorted; None when more may exist."""
        k = node.maxes.get(p)
        if p in self.functional:
            k = 1 if k is None else min(k, 1)
        if k is None:
            return None
        named = sorted(node.succ.get(p, ()))
        if len(named) < k or not self._all_different(st, named):
            return None
        return named

    def _all_different(self, st: _State, xs: list[str]) -> bool:
        """Are the individuals pairwise different: said so, or the same would be inconsistent?"""
        for i, a in enumerate(xs):
            for b in xs[i + 1:]:
                pair = frozenset((a, b))
                if pair in st.different:
                    continue
                if pair in st.maybe_same or not self._different(st, a, b):
                    st.maybe_same.add(pair)
                    return False
                st.different.add(pair)
        return True

    def _different(self, st: _State, a: str, b: str) -> bool:
        """a != b is entailed iff the facts with a = b are inconsistent (no unique names in OWL)."""
        na, nb = st.nodes[a], st.nodes[b]
        if self._clash(na, nb) or self._clash(nb, na):
            return True
        if st.facts is None:
            return False
        trial = copy.copy(st.facts)
        trial.same = [*st.facts.same, (a, b)]
        try:
            self.run(trial)
        except Inconsistent:
            return True
        return False

    def _clash(self, x: _Node, y: _Node) -> bool:
        if any(self.disjoint.get(t, set()) & y.types for t in x.types):
            return True
        return any(p in self.functional and vs and y.values.get(p) and vs != y.values[p] for p, vs in x.values.items())

    def _open_union(self, st: _State) -> tuple | None:
        for n, node in st.nodes.items():
            for u in sorted(node.unions, key=repr):
                if any(self.holds(st, n, d) for d in u[1]):
                    continue
                possible = [d for d in u[1] if not self._refuted(node, d)]
                if not possible:
                    raise Inconsistent(f"{n}: no disjunct of a union is possible")
                if len(possible) == 1:
                    node.unions.discard(u)
                    return ("assert", (n, possible[0], None))
                return ("split", (n, u, tuple(possible)))
        return None

    def _refuted(self, node: _Node, d: Expr) -> bool:
        if isinstance(d, str):
            return d == NOTHING or bool(self.disjoint_with(d) & node.types) or bool(self.ancestors(d) & node.nots)
        if d[0] == "not":
            return d[1] in node.types
        return False

    def disjoint_with(self, cls: str) -> set[str]:
        out: set[str] = set()
        for a in self.ancestors(cls):
            out |= self.disjoint.get(a, set())
        return out

    def _cases(self, st: _State, depth: int) -> list[_State]:
        """The consistent saturated states, splitting open disjunctions by cases."""
        try:
            pick = self._saturate(st)
        except Inconsistent:
            return []
        if pick is None:
            return [st]
        if depth >= MAX_SPLITS:
            raise UnsupportedCase("fast classifier: too many disjunctions to split by cases")
        n, u, possible = pick
        out: list[_State] = []
        for d in possible:
            branch = copy.deepcopy(st)
            branch.nodes[n].unions.discard(u)
            branch.queue.append((n, d, None))
            out += self._cases(branch, depth + 1)
        return out

    # ----- anonymous individuals

    def _successor_types(self, p: str) -> list[str]:
        """What any p-successor is: the range of p and the domain of its inverse."""
        q = self.c.inverses.get(p)
        return [*self.c.ranges.get(p, []), *(self.c.domains.get(q, []) if q else [])]

    def _anon_key(self, node: _Node, p: str, cexpr: Expr) -> frozenset:
        return frozenset({cexpr, *node.alls.get(p, ()), *self._successor_types(p)})

    def _anon(self, p: str, key: frozenset) -> list[_State] | None:
        """The consistent cases of an anonymous p-successor carrying the given expressions, or None.

        Refuses (UnsupportedCase) when what it carries restricts the inverse of p: that
        would say something back about its subject, which this classifier does not follow.
        """
        ck = (p, key)
        if ck in self._anon_cache:
            return self._anon_cache[ck]
        if ck in self._in_progress:
            return []  # a cycle of anonymous individuals: blocked (assume nothing more)
        self._in_progress.add(ck)
        try:
            st = _State()
            st.nodes["_:x"] = _Node()
            for e in key:
                st.queue.append(("_:x", e, None))
            results = self._cases(st, 0)
        finally:
            self._in_progress.discard(ck)
        q = self.c.inverses.get(p)
        for case in results if q else []:
            x = case.nodes["_:x"]
            if q in x.alls or q in x.maxes or any(s[0] == q for s in x.somes):
                raise UnsupportedCase(f"fast classifier: an anonymous {p} successor restricts {q}, the inverse")
        out = results or None
        self._anon_cache[ck] = out
        return out

    def _anon_holds(self, p: str, key: frozenset, e: Expr) -> bool:
        cases = self._anon(p, key)
        if cases is None:
            return True  # cannot exist: everything holds of it (the subject is inconsistent)
        if not cases:
            return False
        return all(self.holds(c, "_:x", e) for c in cases)

    # ----- evaluation

    def value(self, lit: Lit) -> Value:
        v = self._values.get(lit)
        if v is None:
            v = self._values[lit] = value_of(lit)
        return v

    def in_range(self, dr: tuple, v: Value) -> bool:
        key = (dr, v)
        found = self._ranges.get(key)
        if found is None:
            found = self._ranges[key] = in_range(dr, v)
        return found

    def holds(self, st: _State, n: str, e: Expr) -> bool:
        """Does the state entail that individual n is in the class expression e? (``predicate``, compiled once)"""
        pred = self._predicates.get(e)
        if pred is None:
            pred = self.predicate(e)
        return pred(st, n)

    def predicate(self, e: Expr) -> Predicate:
        """``holds`` for one expression as a closure over its compiled parts (kept per expression).

        The same decisions as ``holds_tree``, construct by construct, in the same order; what depends
        only on the TBox (the ancestors and disjoint classes of a complement) is read once here.
        """
        found = self._predicates.get(e)
        if found is None:
            found = self._compile(e)
            if len(self._predicates) < MAX_PREDICATES:  # the TBox's, and the few a case's closures make
                self._predicates[e] = found
        return found

    def _rest(self, body: Expr, named: set[str]) -> Predicate:
        """The predicate of a definition's body for an individual already in every class of ``named``.

        ``named`` are the body's named conjuncts (``_named_conjuncts``): they hold, so they are left out;
        the other conjuncts keep their order.
        """
        def without(e: Expr) -> Expr | None:
            if isinstance(e, str):
                return None if e in named else e
            if e[0] != "and":
                return e
            parts = [x for x in (without(x) for x in e[1]) if x is not None]
            return None if not parts else parts[0] if len(parts) == 1 else ("and", tuple(parts))
        rest = without(body)
        return _always if rest is None else self.predicate(rest)

    def _compile(self, e: Expr) -> Predicate:
        if isinstance(e, str):
            if e == THING:
                return _always
            return lambda st, n: e in st.nodes[n].types
        op = e[0]
        if op == "and" or op == "or":
            parts = tuple(self.predicate(x) for x in e[1])
            if op == "and":
                def conj(st: _State, n: str) -> bool:
                    for part in parts:
                        if not part(st, n):
                            return False
                    return True
                return conj

            def disj(st: _State, n: str) -> bool:
                for part in parts:
                    if part(st, n):
                        return True
                return False
            return disj
        if op == "not":
            ancestors, disjoint = frozenset(self.ancestors(e[1])), frozenset(self.disjoint_with(e[1]))

            def complement(st: _State, n: str) -> bool:
                node = st.nodes[n]
                return not ancestors.isdisjoint(node.nots) or not disjoint.isdisjoint(node.types)
            return complement
        if op == "some":
            p, cexpr = e[1], e[2]
            filler = self.predicate(cexpr)
            functional = p in self.functional

            def some(st: _State, n: str) -> bool:
                node = st.nodes[n]
                named = node.succ.get(p, ())
                for s in named:
                    if filler(st, s):
                        return True
                if named and functional:
                    return False  # the asserted successor is the named one (its content was passed on to it)
                return any(q == p and self._anon_holds(p, self._anon_key(node, p, c), cexpr) for q, c in node.somes)
            return some
        if op == "all":
            p, dexpr = e[1], e[2]
            filler = self.predicate(dexpr)
            successor_types = tuple(self._successor_types(p))

            def only(st: _State, n: str) -> bool:
                node = st.nodes[n]
                if self._anon_holds(p, frozenset({*node.alls.get(p, ()), *successor_types}), dexpr):
                    return True
                named = self._closed_successors(st, node, p)
                return named is not None and all(filler(st, s) for s in named)
            return only
        if op == "max":
            bound, p = e[1], e[2]
            functional = p in self.functional

            def at_most(st: _State, n: str) -> bool:
                k = st.nodes[n].maxes.get(p)
                if functional:
                    k = 1 if k is None else min(k, 1)
                return k is not None and k <= bound
            return at_most
        if op == "value":
            p, v = e[1], self.value(e[2])
            return lambda st, n: v in st.nodes[n].values.get(p, ())
        if op == "dsome":
            p, dr = e[1], e[2]
            declared = [("dt", d) for d in self.c.data_ranges.get(p, [])]
            functional = p in self.functional

            def data_some(st: _State, n: str) -> bool:
                node = st.nodes[n]
                for v in node.values.get(p, ()):
                    if self.in_range(dr, v):
                        return True
                # a value the facts require without giving it (p some R): R, within p's range, inside dr;
                # for a functional p, all the required ranges hold of its one value together
                required = [r for q, r in node.dsomes if q == p]
                if functional and required:
                    return range_within([*required, *declared], dr)
                return any(range_within([r, *declared], dr) for r in required)
            return data_some
        # what no construct matches: refused when evaluated, as before
        return lambda st, n: self.holds_tree(st, n, e)

    def holds_tree(self, st: _State, n: str, e: Expr) -> bool:
        """``holds`` by walking the expression (the specification of ``predicate``; dsome is decided here)."""
        node = st.nodes[n]
        if isinstance(e, str):
            return e == THING or e in node.types
        op = e[0]
        if op == "and":
            return all(self.holds_tree(st, n, x) for x in e[1])
        if op == "or":
            return any(self.holds_tree(st, n, x) for x in e[1])
        if op == "not":
            # not A: A (or a superclass of A) is excluded, or a class of n is disjoint with A or a superclass
            return bool(self.ancestors(e[1]) & node.nots) or bool(self.disjoint_with(e[1]) & node.types)
        if op == "some":
            p, cexpr = e[1], e[2]
            named = node.succ.get(p, ())
            if any(self.holds_tree(st, s, cexpr) for s in named):
                return True
            if named and p in self.functional:
                return False  # the asserted successor is the named one (its content was passed on to it)
            return any(q == p and self._anon_holds(p, self._anon_key(node, p, c), cexpr) for q, c in node.somes)
        if op == "all":
            p, dexpr = e[1], e[2]
            if self._anon_holds(p, frozenset({*node.alls.get(p, ()), *self._successor_types(p)}), dexpr):
                return True
            named = self._closed_successors(st, node, p)
            return named is not None and all(self.holds_tree(st, s, dexpr) for s in named)
        if op == "max":
            k = node.maxes.get(e[2])
            if e[2] in self.functional:
                k = 1 if k is None else min(k, 1)
            return k is not None and k <= e[1]
        if op == "value":
            return self.value(e[2]) in node.values.get(e[1], ())
        if op == "dsome":
            p, dr = e[1], e[2]
            if any(self.in_range(dr, v) for v in node.values.get(p, ())):
                return True
            # a value the facts require without giving it (p some R): R, within p's range, inside dr;
            # for a functional p, all the required ranges hold of its one value together
            declared = [("dt", d) for d in self.c.data_ranges.get(p, [])]
            required = [r for q, r in node.dsomes if q == p]
            if p in self.functional and required:
                return range_within([*required, *declared], dr)
            return any(range_within([r, *declared], dr) for r in required)
        raise UnsupportedCase(f"fast classifier: cannot evaluate {e!r}")


_ALL = frozenset({"*"})
#: a compiled class expression: does the state entail that the individual is in it?
Predicate = Callable[[_State, str], bool]


def _always(st: _State, n: str) -> bool:
    return True


def _watched(compiled: CompiledClassifier) -> dict[str, frozenset]:
    """Per object property, the named classes the definitions read of a successor (or _ALL when more)."""
    out: dict[str, set | frozenset] = {}

    def names(e: Expr) -> set[str] | None:
        if isinstance(e, str):
            return {e}
        if e[0] in ("and", "or"):
            parts = [names(x) for x in e[1]]
            known = [x for x in parts if x is not None]
            return set().union(*known) if len(known) == len(parts) else None
        return None

    def walk(e: Expr) -> None:
        if isinstance(e, str):
            return
        if e[0] in ("and", "or"):
            for x in e[1]:
                walk(x)
        elif e[0] in ("some", "all"):
            found, seen = names(e[2]), out.get(e[1])
            if found is None or seen is _ALL:
                out[e[1]] = _ALL
            else:
                out[e[1]] = (seen or set()) | found
            walk(e[2])
    for exprs in list(compiled.definitions.values()) + list(compiled.supers.values()):
        for e in exprs:
            walk(e)
    return {p: (v if v is _ALL else frozenset(v)) for p, v in out.items()}


def _named_conjuncts(e: Expr) -> set[str]:
    if isinstance(e, str):
        return {e}
    if e[0] == "and":
        return set().union(*(_named_conjuncts(x) for x in e[1]))
    return set()


def _mentions(e: Expr) -> set[str]:
    if isinstance(e, str):
        return {e}
    if e[0] in ("and", "or"):
        return set().union(*(_mentions(x) for x in e[1]))
    if e[0] == "not":
        return {e[1]}
    if e[0] in ("some", "all"):
        return _mentions(e[2])
    return set()
