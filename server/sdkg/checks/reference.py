"""The reference SHACL engine: pyshacl, node by node over an rdflib graph of the files.

``sdkg validate --engine pyshacl`` runs it to cross-check the compiled engine (the tests
compare the two). It reads the files themselves, literals as written: the store would keep
``"5"^^xsd:nonNegativeInteger`` as ``xsd:integer``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import rdflib
from pyshacl import validate as pyshacl_validate
from rdflib.plugins.sparql import processor
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from ..project import ProjectFile, read_files
from .terms import to_rdflib


def files_graph(files: Iterable[ProjectFile]) -> rdflib.Graph:
    """The files' triples in one rdflib graph, literals as written: the reference engine's input."""
    graph = rdflib.Graph()
    for quad in read_files(list(files)):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


_PREPARE_LOCK = threading.Lock()


@functools.lru_cache(maxsize=512)
def _prepared_query(text: str, base: str | None, namespaces: tuple[tuple[str, str], ...]) -> Any:
    return translateQuery(parseQuery(text), base, dict(namespaces) or None)


@contextmanager
def prepared_sparql() -> Iterator[None]:
    """Parse each SHACL-SPARQL query once, not once per focus node.

    pyshacl hands rdflib the query text for every focus node, and rdflib's parser
    takes ~0.1 s per parse: hours at 100k nodes. Within this block rdflib reuses the
    parsed and translated query (rdflib's prepared-query path, same results).
    """
    original = processor.SPARQLProcessor.query

    def query(
        self: processor.SPARQLProcessor,
        strOrQuery: Any,
        initBindings: Mapping[str, Any] | None = None,
        initNs: Mapping[str, Any] | None = None,
        base: str | None = None,
        DEBUG: bool = False,
    ) -> Any:
        if isinstance(strOrQuery, str):
            namespaces = tuple(sorted((str(k), str(v)) for k, v in (initNs or {}).items()))
            strOrQuery = _prepared_query(strOrQuery, base, namespaces)
        return original(self, strOrQuery, initBindings, None, base, DEBUG)

    with _PREPARE_LOCK:
        processor.SPARQLProcessor.query = query  # type: ignore[method-assign]
        try:
            yield
        finally:
            processor.SPARQLProcessor.query = original  # type: ignore[method-assign]


def pyshacl_report(data: rdflib.Graph, shapes: rdflib.Graph) -> rdflib.Graph:
    """pyshacl's SHACL report graph for ``data`` against ``shapes``."""
    with prepared_sparql():
        _conforms, report_graph, _text = pyshacl_validate(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
        )
    if not isinstance(report_graph, rdflib.Graph):
        raise ValueError(f"the shapes cannot be used: {report_graph}")
    return report_graph
