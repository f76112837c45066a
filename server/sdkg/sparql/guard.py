"""Refuse SERVICE and LOAD to IRIs not on the allow-list, and nesting too deep to parse, before pyoxigraph
sees the text; in time linear in its length, with the one tokeniser (:mod:`.tokens`).

pyoxigraph fetches any URL a ``SERVICE`` or ``LOAD`` names (loopback included, with no
timeout), and its parser recurses once per nesting level (5,000 nested parentheses crash
it). One scan of the text (:func:`read`) finds the nesting depth, the PREFIX declarations
and every word that pyoxigraph could read as ``SERVICE`` or ``LOAD`` (it matches keywords
as prefixes of longer words: ``SERVICEx:q`` is ``SERVICE x:q``), with the endpoint each
names. One thing a tokeniser cannot know is whether ``<`` opens an IRI or compares
(``FILTER(?a<1)SERVICE?x#>``): inside parentheses, after an operand, it may be either; then
the text is read again both ways (every such ``<`` as punctuation, and no IRI at all), and a
keyword that only another reading finds makes the query unverifiable (400).

This is the first barrier. The second is that queries run in workers that cannot open an
Internet socket (:mod:`.sandbox`), unless the guard found an allowed endpoint; such a query
runs where the network is reached only after rdflib's parser, in the worker and under the
deadline, finds exactly the endpoints this scan found (:func:`check_endpoints`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..namespaces import WIKIDATA_MAIN, WIKIDATA_SCHOLARLY
from .errors import MalformedQuery, Refused, Unverifiable
from .tokens import mentions, structure, unescape

KEYWORDS = ("service", "load")
MAX_DEPTH = 100
"""Deepest nesting of parentheses, braces and brackets taken (real queries stay under 20)."""
OPERANDS = frozenset({"var", "string", "iri", "operand", "word", "close"})

WIKIDATA_SERVICES: dict[str, float] = {WIKIDATA_MAIN: 10.0, WIKIDATA_SCHOLARLY: 10.0}
"""The default SERVICE/LOAD allow-list: endpoint IRI → its time limit in seconds."""


@dataclass
class Reading:
    """One reading of a text: its keywords (offset, word, the endpoint named: an IRI, ``None`` for a variable,
    ``""`` when none can be read), its deepest nesting, and whether a ``<`` could also be read otherwise."""

    keywords: list[tuple[int, str, str | None]] = field(default_factory=list)
    depth: int = 0
    ambiguous: bool = False


@dataclass(frozen=True)
class Reach:
    """The allowed endpoints a text reaches, and the shortest of their time limits."""

    endpoints: tuple[str, ...]
    timeout: float


def scan(text: str, iris: str = "all") -> Reading:
    """Read ``text`` once. ``iris``: ``all`` (every ``<…>`` an IRI), ``unambiguous`` (a ``<`` that follows an
    operand inside parentheses is punctuation), ``none`` (no IRIs)."""
    pattern = structure(iris != "none")
    reading = Reading()
    prefixes: dict[str, str] = {}
    depth = parens = 0
    previous = ""
    previous_end = 0
    pending: tuple[int, str] | None = None  # a keyword waiting for its endpoint
    silent_ok = False
    prefix_from: int | None = None
    position = 0
    length = len(text)
    while position < length:
        match = pattern.search(text, position)
        if match is None:
            break
        kind = match.lastgroup or ""
        if kind == "iri" and parens and previous in OPERANDS and not text[previous_end : match.start()].strip():
            reading.ambiguous = True
            if iris == "unambiguous":  # read this '<' as less-than and go on after it
                position = previous_end = match.start() + 1
                previous = "punct"
                continue
        position = match.end()
        if kind == "comment":
            continue
        if prefix_from is not None and kind == "iri":
            prefixes[text[prefix_from : match.start()].strip().removesuffix(":").strip()] = match.group()[1:-1]
            prefix_from = None
        if pending is not None:
            if kind == "word" and silent_ok and match.group().lower() == "silent":
                silent_ok = False
                previous, previous_end = kind, match.end()
                continue
            reading.keywords.append((pending[0], pending[1], endpoint(text, match, prefixes)))
            pending = None
        if kind == "open":
            depth += 1
            parens += match.group() == "("
            reading.depth = max(reading.depth, depth)
        elif kind == "close":
            depth -= 1
            parens = max(0, parens - (match.group() == ")"))
        elif kind == "word":
            word = match.group().lower()
            if word == "prefix":
                prefix_from = match.end()
            for keyword in KEYWORDS:
                if word.startswith(keyword):
                    if word == keyword:
                        pending, silent_ok = (match.start(), keyword), True
                    else:  # read as the keyword followed by a name: say so, never guess
                        reading.keywords.append((match.start(), word, ""))
        previous, previous_end = kind, match.end()
    if pending is not None:
        reading.keywords.append((pending[0], pending[1], ""))
    return reading


def endpoint(text: str, match: re.Match[str], prefixes: Mapping[str, str]) -> str | None:
    """The endpoint a keyword names, from the token after it: an IRI, ``None`` for a variable, ``""`` otherwise."""
    kind, token = match.lastgroup, match.group()
    if kind == "iri":
        return token[1:-1]
    if kind == "var":
        return None
    if kind == "word" or text.startswith(":", match.start()):
        name = re.match(r"([A-Za-z][\w.-]*)?:([^\s{}()<>#]*)", text[match.start() : match.start() + 2048])
        if name and (name.group(1) or "") in prefixes:
            return prefixes[name.group(1) or ""] + name.group(2)
    return ""


def read(text: str) -> Reading:
    """The keywords every reading of ``text`` finds; raises for nesting too deep or a keyword not all readings see."""
    text = unescape(text)
    reading = scan(text)
    if reading.depth > MAX_DEPTH:
        raise MalformedQuery(f"the query nests parentheses, braces or brackets deeper than {MAX_DEPTH} levels")
    if reading.ambiguous:
        found = {offset for offset, _, _ in reading.keywords}
        for other in (scan(text, "unambiguous"), scan(text, "none")):
            for offset, word, _ in other.keywords:
                if offset not in found:
                    raise Unverifiable(
                        f"the request may use {word.upper()} (at character {offset}) and could not be checked: "
                        "write a comparison with '<' with spaces around it"
                    )
    return reading


def admit(text: str, allowed: Mapping[str, float], update: bool = False) -> Reach | None:
    """Raise :class:`~.errors.Refused` unless every SERVICE/LOAD endpoint is allowed (:class:`Unverifiable`
    when one cannot be read, :class:`~.errors.MalformedQuery` when the text nests too deep); the allowed
    endpoints it reaches and their shortest time limit, ``None`` when it reaches none."""
    if reaches_nothing(text):
        return None
    reading = read(text)
    reached: list[str] = []
    for offset, word, iri in reading.keywords:
        keyword = word.upper()
        if iri is None:
            raise Refused(f"{keyword} with a variable endpoint is not allowed")
        if word not in KEYWORDS or not iri:
            raise Unverifiable(
                f"the request uses {keyword} (at character {offset}) and could not be checked: write SERVICE or "
                "LOAD followed by white space and an absolute IRI or a declared prefixed name"
            )
        if iri not in allowed:
            listed = ", ".join(sorted(allowed)) or "(none)"
            raise Refused(f"{keyword} <{iri}> is not allowed; allowed endpoints: {listed}")
        reached.append(iri)
    if not reached:
        return None
    if reading.ambiguous:
        raise Unverifiable("a request that reaches a SERVICE or LOAD endpoint must write '<' comparisons with spaces")
    return Reach(tuple(sorted(set(reached))), min(allowed[iri] for iri in reached))


def reaches_nothing(text: str) -> bool:
    """Whether ``text`` surely passes without a scan: neither keyword anywhere in it (so no word can begin with
    one) and no more openers in all than :data:`MAX_DEPTH` (so it cannot nest deeper). Most queries are such, and
    the scan, a Python loop over every token, cost a quarter of a small catalog query's time in a worker."""
    text = unescape(text)
    if mentions(text, KEYWORDS):  # lowered, as the scan lowers each word
        return False
    return text.count("(") + text.count("{") + text.count("[") <= MAX_DEPTH


def mentions_remote(text: str) -> bool:
    """Whether SERVICE or LOAD may appear as a keyword (not inside a string, an IRI or a comment)."""
    try:
        return bool(read(text).keywords)
    except (Unverifiable, MalformedQuery):
        return True


def walk(node: object, services: list[str | None], loads: list[str | None]) -> None:
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            term = node.get("term")
            services.append(str(term) if isinstance(term, URIRef) else None)
        elif node.name == "Load":
            iri = node.get("iri")
            loads.append(str(iri) if isinstance(iri, URIRef) else None)
        for value in node.values():
            walk(value, services, loads)
    elif isinstance(node, dict):
        for value in node.values():
            walk(value, services, loads)
    elif isinstance(node, list | tuple):
        for value in node:
            walk(value, services, loads)


def check_endpoints(text: str, expected: tuple[str, ...], update: bool = False) -> None:
    """In the worker, under the deadline, before a query that reaches the network runs: rdflib's parser must
    find exactly the endpoints the scan found (a second reader of the text); else :class:`Unverifiable`."""
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    services: list[str | None] = []
    loads: list[str | None] = []
    try:
        if update:
            walk(translateUpdate(parseUpdate(unescape(text))).algebra, services, loads)
        else:
            walk(translateQuery(parseQuery(unescape(text))).algebra, services, loads)
    except Exception as exc:  # rdflib raises many kinds; all mean "cannot check"
        raise Unverifiable(f"the request uses SERVICE or LOAD and could not be checked: {exc}") from None
    found = {iri for iri in services + loads}
    if None in found or found != set(expected):
        raise Unverifiable("the request uses SERVICE or LOAD and its endpoints could not be confirmed")
