"""The RDF dataset of a request (``default-graph-uri``/``named-graph-uri``, ``using-…``), for queries and updates.

A query gets it as pyoxigraph options (:func:`query_options`); pyoxigraph's update API has
none, so an update gets it as ``USING`` clauses written into its text (:func:`with_using`),
placed with the one tokeniser.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .errors import QueryError
from .tokens import code


class DatasetError(QueryError):
    """The request's dataset cannot be used: a graph name that is no IRI, or one the update contradicts."""


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset of a request (``default-graph-uri`` / ``named-graph-uri``)."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


NO_DATASET = Dataset()
"""No protocol dataset: the default graph is the union of all graphs."""


def query_options(dataset: Dataset) -> dict[str, object]:
    """pyoxigraph's ``Store.query`` options for the dataset (the union of all graphs when none is given)."""
    if dataset.default_graphs or dataset.named_graphs:
        options: dict[str, object] = {}
        if dataset.default_graphs:
            options["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs]
        if dataset.named_graphs:
            options["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
        elif dataset.default_graphs:
            options["named_graphs"] = []
        return options
    return {"use_default_graph_as_union": True}


def with_using(update: str, dataset: Dataset) -> str:
    """Apply ``using-graph-uri``/``using-named-graph-uri`` by adding USING clauses before each WHERE.

    An update that has its own USING or WITH conflicts with the protocol's dataset (an error,
    as the protocol requires).
    """
    if not dataset.default_graphs and not dataset.named_graphs:
        return update
    try:
        clauses = " ".join(
            [f"USING <{ox.NamedNode(g).value}>" for g in dataset.default_graphs]
            + [f"USING NAMED <{ox.NamedNode(g).value}>" for g in dataset.named_graphs]
        )
    except ValueError as error:
        raise DatasetError(f"bad using-graph-uri: {error}") from None
    depth, last, inserts = 0, "", []
    for token in code(update):
        if token.kind == "brace":
            last = "" if depth == 0 and token.text == "{" else last
            depth += 1 if token.text == "{" else -1
            continue
        word = token.text.lower() if token.kind == "word" else ""
        if depth != 0 or not word:
            continue
        if word in ("using", "with"):
            raise DatasetError(f"the update has {word.upper()} and the request a using-graph-uri dataset")
        if word == "where" and last != "delete":
            inserts.append(token.start)
        last = word
    for position in reversed(inserts):
        update = update[:position] + clauses + " " + update[position:]
    return update
