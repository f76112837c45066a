import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.xml.parsers.DocumentBuilderFactory;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.FunctionalSyntaxDocumentFormat;
import org.semanticweb.owlapi.formats.NTriplesDocumentFormat;
import org.semanticweb.owlapi.formats.RDFJsonLDDocumentFormat;
import org.semanticweb.owlapi.formats.RDFXMLDocumentFormat;
import org.semanticweb.owlapi.formats.TurtleDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.OWLOntologyLoaderMetaData;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyCreationException;
import org.semanticweb.owlapi.model.OWLOntologyIRIMapper;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Loads one ontology document with the OWL API, never touching the network, and reports
 * parse errors, unparsed triples, OWL 2 DL profile violations and missing imports.
 *
 * <p>Usage: {@code OwlCheck FILE [--catalog catalog-v001.xml]}. Imports are resolved only
 * through the catalog (an OASIS XML catalog as Protégé writes it); any other import is
 * reported as missing. Exit status: 0 clean, 1 problems found, 2 bad usage.
 */
public final class OwlCheck {

    private static final int MAX_LISTED = 50;

    private OwlCheck() {
    }

    public static void main(String[] args) {
        if (args.length != 1 && !(args.length == 3 && args[1].equals("--catalog"))) {
            System.err.println("usage: OwlCheck FILE [--catalog catalog-v001.xml]");
            System.exit(2);
        }
        File file = new File(args[0]);
        if (!file.isFile()) {
            System.err.println("OwlCheck: no such file: " + file);
            System.exit(2);
        }
        Map<IRI, IRI> catalog = args.length == 3 ? readCatalog(new File(args[2])) : new HashMap<>();
        System.exit(check(file, catalog));
    }

    /** Check one file and print a report; returns the exit status. */
    static int check(File file, Map<IRI, IRI> catalog) {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        manager.getIRIMappers().clear();
        manager.getIRIMappers().add(offlineMapper(catalog));
        List<String> missingImports = new ArrayList<>();
        manager.addMissingImportListener(event ->
            missingImports.add(event.getImportedOntologyURI() + ": " + firstLine(event.getCreationException())));
        OWLOntologyLoaderConfiguration config = manager.getOntologyLoaderConfiguration()
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT)
            .setReportStackTraces(false)
            .setFollowRedirects(false);

        OWLOntology ontology;
        try {
            ontology = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(file, formatFor(file)), config);
        } catch (OWLOntologyCreationException e) {
            System.out.println("PARSE ERROR in " + file + ":");
            System.out.println(e.getMessage());
            System.out.println("SUMMARY " + file.getName() + ": parse errors=1");
            return 1;
        }

        List<String> unparsed = unparsedTriples(manager.getOntologyFormat(ontology));
        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        List<OWLProfileViolation> violations = report.getViolations();

        printList("UNPARSED TRIPLE", unparsed);
        List<String> violationTexts = new ArrayList<>();
        for (OWLProfileViolation violation : violations) {
            violationTexts.add(violation.toString());
        }
        printList("DL VIOLATION", violationTexts);
        printList("MISSING IMPORT", missingImports);

        System.out.printf("SUMMARY %s: ontology=%s axioms=%d classes=%d object properties=%d data properties=%d"
                + " individuals=%d; parse errors=0 unparsed triples=%d DL violations=%d missing imports=%d%n",
            file.getName(),
            ontology.getOntologyID().getOntologyIRI().map(IRI::toString).orElse("(anonymous)"),
            ontology.getAxiomCount(),
            ontology.getClassesInSignature().size(),
            ontology.getObjectPropertiesInSignature().size(),
            ontology.getDataPropertiesInSignature().size(),
            ontology.getIndividualsInSignature().size(),
            unparsed.size(), violations.size(), missingImports.size());
        return unparsed.isEmpty() && violations.isEmpty() && missingImports.isEmpty() ? 0 : 1;
    }

    /** Choose the parser from the file extension, so a syntax error is reported by that parser alone. */
    static OWLDocumentFormat formatFor(File file) {
        String name = file.getName().toLowerCase();
        if (name.endsWith(".ttl")) {
            return new TurtleDocumentFormat();
        }
        if (name.endsWith(".owl") || name.endsWith(".rdf") || name.endsWith(".xml")) {
            return new RDFXMLDocumentFormat();
        }
        if (name.endsWith(".jsonld")) {
            return new RDFJsonLDDocumentFormat();
        }
        if (name.endsWith(".nt")) {
            return new NTriplesDocumentFormat();
        }
        if (name.endsWith(".ofn")) {
            return new FunctionalSyntaxDocumentFormat();
        }
        return null;
    }

    /** Map imports through the catalog; send every other remote IRI to a file that does not exist. */
    static OWLOntologyIRIMapper offlineMapper(Map<IRI, IRI> catalog) {
        return iri -> {
            IRI mapped = catalog.get(iri);
            if (mapped != null) {
                return mapped;
            }
            String scheme = iri.getScheme();
            if (scheme != null && !scheme.equals("file")) {
                return IRI.create(new File("/nonexistent/owlcheck-offline/" + Integer.toHexString(iri.hashCode())));
            }
            return null;
        };
    }

    /** Read the {@code <uri name="..." uri="..."/>} entries of an XML catalog, relative to its directory. */
    static Map<IRI, IRI> readCatalog(File catalogFile) {
        Map<IRI, IRI> mappings = new HashMap<>();
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            NodeList entries = factory.newDocumentBuilder().parse(catalogFile).getElementsByTagNameNS("*", "uri");
            File base = catalogFile.getAbsoluteFile().getParentFile();
            for (int i = 0; i < entries.getLength(); i++) {
                Element entry = (Element) entries.item(i);
                File target = new File(entry.getAttribute("uri"));
                if (!target.isAbsolute()) {
                    target = new File(base, entry.getAttribute("uri"));
                }
                mappings.put(IRI.create(entry.getAttribute("name")), IRI.create(target));
            }
        } catch (Exception e) {
            System.err.println("OwlCheck: cannot read catalog " + catalogFile + ": " + e.getMessage());
            System.exit(2);
        }
        return mappings;
    }

    static List<String> unparsedTriples(OWLDocumentFormat format) {
        List<String> triples = new ArrayList<>();
        if (format == null) {
            return triples;
        }
        Optional<OWLOntologyLoaderMetaData> metaData = format.getOntologyLoaderMetaData();
        if (metaData.isPresent() && metaData.get() instanceof RDFParserMetaData) {
            ((RDFParserMetaData) metaData.get()).getUnparsedTriples().forEach(t -> triples.add(t.toString()));
        }
        return triples;
    }

    static void printList(String tag, List<String> items) {
        for (int i = 0; i < Math.min(items.size(), MAX_LISTED); i++) {
            System.out.println(tag + ": " + items.get(i));
        }
        if (items.size() > MAX_LISTED) {
            System.out.println(tag + ": ... and " + (items.size() - MAX_LISTED) + " more");
        }
    }

    static String firstLine(Throwable error) {
        String message = error == null || error.getMessage() == null ? "" : error.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
