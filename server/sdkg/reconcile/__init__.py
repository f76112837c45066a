"""Reconciliation against SDKG: the W3C Entity Reconciliation Community Group's Reconciliation Service
API 0.2, for OpenRefine and any other client of that protocol.

- :mod:`.index`: the in-memory index of the reconcilable entities (actors, cases, concepts, places,
  discourses, works), built from a store's answers to a few SELECT queries, and the matching and
  scoring of one query against it (docs/reconciliation.md says how scores are computed);
- :mod:`.protocol`: the protocol's documents: reading a query batch or a data extension request
  (a :class:`~.protocol.InvalidRequest` says what is wrong), and writing the manifest, results,
  suggestions, data extension, property proposals, previews.

Nothing here knows HTTP or how queries are run: the web layer (``sdkg.web.reconcile_routes``) runs
:data:`.index.QUERIES` through the served engine, builds one :class:`~.index.Index` per served build
and answers with these documents.
"""

from .index import QUERIES, Candidate, Entity, Index, Query, build_index, normalise
from .protocol import InvalidRequest

__all__ = ["QUERIES", "InvalidRequest", "Candidate", "Entity", "Index", "Query", "build_index", "normalise"]
