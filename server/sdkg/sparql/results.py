"""Write SELECT solutions in the four SPARQL results formats from rows already read.

pyoxigraph can only serialise a whole ``QuerySolutions`` iterator; the row cap
needs to stop reading after N rows and still say so, so the capped rows are
written here, in the same shapes pyoxigraph writes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from json.encoder import encode_basestring as quote  # type: ignore[attr-defined]
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
JSON = "application/sparql-results+json"
Row = Sequence[object | None]


def json_term(term: object) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": json_term(term.subject),
                "predicate": json_term(term.predicate),
                "object": json_term(term.object),
            },
        }
    return {"type": "literal", "value": str(term)}


def json_text(term: object) -> str:
    """One term as SPARQL JSON, written directly (the strings escaped by the json module's C encoder)."""
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + quote(term.value) + "}"
    if isinstance(term, ox.Literal):
        if term.language:
            return '{"type":"literal","value":' + quote(term.value) + ',"xml:lang":' + quote(term.language) + "}"
        datatype = term.datatype.value
        if datatype != XSD_STRING:
            return '{"type":"literal","value":' + quote(term.value) + ',"datatype":' + quote(datatype) + "}"
        return '{"type":"literal","value":' + quote(term.value) + "}"
    if isinstance(term, ox.BlankNode):
        return '{"type":"bnode","value":' + quote(term.value) + "}"
    return json.dumps(json_term(term), ensure_ascii=False, separators=(",", ":"))


def json_keys(variables: Sequence[str]) -> list[str]:
    """Each variable's key in a JSON binding, written once for all the rows."""
    return [quote(v) + ":" for v in variables]


def json_row(keys: Sequence[str], row: Row) -> str:
    """One row as a SPARQL JSON binding (its unbound variables left out)."""
    return "{" + ",".join(k + json_text(t) for k, t in zip(keys, row, strict=True) if t is not None) + "}"


def json_row_size(written: str) -> int:
    """What a row written by :func:`json_row` adds to the answer: itself and the comma before the next."""
    return len(written) + 1


def write_json_rows(variables: list[str], written: Sequence[str], truncated: bool) -> bytes:
    """The JSON document around rows written by :func:`json_row`."""
    # "truncated" goes before "results": pyoxigraph's parser rejects keys after the bindings
    head = '{"head":{"vars":[' + ",".join(quote(v) for v in variables) + "]},"
    tail = '"truncated":' + ("true" if truncated else "false") + ',"results":{"bindings":[' + ",".join(written) + "]}}"
    return (head + tail).encode("utf-8")


def write_json(variables: list[str], rows: Sequence[Row], truncated: bool) -> bytes:
    keys = json_keys(variables)
    return write_json_rows(variables, [json_row(keys, row) for row in rows], truncated)


def xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        value = escape(term.value, {"\n": "&#10;", "\r": "&#13;", '"': "&quot;"})
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{value}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{value}</literal>"
        return f"<literal>{value}</literal>"
    if isinstance(term, ox.Triple):
        parts = (("subject", term.subject), ("predicate", term.predicate), ("object", term.object))
        return "<triple>" + "".join(f"<{n}>{xml_term(t)}</{n}>" for n, t in parts) + "</triple>"
    return f"<literal>{escape(str(term))}</literal>"


def write_xml(variables: list[str], rows: Sequence[Row]) -> bytes:
    out = ['<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out.extend(f"<variable name={quoteattr(v)}/>" for v in variables)
    out.append("</head><results>")
    for row in rows:
        out.append("<result>")
        for name, term in zip(variables, row, strict=True):
            if term is not None:
                out.append(f"<binding name={quoteattr(name)}>{xml_term(term)}</binding>")
        out.append("</result>")
    out.append("</results></sparql>")
    return "".join(out).encode("utf-8")


def csv_cell(term: object | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    elif isinstance(term, ox.NamedNode | ox.Literal):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(variables: list[str], rows: Sequence[Row]) -> bytes:
    lines = [",".join(variables)] + [",".join(csv_cell(t) for t in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def write_tsv(variables: list[str], rows: Sequence[Row]) -> bytes:
    lines = ["\t".join("?" + v for v in variables)] + [
        "\t".join("" if t is None else str(t) for t in row) for row in rows
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_solutions(media_type: str, variables: list[str], rows: Sequence[Row], truncated: bool) -> bytes:
    """Serialise ``rows`` (one term or ``None`` per variable) in ``media_type``."""
    if media_type == JSON:
        return write_json(variables, rows, truncated)
    if media_type == "application/sparql-results+xml":
        return write_xml(variables, rows)
    if media_type == "text/csv":
        return write_csv(variables, rows)
    if media_type == "text/tab-separated-values":
        return write_tsv(variables, rows)
    raise ValueError(f"not a results format: {media_type}")
