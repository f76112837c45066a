"""The ontology: OWL 2 DL (OWL API), consistent with the data (HermiT), annotated, rules, release."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from sdkg.build.rules import apply_rules, rule_files
from sdkg.namespaces import INFERRED_GRAPH, ONTOLOGY_IRI, SDKG
from sdkg.release import FULL_IRI, write_release
from tests.conftest import REPO

ONTOLOGY = REPO / "ontology" / "sdkg.ttl"
RULES = REPO / "ontology" / "rules"
OWLCHECK = REPO / "tools" / "owlapi-check" / "owlcheck.sh"
INSTALL_OWLAPI = REPO / "scripts" / "install-owlapi.sh"
DCTERMS = "http://purl.org/dc/terms/"
VANN = "http://purl.org/vocab/vann/"
CC_BY_4 = URIRef("https://creativecommons.org/licenses/by/4.0/")
DECLARATION_TYPES = {
    OWL.Class: "class",
    OWL.ObjectProperty: "object",
    OWL.DatatypeProperty: "datatype",
    OWL.AnnotationProperty: "annotation",
    OWL.NamedIndividual: "individual",
}

# The terms the content editors code against: never renamed, removed or changed in kind.
CONTRACT_TERMS: dict[str, str] = {
    **dict.fromkeys(
        "AcademicInstitution Actor ArgumentLink ArmedConflict ArmedGroup Ascription Atrocity Attack Book Case "
        "CivilSocietyOrganisation Claim Collective Concept DiplomaticProcess Discourse GovernmentBody Incident "
        "IntergovernmentalOrganisation Intervention InterviewArticle LegalInstrument Movement Organisation Passage "
        "Periodical Person Place Policy PoliticalParty ProfileAspect Report ScholarlyArticle Source Stance State "
        "StatisticalClaim Support TextRole".split(),
        "class",
    ),
    **dict.fromkeys(
        "endYear measure normalisedTextLength normalisedTextSha256 paraphrase period publicationYear sourceFileName "
        "startYear statisticUnit statisticValue".split(),
        "datatype",
    ),
    **dict.fromkeys(
        "AuthorRole CaseParticipantRole CitedScholarRole Endorses FromWhomSecurityIsNeeded HowSecurityIsAchieved "
        "IntervieweeRole InterviewerRole PlaceOfHumanRights PositionHolderRole Rejects ReportsNeutrally "
        "WhoIsSecured".split(),
        "individual",
    ),
    **dict.fromkeys(
        "aboutCase affiliation ascribes assertedBy author characterises citedBody conclusion contrastsWith "
        "criticisesDiscourse expressesDiscourse heldBy humanRightsPosition inSource interviewee interviewer involves "
        "linkSource location meansOfSecurity memberOf mentionedIn mentionsActor premise profileAspect publishedIn "
        "publisher referentObject relatedDiscourse reportedBy restsOn showsFailureOf showsSuccessOf sourceOfThreat "
        "stance textRole usesConcept".split(),
        "object",
    ),
}


# ---------------------------------------------------------------- helpers


def require_java_tools() -> None:
    """Java and the OWL API jars, installed when possible; skip (fail under CI) when they cannot be."""
    if run_owlcheck_probe():
        return
    if shutil.which("sh") and hasattr(os, "geteuid") and os.geteuid() == 0:
        subprocess.run(["sh", str(INSTALL_OWLAPI)], capture_output=True, text=True, timeout=900)
        if run_owlcheck_probe():
            return
    message = "java/javac or the Debian OWL API jars are missing and cannot be installed (scripts/install-owlapi.sh)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run_owlcheck_probe() -> bool:
    if shutil.which("java") is None or shutil.which("javac") is None:
        return False
    result = subprocess.run(["sh", str(OWLCHECK)], capture_output=True, text=True, timeout=300)
    return result.returncode == 2  # usage error: the tool compiled and ran


def owlcheck(path: Path, catalog: Path | None = None) -> str:
    """Run the OWL API checker; return its output after asserting that it found nothing."""
    args = ["sh", str(OWLCHECK), str(path)] + (["--catalog", str(catalog)] if catalog else [])
    result = subprocess.run(args, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    summary = [line for line in output.splitlines() if line.startswith("SUMMARY")]
    assert summary, output[-3000:]
    assert "parse errors=0" in summary[-1], output[-3000:]
    assert "unparsed triples=0" in summary[-1], output[-3000:]
    assert "DL violations=0" in summary[-1], output[-3000:]
    assert "missing imports=0" in summary[-1], output[-3000:]
    assert result.returncode == 0, output[-3000:]
    return output


def ontology_graph() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


def declared_terms(graph: Graph) -> dict[URIRef, set[str]]:
    terms: dict[URIRef, set[str]] = {}
    for rdf_type, kind in DECLARATION_TYPES.items():
        for subject in graph.subjects(RDF.type, rdf_type):
            if isinstance(subject, URIRef):
                terms.setdefault(subject, set()).add(kind)
    return terms


def hermit(owl_file: Path) -> tuple[bool, list[str]]:
    """Consistency and unsatisfiable classes by the HermiT that ships with owlready2."""
    import owlready2

    classpath = owlready2.reasoning._HERMIT_CLASSPATH
    command = [owlready2.JAVA_EXE, f"-Xmx{owlready2.reasoning.JAVA_MEMORY}M", "-cp", classpath]
    command += ["org.semanticweb.HermiT.cli.CommandLine", "-k", "-U", owl_file.resolve().as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    if "InconsistentOntologyException" in output:
        return False, []
    assert "owl#Thing is satisfiable." in output, output[-3000:]
    lines = output.split("Classes equivalent to 'owl:Nothing':", 1)[1].splitlines()
    unsatisfiable = [line.strip() for line in lines if line.startswith("\t") and line.strip() != "owl:Nothing"]
    return True, unsatisfiable


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release")
    write_release(REPO, out)
    return out


# ---------------------------------------------------------------- OWL API: OWL 2 DL


def test_owlapi_ontology_alone_is_owl2_dl() -> None:
    require_java_tools()
    output = owlcheck(ONTOLOGY)
    assert f"ontology={ONTOLOGY_IRI}" in output


def test_owlapi_merged_ontology_and_data_is_owl2_dl(release_dir: Path) -> None:
    require_java_tools()
    output = owlcheck(release_dir / "sdkg-full.owl", release_dir / "catalog-v001.xml")
    individuals = int(re.search(r"individuals=(\d+)", output).group(1))  # type: ignore[union-attr]
    assert individuals > 100, output


def test_owlapi_reads_every_release_syntax(release_dir: Path) -> None:
    require_java_tools()
    for name in ("sdkg.owl", "sdkg.jsonld"):
        owlcheck(release_dir / name, release_dir / "catalog-v001.xml")


def test_owlapi_checker_reports_problems(tmp_path: Path) -> None:
    require_java_tools()
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix : <http://example.org/x#> .\n"
        "<http://example.org/x> a owl:Ontology ; owl:imports <http://example.org/not-here> .\n"
        ":a :undeclared :b .\n",
        encoding="utf-8",
    )
    result = subprocess.run(["sh", str(OWLCHECK), str(broken)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "DL violations=1" in result.stdout and "missing imports=1" in result.stdout, result.stdout
    unparsable = tmp_path / "unparsable.ttl"
    unparsable.write_text("@prefix : <http://example.org/x#> .\n:a :b ", encoding="utf-8")
    result = subprocess.run(["sh", str(OWLCHECK), str(unparsable)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "parse errors=1" in result.stdout, result.stdout


# ---------------------------------------------------------------- owlready2 + HermiT


def test_hermit_ontology_alone_via_owlready2(release_dir: Path) -> None:
    require_java_tools()
    import owlready2

    world = owlready2.World()
    ontology = world.get_ontology((release_dir / "sdkg.owl").as_uri()).load()
    with ontology:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
    assert ontology.search_one(iri=SDKG + "Claim") is not None


def test_hermit_ontology_and_data_consistent(release_dir: Path, tmp_path: Path) -> None:
    """owlready2 loads the merged file; HermiT checks it (classification of data properties is left out: minutes)."""
    require_java_tools()
    import owlready2

    world = owlready2.World()
    full = world.get_ontology((release_dir / "sdkg-full.owl").as_uri()).load()
    assert len(list(full.individuals())) > 100
    saved = tmp_path / "full-owlready2.owl"
    world.save(file=str(saved), format="rdfxml")
    consistent, unsatisfiable = hermit(saved)
    assert consistent, "HermiT: the ontology and data are inconsistent"
    assert unsatisfiable == []


def test_hermit_detects_inconsistency(tmp_path: Path) -> None:
    """The check above can fail: a passage that is also an actor contradicts the disjointness axioms."""
    require_java_tools()
    graph = ontology_graph()
    odd = URIRef("https://w3id.org/sdkg/id/passage/odd")
    graph.add((odd, RDF.type, URIRef(SDKG + "Passage")))
    graph.add((odd, RDF.type, URIRef(SDKG + "Person")))
    path = tmp_path / "odd.owl"
    graph.serialize(path, format="xml")
    consistent, _ = hermit(path)
    assert not consistent


# ---------------------------------------------------------------- header, labels, definitions


def test_header() -> None:
    graph = ontology_graph()
    ontology = URIRef(ONTOLOGY_IRI)
    assert (ontology, RDF.type, OWL.Ontology) in graph
    for predicate in ("title", "description"):
        values = list(graph.objects(ontology, URIRef(DCTERMS + predicate)))
        assert len(values) == 1 and isinstance(values[0], Literal) and values[0].language == "en"
    assert Literal("SDKG editors", lang="en") in set(graph.objects(ontology, URIRef(DCTERMS + "creator")))
    assert list(graph.objects(ontology, URIRef(DCTERMS + "license"))) == [CC_BY_4]
    version = graph.value(ontology, OWL.versionInfo)
    assert version is not None and re.fullmatch(r"\d+\.\d+\.\d+", str(version))
    assert graph.value(ontology, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{version}")
    assert graph.value(ontology, URIRef(VANN + "preferredNamespacePrefix")) == Literal("sdkg")
    assert graph.value(ontology, URIRef(VANN + "preferredNamespaceUri")) == Literal(SDKG)
    assert list(graph.objects(None, OWL.imports)) == [], "no owl:imports: external terms are declared locally"


def test_every_term_has_one_label_and_one_definition() -> None:
    graph = ontology_graph()
    problems = []
    for term in declared_terms(graph):
        labels = list(graph.objects(term, RDFS.label))
        definitions = list(graph.objects(term, SKOS.definition))
        if len(labels) != 1 or not isinstance(labels[0], Literal) or labels[0].language != "en":
            problems.append(f"{term}: labels {labels}")
        if len(definitions) != 1 or not isinstance(definitions[0], Literal) or definitions[0].language != "en":
            problems.append(f"{term}: definitions {definitions}")
        if graph.value(term, RDFS.isDefinedBy) is None:
            problems.append(f"{term}: no rdfs:isDefinedBy")
    assert problems == []


def test_annotations_have_no_whitespace_problems() -> None:
    graph = ontology_graph()
    problems = [
        f"{s} {p}: {o!r}"
        for s, p, o in graph
        if isinstance(o, Literal) and (str(o) != str(o).strip() or "\n" in o or "  " in o)
    ]
    assert problems == []


def test_labels_are_unique() -> None:
    graph = ontology_graph()
    labels = Counter(str(graph.value(term, RDFS.label)).casefold() for term in declared_terms(graph))
    assert [label for label, count in labels.items() if count > 1] == []


def test_own_terms_are_defined_by_the_ontology() -> None:
    graph = ontology_graph()
    for term in declared_terms(graph):
        if str(term).startswith(SDKG):
            assert graph.value(term, RDFS.isDefinedBy) == URIRef(ONTOLOGY_IRI), term


def test_contract_terms_are_kept_with_their_kind() -> None:
    terms = declared_terms(ontology_graph())
    for name, kind in CONTRACT_TERMS.items():
        assert terms.get(URIRef(SDKG + name)) == {kind}, name


def test_every_term_has_one_kind() -> None:
    punned = {term: kinds for term, kinds in declared_terms(ontology_graph()).items() if len(kinds) > 1}
    assert punned == {}


def test_derived_properties_and_axioms() -> None:
    graph = ontology_graph()
    sdkg = {name: URIRef(SDKG + name) for name in ("hasAscription", "ascribes", "authorOf", "author", "holdsClaim")}
    assert (sdkg["hasAscription"], OWL.inverseOf, sdkg["ascribes"]) in graph
    assert (sdkg["authorOf"], OWL.inverseOf, sdkg["author"]) in graph
    assert graph.value(sdkg["holdsClaim"], OWL.propertyChainAxiom) is not None
    for name in ("criticOf", "proponentOf", "supports", "attacks", "endorsesClaim"):
        assert (URIRef(SDKG + name), RDF.type, OWL.ObjectProperty) in graph, name
    disjoint = [set(graph.items(members)) for members in graph.objects(None, OWL.members)]
    top = {URIRef(SDKG + name) for name in ("Actor", "Case", "Claim", "Ascription", "ArgumentLink", "Passage")}
    assert any(top <= members for members in disjoint)
    # a property chain makes a property non-simple: it must carry no cardinality or functional axiom
    chained = set(graph.subjects(OWL.propertyChainAxiom, None))
    chained |= {s for s, _, o in graph.triples((None, RDFS.subPropertyOf, None)) if o in chained}
    for prop in chained:
        assert (prop, RDF.type, OWL.FunctionalProperty) not in graph, prop
        assert not list(graph.subjects(OWL.onProperty, prop)), prop


def test_turtle_is_tidy() -> None:
    text = ONTOLOGY.read_text(encoding="utf-8")
    prefixes = [line for line in text.splitlines() if line.startswith("@prefix")]
    assert prefixes == sorted(prefixes)
    subjects = [name for name in re.findall(r"^(\S+) a ", text, flags=re.MULTILINE) if name != "[]"]
    assert len(subjects) == len(set(subjects)), "one block per subject"
    for section in re.split(r"^# -+ .*$", text, flags=re.MULTILINE)[1:]:
        names = [name for name in re.findall(r"^(\S+) a ", section, flags=re.MULTILINE) if name != "[]"]
        assert names == sorted(names)
    assert not re.search(r"[ \t]+$", text, flags=re.MULTILINE), "trailing white space"


# ---------------------------------------------------------------- rules

RULE_FIXTURE = """
@prefix actor: <https://w3id.org/sdkg/id/actor/> .
@prefix argument: <https://w3id.org/sdkg/id/argument/> .
@prefix ascription: <https://w3id.org/sdkg/id/ascription/> .
@prefix case: <https://w3id.org/sdkg/id/case/> .
@prefix claim: <https://w3id.org/sdkg/id/claim/> .
@prefix concept: <https://w3id.org/sdkg/id/concept/> .
@prefix discourse: <https://w3id.org/sdkg/id/discourse/> .
@prefix passage: <https://w3id.org/sdkg/id/passage/> .
@prefix sdkg: <https://w3id.org/sdkg/ontology#> .
@prefix source: <https://w3id.org/sdkg/id/source/> .

claim:rights-yield sdkg:expressesDiscourse discourse:realist ; sdkg:characterises discourse:realist .
claim:rights-central sdkg:expressesDiscourse discourse:critical .
claim:order-first sdkg:criticisesDiscourse discourse:pluralist .
claim:deterrence-spreads sdkg:expressesDiscourse discourse:realist .
claim:spread-is-dangerous sdkg:expressesDiscourse discourse:realist .
claim:vincent-scrutiny sdkg:expressesDiscourse discourse:pluralist .

ascription:rights-yield sdkg:ascribes claim:rights-yield ; sdkg:reportedBy actor:dw ;
    sdkg:heldBy actor:morgenthau ; sdkg:stance sdkg:Rejects ; sdkg:inSource source:article ;
    sdkg:restsOn passage:p1 .
ascription:rights-central sdkg:ascribes claim:rights-central ; sdkg:reportedBy actor:dw ;
    sdkg:heldBy actor:dw ; sdkg:stance sdkg:Endorses ; sdkg:inSource source:article ;
    sdkg:restsOn passage:p2 .
ascription:order-first sdkg:ascribes claim:order-first ; sdkg:reportedBy actor:kaldor ;
    sdkg:heldBy actor:realists ; sdkg:stance sdkg:ReportsNeutrally ; sdkg:inSource source:interview ;
    sdkg:restsOn passage:p3 .
ascription:deterrence-spreads sdkg:ascribes claim:deterrence-spreads ; sdkg:reportedBy actor:dw ;
    sdkg:heldBy actor:brigade ; sdkg:stance sdkg:ReportsNeutrally ; sdkg:inSource source:article ;
    sdkg:restsOn passage:p4 .
ascription:spread-is-dangerous sdkg:ascribes claim:spread-is-dangerous ; sdkg:reportedBy actor:dw ;
    sdkg:heldBy actor:pentagon ; sdkg:stance sdkg:ReportsNeutrally ; sdkg:inSource source:article ;
    sdkg:restsOn passage:p5 .
ascription:vincent-scrutiny sdkg:ascribes claim:vincent-scrutiny ; sdkg:reportedBy actor:dw ;
    sdkg:heldBy actor:vincent ; sdkg:stance sdkg:Endorses ; sdkg:inSource source:article ;
    sdkg:restsOn passage:p6 .

argument:central-attacks-yield a sdkg:Attack ; sdkg:assertedBy actor:dw ; sdkg:linkSource source:article ;
    sdkg:premise claim:rights-central ; sdkg:conclusion claim:rights-yield ; sdkg:restsOn passage:p2 .
argument:rwanda-supports-central a sdkg:Support ; sdkg:assertedBy actor:dw ; sdkg:linkSource source:article ;
    sdkg:premise case:rwanda ; sdkg:conclusion claim:rights-central ; sdkg:showsFailureOf discourse:pluralist ;
    sdkg:restsOn passage:p2 .
argument:pentagon-against-brigade a sdkg:Attack ; sdkg:assertedBy actor:pentagon ; sdkg:linkSource source:article ;
    sdkg:premise claim:spread-is-dangerous ; sdkg:conclusion claim:deterrence-spreads ; sdkg:restsOn passage:p5 .
argument:editors-order-against-yield a sdkg:Attack, sdkg:EditorialLink ; sdkg:assertedBy actor:sdkg-editors ;
    sdkg:premise claim:order-first ; sdkg:conclusion claim:rights-yield ; sdkg:restsOn passage:p1, passage:p3 .
argument:editors-central-supports-order a sdkg:Support, sdkg:EditorialLink ; sdkg:assertedBy actor:sdkg-editors ;
    sdkg:premise claim:rights-central ; sdkg:conclusion claim:order-first ; sdkg:restsOn passage:p2, passage:p3 .

source:article sdkg:author actor:dw .
concept:new-wars sdkg:contrastsWith concept:old-wars .
"""


@pytest.fixture
def ruled_store() -> ox.Store:
    store = ox.Store()
    store.load(path=ONTOLOGY, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("https://w3id.org/sdkg/graph/ontology"))
    store.load(RULE_FIXTURE.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("https://example.org/data"))
    return store


def inferred(store: ox.Store) -> set[tuple[str, str, str]]:
    def short(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
        return re.sub(r"^.*[/#]", "", str(term.value))

    explanation = ox.NamedNode(SDKG + "Explanation")
    nodes = {q.subject for q in store.quads_for_pattern(None, None, explanation, ox.NamedNode(INFERRED_GRAPH))}
    quads = store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH))
    return {(short(q.subject), short(q.predicate), short(q.object)) for q in quads if q.subject not in nodes}


def test_rule_files_are_documented() -> None:
    files = rule_files(RULES)
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# Rule: "), path
        assert text.count("CONSTRUCT") == 1, f"{path}: one rule per file"


def test_every_rule_file_is_a_named_rule_of_the_ontology() -> None:
    graph = ontology_graph()
    declared = {str(v) for v in graph.objects(None, URIRef(SDKG + "ruleFile"))}
    assert declared == {f"ontology/rules/{path.name}" for path in rule_files(RULES)}


def test_rules_derive_expected_triples(ruled_store: ox.Store) -> None:
    apply_rules(ruled_store, RULES)
    triples = inferred(ruled_store)
    expected = {
        ("rights-central", "attacks", "rights-yield"),
        ("rwanda", "supports", "rights-central"),
        ("rwanda", "bearsOn", "rights-central"),
        ("rwanda", "evidenceOfFailureOf", "pluralist"),
        ("dw", "criticOf", "realist"),  # rejects a claim characterising realism, and attacks it from its own claim
        ("morgenthau", "proponentOf", "realist"),  # the holder of a realist claim
        ("dw", "proponentOf", "critical"),
        ("realists", "criticOf", "pluralist"),  # holds a claim criticising pluralism
        ("brigade", "proponentOf", "realist"),
        ("pentagon", "proponentOf", "realist"),
        ("vincent", "proponentOf", "pluralist"),
        ("morgenthau", "endorsesClaim", "rights-yield"),
        ("dw", "endorsesClaim", "vincent-scrutiny"),
        ("dw", "rejectsClaim", "rights-yield"),
        ("morgenthau", "holdsClaim", "rights-yield"),
        ("dw", "reportsClaim", "rights-yield"),
        ("rights-yield", "hasAscription", "rights-yield"),
        ("rights-yield", "claimedIn", "article"),
        ("order-first", "claimedIn", "interview"),
        ("dw", "authorOf", "article"),
        ("rights-central", "premiseOf", "central-attacks-yield"),
        ("old-wars", "contrastsWith", "new-wars"),
    }
    assert expected <= triples, expected - triples
    unexpected = {
        ("dw", "proponentOf", "realist"),  # reported in order to reject it
        ("dw", "endorsesClaim", "rights-yield"),
        ("kaldor", "criticOf", "pluralist"),  # reports neutrally
        ("kaldor", "endorsesClaim", "order-first"),
        ("pentagon", "criticOf", "realist"),  # a debate among realists is not a critique of realism
        ("dw", "proponentOf", "pluralist"),  # endorsing Vincent's point does not make dw a pluralist
        ("realists", "criticOf", "realist"),  # an editorial attack is no position of the realists
        ("order-first", "attacks", "rights-yield"),  # nor is an editorial attack an attack of any source
        ("rights-central", "supports", "order-first"),
        ("rights-central", "bearsOn", "order-first"),
        ("order-first", "premiseOf", "editors-order-against-yield"),  # editorial statements are not turned round
    }
    assert unexpected & triples == set()
    assert ("new-wars", "contrastsWith", "old-wars") not in triples, "asserted triples are not copied"


def test_every_derived_triple_is_explained(ruled_store: ox.Store) -> None:
    from sdkg.build.rules import unexplained

    apply_rules(ruled_store, RULES)
    assert unexplained(ruled_store) == []
    why = ruled_store.query(
        f"""PREFIX sdkg: <{SDKG}>
        SELECT ?rule ?source ?ascription ?link WHERE {{ GRAPH <{INFERRED_GRAPH}> {{
            ?e sdkg:explainsSubject <https://w3id.org/sdkg/id/actor/dw> ; sdkg:explainsProperty sdkg:criticOf ;
               sdkg:explainsObject <https://w3id.org/sdkg/id/discourse/realist> ; sdkg:byRule ?rule ;
               sdkg:withinSource ?source ; sdkg:fromAscription ?ascription .
            OPTIONAL {{ ?e sdkg:fromLink ?link }} }} }}"""
    )
    rows = {(r["rule"].value, r["ascription"].value, r["link"].value if r["link"] else None) for r in why}  # type: ignore[union-attr]
    assert (SDKG + "CriticOfRule", "https://w3id.org/sdkg/id/ascription/rights-yield", None) in rows
    assert (
        SDKG + "CriticOfRule",
        "https://w3id.org/sdkg/id/ascription/rights-central",
        "https://w3id.org/sdkg/id/argument/central-attacks-yield",
    ) in rows


def test_a_rule_without_explanations_fails_the_build(ruled_store: ox.Store, tmp_path: Path) -> None:
    """The check can fail: a rule that derives without writing an explanation is caught."""
    from sdkg.build.rules import unexplained

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bare.rq").write_text(
        f"# Rule: bare\nCONSTRUCT {{ ?a <{SDKG}criticOf> ?d }} WHERE {{ ?c <{SDKG}criticisesDiscourse> ?d . "
        f"?x <{SDKG}ascribes> ?c ; <{SDKG}heldBy> ?a }}",
        encoding="utf-8",
    )
    apply_rules(ruled_store, rules)
    missing = unexplained(ruled_store)
    assert [(t.subject.value.rsplit("/", 1)[-1], t.object.value.rsplit("/", 1)[-1]) for t in missing] == [
        ("realists", "pluralist")
    ]


def test_rules_rerun_replaces_the_inferred_graph(ruled_store: ox.Store) -> None:
    first = apply_rules(ruled_store, RULES)
    assert apply_rules(ruled_store, RULES) == first
    assert len(list(ruled_store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH)))) == first


def test_rules_run_over_the_project() -> None:
    from sdkg.layout import ProjectLayout
    from sdkg.project import load_project

    store = load_project(ProjectLayout.at(REPO)).store
    assert apply_rules(store, RULES) > 0
    critics = store.query(
        f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ ?actor <{SDKG}criticOf> ?discourse }} }}",
    )
    assert bool(critics)


# ---------------------------------------------------------------- release


def test_release_writes_all_files(release_dir: Path) -> None:
    names = {"sdkg.ttl", "sdkg.owl", "sdkg.jsonld", "sdkg-full.owl", "catalog-v001.xml", "index.html"}
    assert names <= {path.name for path in release_dir.iterdir()}
    for name in names:
        assert (release_dir / name).stat().st_size > 0, name
    assert (release_dir / "sdkg.ttl").read_bytes() == ONTOLOGY.read_bytes()


def test_release_rdfxml_reparses(release_dir: Path) -> None:
    owl = Graph().parse(release_dir / "sdkg.owl", format="xml")
    assert isomorphic(owl, ontology_graph())
    jsonld = Graph().parse(release_dir / "sdkg.jsonld", format="json-ld")
    assert isomorphic(jsonld, ontology_graph())
    full = Graph().parse(release_dir / "sdkg-full.owl", format="xml")
    assert (URIRef(FULL_IRI), RDF.type, OWL.Ontology) in full
    assert (URIRef(ONTOLOGY_IRI), RDF.type, OWL.Ontology) not in full, "one ontology header in the merged file"
    assert len(full) > len(owl) + 1000
    assert (URIRef("https://w3id.org/sdkg/id/discourse/realist"), RDF.type, URIRef(SDKG + "Discourse")) in full
    assert list(full.triples((None, SKOS.exactMatch, None))), "the SSSOM mappings are merged"


def test_release_catalog_points_at_the_files(release_dir: Path) -> None:
    catalog = (release_dir / "catalog-v001.xml").read_text(encoding="utf-8")
    entries = dict(re.findall(r'name="([^"]+)" uri="([^"]+)"', catalog))
    assert entries[ONTOLOGY_IRI] == "sdkg.owl"
    assert entries[FULL_IRI] == "sdkg-full.owl"
    for file_name in entries.values():
        assert (release_dir / file_name).is_file()


def test_release_html_documents_the_terms(release_dir: Path) -> None:
    html = (release_dir / "index.html").read_text(encoding="utf-8")
    for label in ("critic of", "ascription", "argument link", "Security Discourse Knowledge Graph ontology"):
        assert label in html, label


def test_owlapi_opens_the_ontology_the_server_answers_to_protege(store_path: Path, tmp_path: Path) -> None:
    """What Protégé's "Open from URL" gets from a running server loads in the OWL API, DL-clean."""
    from fastapi.testclient import TestClient

    from sdkg.web.app import Settings, create_app

    require_java_tools()
    protege_accept = "application/rdf+xml, application/xml;q=0.7, text/xml;q=0.6, text/plain;q=0.1, */*;q=0.09"
    with TestClient(create_app(Settings(store_path=store_path, root=REPO))) as client:
        response = client.get("/ontology", headers={"Accept": protege_accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rdf+xml")
    downloaded = tmp_path / "from-server.owl"
    downloaded.write_bytes(response.content)
    output = owlcheck(downloaded)
    assert f"ontology={ONTOLOGY_IRI}" in output
