"""JSON-LD answers: compacted against the project's prefixes, with the context inline or by URL.

pyoxigraph writes expanded JSON-LD only, so graph answers are compacted here (in the engine,
under the query's time limit). The document always starts with its ``@context``, written
inline, so it stands on its own (the linked-data pages serve it so). The SPARQL endpoint
refers to the published context instead: :func:`with_context_url` swaps the inline context
for its URL, which only the web layer knows, without parsing the document again.
"""

from __future__ import annotations

import json
from functools import lru_cache

HEAD = b'{\n "@context": '


def context(prefixes: dict[str, str]) -> dict[str, object]:
    """The JSON-LD context published at ``/context.jsonld``: one term per prefix."""
    return {"@context": dict(sorted(prefixes.items()))}


@lru_cache(maxsize=8)
def _inline_head(prefix_items: tuple[tuple[str, str], ...]) -> bytes:
    inline = json.dumps(dict(sorted(prefix_items)), ensure_ascii=False, indent=1).replace("\n", "\n ")
    return HEAD + inline.encode("utf-8")


def inline_head(prefixes: dict[str, str]) -> bytes:
    """How every compacted document written for ``prefixes`` begins (up to the end of its context)."""
    return _inline_head(tuple(sorted(prefixes.items())))


def compact_document(expanded: bytes, prefixes: dict[str, str]) -> bytes:
    """Compact expanded JSON-LD against the prefixes' context, written inline as the first key."""
    from pyld import jsonld  # imported lazily: only JSON-LD answers need it

    compacted: dict[str, object] = jsonld.compact(json.loads(expanded or b"[]"), context(prefixes))
    compacted.pop("@context", None)
    rest = json.dumps(compacted, ensure_ascii=False, indent=1).encode("utf-8")  # b"{}" or b"{\n ... \n}"
    head = inline_head(prefixes)
    return head + b"\n}" if rest == b"{}" else head + b"," + rest[1:]


def with_context_url(body: bytes, prefixes: dict[str, str], url: str) -> bytes:
    """The document with ``"@context": url`` instead of its inline context (unchanged if it has none)."""
    head = inline_head(prefixes)
    if not body.startswith(head):
        return body
    return HEAD + json.dumps(url).encode("utf-8") + body[len(head) :]
