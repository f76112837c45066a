"""A synthetic SDKG project of any size whose data passes the project's shapes and quote check.

The corpus follows the claim pattern of the content brief exactly (claim → ascription →
passage with a quote and a position selector), with actors, cases, concepts, sources and
argument links around it. Source texts are generated too (plain words, already in
normalised form), so every passage is verbatim at its offsets and the quote check runs
for real; they live in ``<out>/sources`` (point ``SDKG_SOURCES`` there).

About 29 triples per claim: 10k claims ≈ 0.3M triples, 100k ≈ 2.9M, 1M ≈ 29M.

    python -m bench.synthetic OUT --claims 10000
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLAIMS_PER_SOURCE = 1000
DISCOURSES = ("realist", "pluralist", "critical")
STANCES = ("sdkg:Endorses", "sdkg:Rejects", "sdkg:ReportsNeutrally")
CASE_CLASSES = (
    "sdkg:ArmedConflict",
    "sdkg:Intervention",
    "sdkg:Atrocity",
    "sdkg:LegalInstrument",
    "sdkg:DiplomaticProcess",
    "sdkg:Policy",
    "sdkg:Movement",
    "sdkg:Incident",
)
ACTOR_CLASSES = ("sdkg:Person", "sdkg:Collective", "sdkg:CivilSocietyOrganisation", "sdkg:GovernmentBody")
WORDS = (
    "security state order norm right war peace people society power threat harm border rule law "
    "intervention sovereignty humanity protection violence civil conflict regime council duty crisis "
    "refugee border justice market aid army force alliance treaty claim argument reason theory practice "
    "history nation citizen community freedom welfare identity risk strategy policy doctrine region"
).split()
CONTEXT = 32

PREFIXES = """@prefix actor: <https://w3id.org/sdkg/id/actor/> .
@prefix argument: <https://w3id.org/sdkg/id/argument/> .
@prefix ascription: <https://w3id.org/sdkg/id/ascription/> .
@prefix case: <https://w3id.org/sdkg/id/case/> .
@prefix claim: <https://w3id.org/sdkg/id/claim/> .
@prefix concept: <https://w3id.org/sdkg/id/concept/> .
@prefix discourse: <https://w3id.org/sdkg/id/discourse/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix passage: <https://w3id.org/sdkg/id/passage/> .
@prefix place: <https://w3id.org/sdkg/id/place/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sdkg: <https://w3id.org/sdkg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix source: <https://w3id.org/sdkg/id/source/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

"""


@dataclass(frozen=True)
class Sizes:
    """How many of each kind a corpus of ``claims`` claims has."""

    claims: int
    sources: int
    actors: int
    states: int
    cases: int
    concepts: int

    @classmethod
    def for_claims(cls, claims: int) -> Sizes:
        return cls(
            claims=claims,
            sources=max(1, -(-claims // CLAIMS_PER_SOURCE)),
            actors=max(20, claims // 20),
            states=max(10, claims // 200),
            cases=max(10, claims // 50),
            concepts=max(10, claims // 50),
        )


def sentence(rng: random.Random, number: int) -> str:
    """A plain sentence (normalised form: no quote marks, single spaces), unique by its number."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 24))]
    return f"Point {number}: " + " ".join(words) + "."


def source_text(rng: random.Random, source: int, passages: int) -> tuple[str, list[tuple[int, int]]]:
    """The text of a source and the span of each of its passages (one sentence each)."""
    parts: list[str] = [f"Synthetic source text {source}."]
    spans: list[tuple[int, int]] = []
    length = len(parts[0])
    for index in range(passages):
        text = sentence(rng, index)
        start = length + 1
        spans.append((start, start + len(text)))
        parts.append(text)
        length = start + len(text)
    return " ".join(parts), spans


def entities(sizes: Sizes, rng: random.Random) -> str:
    """Discourses, concepts, actors, states and cases, each typed, labelled and described."""
    out = [PREFIXES, "# Synthetic entities for benchmarks: every label is unique.\n\n"]
    out.extend(
        f'discourse:{name} a sdkg:Discourse ;\n    rdfs:label "synthetic {name} discourse"@en ;\n'
        f'    skos:definition "A synthetic stand-in for the {name} discourse of security."@en .\n\n'
        for name in DISCOURSES
    )
    out.extend(
        f'concept:c{i} a sdkg:Concept ;\n    rdfs:label "synthetic concept {i}"@en ;\n'
        f'    skos:definition "Synthetic concept number {i}."@en ;\n'
        f"    sdkg:relatedDiscourse discourse:{DISCOURSES[i % 3]} ;\n"
        f"    sdkg:mentionedIn source:s{i % sizes.sources} .\n\n"
        for i in range(sizes.concepts)
    )
    out.extend(
        f'actor:state{i} a sdkg:State ;\n    rdfs:label "Synthetic State {i}"@en ;\n'
        f"    sdkg:mentionedIn source:s{i % sizes.sources} .\n\n"
        for i in range(sizes.states)
    )
    for i in range(sizes.actors):
        cls = ACTOR_CLASSES[i % len(ACTOR_CLASSES)]
        extra = f'    skos:definition "Synthetic collective {i}."@en ;\n' if cls == "sdkg:Collective" else ""
        role = "sdkg:AuthorRole" if i < sizes.sources else "sdkg:PositionHolderRole"
        out.append(
            f'actor:a{i} a {cls} ;\n    rdfs:label "Synthetic Actor {i}"@en ;\n{extra}'
            f"    sdkg:textRole {role} ;\n"
            f"    sdkg:mentionedIn source:s{i % sizes.sources} .\n\n"
        )
    for i in range(sizes.cases):
        start = 1945 + rng.randrange(75)
        out.append(
            f'case:k{i} a {CASE_CLASSES[i % len(CASE_CLASSES)]} ;\n    rdfs:label "synthetic case {i}"@en ;\n'
            f'    skos:definition "Synthetic case number {i}."@en ;\n'
            f"    sdkg:involves actor:a{rng.randrange(sizes.actors)}, actor:state{rng.randrange(sizes.states)} ;\n"
            f"    sdkg:location actor:state{i % sizes.states} ;\n"
            f"    sdkg:startYear {start} ;\n"
            f"    sdkg:mentionedIn source:s{i % sizes.sources} .\n\n"
        )
    return "".join(out)


def source_record(index: int, file_name: str, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return (
        f'source:s{index} a sdkg:ScholarlyArticle ;\n    rdfs:label "Synthetic Article {index}"@en ;\n'
        f"    sdkg:author actor:a{index} ;\n"
        f'    sdkg:sourceFileName "{file_name}" ;\n'
        f'    sdkg:normalisedTextSha256 "{digest}" ;\n'
        f'    sdkg:normalisedTextLength "{len(text)}"^^xsd:nonNegativeInteger .\n\n'
    )


def claim_blocks(sizes: Sizes, rng: random.Random, number: int, source: int, text: str, span: tuple[int, int]) -> str:
    """One claim, its ascription, its passage and, for every fourth claim, an argument link."""
    start, end = span
    exact = text[start:end]
    prefix, suffix = text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]
    discourse = DISCOURSES[number % 3]
    relation = "sdkg:expressesDiscourse" if number % 4 else "sdkg:criticisesDiscourse"
    holder = rng.randrange(sizes.actors)
    stance = "sdkg:Endorses" if holder == source else STANCES[rng.randrange(3)]  # a self-held claim is endorsed
    out = [
        f'claim:x{number} a sdkg:Claim ;\n    rdfs:label "Synthetic claim {number}"@en ;\n'
        f'    sdkg:paraphrase "The synthetic claim number {number} restated."@en ;\n'
        f"    {relation} discourse:{discourse} ;\n"
        f"    sdkg:mentionsActor actor:a{holder} ;\n"
        f"    sdkg:usesConcept concept:c{rng.randrange(sizes.concepts)} ;\n"
        f"    sdkg:aboutCase case:k{rng.randrange(sizes.cases)} .\n\n",
        f'ascription:x{number} a sdkg:Ascription ;\n    rdfs:label "Ascription of synthetic claim {number}"@en ;\n'
        f"    sdkg:ascribes claim:x{number} ;\n"
        f"    sdkg:reportedBy actor:a{source} ;\n"
        f"    sdkg:heldBy actor:a{holder} ;\n"
        f"    sdkg:stance {stance} ;\n"
        f"    sdkg:inSource source:s{source} ;\n"
        f"    sdkg:restsOn passage:s{source}-{start}-{end} .\n\n",
        f'passage:s{source}-{start}-{end} a sdkg:Passage ;\n    rdfs:label "Passage s{source} {start}-{end}"@en ;\n'
        f"    oa:hasSource source:s{source} ;\n"
        f'    oa:hasSelector [\n        a oa:TextQuoteSelector ;\n        oa:exact "{exact}" ;\n'
        f'        oa:prefix "{prefix}" ;\n        oa:suffix "{suffix}"\n    ], [\n'
        f'        a oa:TextPositionSelector ;\n        oa:start "{start}"^^xsd:nonNegativeInteger ;\n'
        f'        oa:end "{end}"^^xsd:nonNegativeInteger\n    ] .\n\n',
    ]
    if number % 4 == 3:
        kind = "sdkg:Support" if number % 8 == 3 else "sdkg:Attack"
        out.append(
            f'argument:x{number} a {kind} ;\n    rdfs:label "Synthetic argument link {number}"@en ;\n'
            f"    sdkg:premise claim:x{number - 1} ;\n"
            f"    sdkg:conclusion claim:x{number} ;\n"
            f"    sdkg:assertedBy actor:a{source} ;\n"
            f"    sdkg:linkSource source:s{source} ;\n"
            f"    sdkg:restsOn passage:s{source}-{start}-{end} .\n\n"
        )
    return "".join(out)


def generate(out: Path, claims: int, seed: int = 1, progress: Callable[[str], None] | None = None) -> Path:
    """Write a complete project (ontology, shapes, data, source texts) to ``out``; return ``out``."""
    rng = random.Random(seed)
    sizes = Sizes.for_claims(claims)
    if out.exists():
        shutil.rmtree(out)
    data = out / "data" / "synthetic"
    data.mkdir(parents=True)
    (out / "sources").mkdir()
    for name in ("ontology", "shapes"):
        shutil.copytree(REPO / name, out / name)
    (data / "entities.ttl").write_text(entities(sizes, rng), encoding="utf-8")
    records = [PREFIXES]
    number = 0
    started = time.monotonic()
    for source in range(sizes.sources):
        count = min(CLAIMS_PER_SOURCE, claims - number)
        text, spans = source_text(rng, source, count)
        file_name = f"synthetic-{source:05d}.txt"
        (out / "sources" / file_name).write_text(text, encoding="utf-8")
        records.append(source_record(source, file_name, text))
        blocks = [PREFIXES] + [claim_blocks(sizes, rng, number + i, source, text, span) for i, span in enumerate(spans)]
        (data / f"claims-{source:05d}.ttl").write_text("".join(blocks), encoding="utf-8")
        number += count
        if progress and (source + 1) % max(1, sizes.sources // 10) == 0:
            progress(f"generated {number}/{claims} claims ({time.monotonic() - started:.0f} s)")
    (data / "sources.ttl").write_text("".join(records), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="project directory to write (replaced if it exists)")
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    generate(args.out, args.claims, args.seed, progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
