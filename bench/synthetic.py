"""A synthetic SDKG project of any size whose data passes the project's shapes and quote check.

The corpus follows the model of the repository's data (docs/encoding-guide.md): claim →
ascription (reporter, holder, stance, source) → passage with a quote and a position selector;
argument links that say who makes them, in which source and on which passage, with chains of
support, cases as evidence of a discourse's success or failure, and a maker who never rejects
his own premise; profile claims, statistical claims, interviews with interviewers' claims,
cited scholars, discourse alignments made by a source; and an editorial graph
(``data/editorial/``) of links between claims of different sources and alignments that the
SDKG editors make, each on passages of both sides. Source texts are generated too (plain
words, already in normalised form), so every passage is verbatim at its offsets and the quote
check runs for real; they live in ``<out>/sources`` (point ``SDKG_SOURCES`` there). The rules
(``ontology/rules/``) add the derived relations and their explanations when it is built.

About 31 triples per claim in the files: 10k claims ≈ 0.31M triples, 100k ≈ 3.1M, 1M ≈ 31M
(the build's inferred graph adds more: see bench/README.md).

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
ASPECTS = (
    ("sdkg:WhoIsSecured", "sdkg:referentObject"),
    ("sdkg:HowSecurityIsAchieved", "sdkg:meansOfSecurity"),
    ("sdkg:FromWhomSecurityIsNeeded", "sdkg:sourceOfThreat"),
    ("sdkg:PlaceOfHumanRights", "sdkg:humanRightsPosition"),
)
EDITORS = "actor:sdkg-editors"
INTERVIEW_EVERY = 5
"""Every fifth source is an interview: its author is the interviewee, and an interviewer reports some claims."""
PROFILE_EVERY = 500
STATISTIC_EVERY = 1000
CASE_LINK_EVERY = 40
EDITORIAL_EVERY = 200
"""One editorial link per this many claims, from a claim of one source to a claim of the next."""
WORDS = (
    "security state order norm right war peace people society power threat harm border rule law "
    "intervention sovereignty humanity protection violence civil conflict regime council duty crisis "
    "refugee border justice market aid army force alliance treaty claim argument reason theory practice "
    "history nation citizen community freedom welfare identity risk strategy policy doctrine region"
).split()
CONTEXT = 32

PREFIXES = """@prefix actor: <https://w3id.org/sdkg/id/actor/> .
@prefix argument: <https://w3id.org/sdkg/id/argument/> .
@prefix alignment: <https://w3id.org/sdkg/id/alignment/> .
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
        sources = max(1, -(-claims // CLAIMS_PER_SOURCE))
        return cls(
            claims=claims,
            sources=sources,
            actors=max(20, claims // 20, 2 * sources + 10),
            states=max(10, claims // 200),
            cases=max(10, claims // 50),
            concepts=max(10, claims // 50),
        )

    def is_interview(self, source: int) -> bool:
        return source % INTERVIEW_EVERY == INTERVIEW_EVERY - 1

    def interviewer(self, source: int) -> int:
        """The actor who interviews the author of an interview source."""
        return self.sources + source

    def role(self, actor: int) -> str:
        if actor < self.sources:
            return "sdkg:AuthorRole, sdkg:IntervieweeRole" if self.is_interview(actor) else "sdkg:AuthorRole"
        if actor < 2 * self.sources and self.is_interview(actor - self.sources):
            return "sdkg:InterviewerRole"
        return "sdkg:CitedScholarRole" if actor % 7 == 0 else "sdkg:PositionHolderRole"


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
    for d, name in enumerate(DISCOURSES):
        answers = "".join(
            f"    {prop} concept:c{(d * 4 + a) % sizes.concepts} ;\n" for a, (_, prop) in enumerate(ASPECTS)
        )
        out.append(
            f'discourse:{name} a sdkg:Discourse ;\n    rdfs:label "synthetic {name} discourse"@en ;\n{answers}'
            f'    skos:definition "A synthetic stand-in for the {name} discourse of security."@en .\n\n'
        )
    for i in range(sizes.concepts):
        contrast = f"    sdkg:contrastsWith concept:c{i + 1} ;\n" if i % 50 == 0 and i + 1 < sizes.concepts else ""
        out.append(
            f'concept:c{i} a sdkg:Concept ;\n    rdfs:label "synthetic concept {i}"@en ;\n'
            f'    skos:definition "Synthetic concept number {i}."@en ;\n{contrast}'
            f"    sdkg:relatedDiscourse discourse:{DISCOURSES[i % 3]} ;\n"
            f"    sdkg:mentionedIn source:s{i % sizes.sources} .\n\n"
        )
    out.extend(
        f'actor:state{i} a sdkg:State ;\n    rdfs:label "Synthetic State {i}"@en ;\n'
        f"    sdkg:mentionedIn source:s{i % sizes.sources} .\n\n"
        for i in range(sizes.states)
    )
    out.append(
        f'{EDITORS} a sdkg:Collective ;\n    rdfs:label "SDKG editors"@en ;\n'
        '    skos:definition "The editors of this knowledge graph, who make the links neither source makes."@en .\n\n'
    )
    for i in range(sizes.actors):
        cls = "sdkg:Person" if i < 2 * sizes.sources else ACTOR_CLASSES[i % len(ACTOR_CLASSES)]
        extra = f'    skos:definition "Synthetic collective {i}."@en ;\n' if cls == "sdkg:Collective" else ""
        source = i - sizes.sources if sizes.sources <= i < 2 * sizes.sources else i % sizes.sources
        out.append(
            f'actor:a{i} a {cls} ;\n    rdfs:label "Synthetic Actor {i}"@en ;\n{extra}'
            f"    sdkg:textRole {sizes.role(i)} ;\n"
            f"    sdkg:mentionedIn source:s{source} .\n\n"
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


def source_record(sizes: Sizes, index: int, file_name: str, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if sizes.is_interview(index):
        kind = "sdkg:InterviewArticle"
        people = (
            f"    sdkg:author actor:a{sizes.interviewer(index)} ;\n    sdkg:interviewee actor:a{index} ;\n"
            f"    sdkg:interviewer actor:a{sizes.interviewer(index)} ;\n"
        )
    else:
        kind, people = "sdkg:ScholarlyArticle", f"    sdkg:author actor:a{index} ;\n"
    return (
        f'source:s{index} a {kind} ;\n    rdfs:label "Synthetic Article {index}"@en ;\n{people}'
        f'    sdkg:sourceFileName "{file_name}" ;\n'
        f'    sdkg:normalisedTextSha256 "{digest}" ;\n'
        f'    sdkg:normalisedTextLength "{len(text)}"^^xsd:nonNegativeInteger .\n\n'
    )


def passage_iri(source: int, span: tuple[int, int]) -> str:
    return f"passage:s{source}-{span[0]}-{span[1]}"


def is_premise(number: int, first: int) -> bool:
    """Claims that a link of their own source argues from (their maker must not reject them)."""
    return number % 4 == 2 or (number % 16 == 15 and number + 3 < first + CLAIMS_PER_SOURCE)


def claim_blocks(
    sizes: Sizes, rng: random.Random, number: int, source: int, first: int, text: str, span: tuple[int, int]
) -> str:
    """One claim, its ascription and passage, and the argument links that conclude in it.

    Every fourth claim is the conclusion of a support or an attack from the claim before it;
    every sixteenth (from the second) also of a support from the claim three before, so that
    supports chain; every fortieth of a support from a case that shows a discourse's success or
    failure. The reporter is the source's author (or, for one claim in ten of an interview, its
    interviewer), who makes the links and never rejects a premise.
    """
    start, end = span
    exact = text[start:end]
    prefix, suffix = text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]
    discourse = DISCOURSES[number % 3]
    relation = "sdkg:expressesDiscourse" if number % 4 else "sdkg:criticisesDiscourse"
    interviewer = sizes.is_interview(source) and number % 10 == 1
    reporter = sizes.interviewer(source) if interviewer else source
    holder = reporter if interviewer else rng.randrange(sizes.actors)
    if holder == reporter:
        stance = "sdkg:Endorses"  # a self-held claim is endorsed
    elif is_premise(number, first):
        stance = STANCES[(0, 2)[rng.randrange(2)]]
    else:
        stance = STANCES[rng.randrange(3)]
    case = rng.randrange(sizes.cases)
    kind, extra = "sdkg:Claim", ""
    if number % PROFILE_EVERY == 7:
        aspect = ASPECTS[(number // PROFILE_EVERY) % 4][0]
        extra += f"    sdkg:characterises discourse:{discourse} ;\n    sdkg:profileAspect {aspect} ;\n"
    if number % STATISTIC_EVERY == 11:
        kind = "sdkg:StatisticalClaim"
        extra += (
            f'    sdkg:statisticValue "{number % 977 + 1}"^^xsd:decimal ;\n    sdkg:statisticUnit "people" ;\n'
            f'    sdkg:measure "synthetic measure {number}" ;\n    sdkg:citedBody actor:a{holder} ;\n'
        )
    passage = passage_iri(source, span)
    out = [
        f'claim:x{number} a {kind} ;\n    rdfs:label "Synthetic claim {number}"@en ;\n'
        f'    sdkg:paraphrase "The synthetic claim number {number} restated."@en ;\n'
        f"    {relation} discourse:{discourse} ;\n{extra}"
        f"    sdkg:mentionsActor actor:a{holder} ;\n"
        f"    sdkg:usesConcept concept:c{rng.randrange(sizes.concepts)} ;\n"
        f"    sdkg:aboutCase case:k{case} .\n\n",
        f'ascription:x{number} a sdkg:Ascription ;\n    rdfs:label "Ascription of synthetic claim {number}"@en ;\n'
        f"    sdkg:ascribes claim:x{number} ;\n"
        f"    sdkg:reportedBy actor:a{reporter} ;\n"
        f"    sdkg:heldBy actor:a{holder} ;\n"
        f"    sdkg:stance {stance} ;\n"
        f"    sdkg:inSource source:s{source} ;\n"
        f"    sdkg:restsOn {passage} .\n\n",
        f'{passage} a sdkg:Passage ;\n    rdfs:label "Passage s{source} {start}-{end}"@en ;\n'
        f"    oa:hasSource source:s{source} ;\n"
        f'    oa:hasSelector [\n        a oa:TextQuoteSelector ;\n        oa:exact "{exact}" ;\n'
        f'        oa:prefix "{prefix}" ;\n        oa:suffix "{suffix}"\n    ], [\n'
        f'        a oa:TextPositionSelector ;\n        oa:start "{start}"^^xsd:nonNegativeInteger ;\n'
        f'        oa:end "{end}"^^xsd:nonNegativeInteger\n    ] .\n\n',
    ]

    def link(name: str, link_kind: str, premise: str, label: str, verdict: str = "") -> None:
        out.append(
            f'argument:{name} a {link_kind} ;\n    rdfs:label "{label}"@en ;\n'
            f"    sdkg:premise {premise} ;\n"
            f"    sdkg:conclusion claim:x{number} ;\n{verdict}"
            f"    sdkg:assertedBy actor:a{source} ;\n"
            f"    sdkg:linkSource source:s{source} ;\n"
            f"    sdkg:restsOn {passage} .\n\n"
        )

    if number % 4 == 3:
        link_kind = "sdkg:Support" if number % 8 == 3 else "sdkg:Attack"
        link(f"x{number}", link_kind, f"claim:x{number - 1}", f"Synthetic argument link {number}")
    if number % 16 == 2 and number - 3 >= first:
        link(f"y{number}", "sdkg:Support", f"claim:x{number - 3}", f"Synthetic chained support {number}")
    if number % CASE_LINK_EVERY == 21:
        evidence = f"case:k{(case + 1) % sizes.cases}"  # not the case the claim is about (K3/K4)
        verdict = f"    sdkg:{('showsSuccessOf', 'showsFailureOf')[number % 2]} discourse:{discourse} ;\n"
        link(f"z{number}", "sdkg:Support", evidence, f"Synthetic case evidence {number}", verdict)
    return "".join(out)


def alignment_block(sizes: Sizes, source: int, span: tuple[int, int]) -> str:
    """A discourse alignment the source itself makes (the rules derive sdkg:relatedDiscourse from it)."""
    return (
        f"alignment:s{source} a sdkg:DiscourseAlignment ;\n"
        f'    rdfs:label "Synthetic alignment of source {source}"@en ;\n'
        f"    sdkg:alignedConcept concept:c{(source * 7 + 3) % sizes.concepts} ;\n"
        f"    sdkg:alignedDiscourse discourse:{DISCOURSES[source % 3]} ;\n"
        f"    sdkg:assertedBy actor:a{source} ;\n"
        f"    sdkg:linkSource source:s{source} ;\n"
        f"    sdkg:restsOn {passage_iri(source, span)} .\n\n"
    )


def editorial_blocks(sizes: Sizes, anchors: dict[int, str]) -> str:
    """The editorial graph: links from a claim of one source to a claim of the next, and alignments.

    ``anchors`` maps the claims they read to their passages; each statement rests on both sides.
    """
    out = [PREFIXES, "# Synthetic editorial statements: links and alignments neither source makes.\n\n"]
    for premise in sorted(anchors):
        conclusion = premise + CLAIMS_PER_SOURCE
        if premise % EDITORIAL_EVERY != EDITORIAL_EVERY // 4 or conclusion not in anchors:
            continue
        kind = "sdkg:Support" if (premise // EDITORIAL_EVERY) % 3 else "sdkg:Attack"
        out.append(
            f"argument:e{premise} a {kind}, sdkg:EditorialLink ;\n"
            f'    rdfs:label "Synthetic editorial link {premise}"@en ;\n'
            f"    sdkg:premise claim:x{premise} ;\n    sdkg:conclusion claim:x{conclusion} ;\n"
            f"    sdkg:assertedBy {EDITORS} ;\n"
            f"    sdkg:restsOn {anchors[premise]}, {anchors[conclusion]} ;\n"
            f'    skos:editorialNote "The editors read claim {premise} together with claim {conclusion}."@en .\n\n'
        )
        if premise % (10 * EDITORIAL_EVERY) == EDITORIAL_EVERY // 4:
            out.append(
                f"alignment:e{premise} a sdkg:DiscourseAlignment, sdkg:EditorialAlignment ;\n"
                f'    rdfs:label "Synthetic editorial alignment {premise}"@en ;\n'
                f"    sdkg:alignedConcept concept:c{premise % sizes.concepts} ;\n"
                f"    sdkg:alignedDiscourse discourse:{DISCOURSES[premise % 3]} ;\n"
                f"    sdkg:assertedBy {EDITORS} ;\n"
                f"    sdkg:restsOn {anchors[premise]}, {anchors[conclusion]} ;\n"
                f'    skos:editorialNote "The editors read concept {premise % sizes.concepts} in a discourse."@en .\n\n'
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
    (out / "data" / "editorial").mkdir()
    (out / "sources").mkdir()
    for name in ("ontology", "shapes"):
        shutil.copytree(REPO / name, out / name)
    (data / "entities.ttl").write_text(entities(sizes, rng), encoding="utf-8")
    records = [PREFIXES]
    anchors: dict[int, str] = {}
    number = 0
    started = time.monotonic()
    for source in range(sizes.sources):
        count = min(CLAIMS_PER_SOURCE, claims - number)
        text, spans = source_text(rng, source, count)
        file_name = f"synthetic-{source:05d}.txt"
        (out / "sources" / file_name).write_text(text, encoding="utf-8")
        records.append(source_record(sizes, source, file_name, text))
        blocks = [PREFIXES] + [
            claim_blocks(sizes, rng, number + i, source, number, text, span) for i, span in enumerate(spans)
        ]
        blocks.append(alignment_block(sizes, source, spans[0]))
        (data / f"claims-{source:05d}.ttl").write_text("".join(blocks), encoding="utf-8")
        for i, span in enumerate(spans):
            if (number + i) % EDITORIAL_EVERY == EDITORIAL_EVERY // 4:
                anchors[number + i] = passage_iri(source, span)
        number += count
        if progress and (source + 1) % max(1, sizes.sources // 10) == 0:
            progress(f"generated {number}/{claims} claims ({time.monotonic() - started:.0f} s)")
    (data / "sources.ttl").write_text("".join(records), encoding="utf-8")
    (out / "data" / "editorial" / "editorial.ttl").write_text(editorial_blocks(sizes, anchors), encoding="utf-8")
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
