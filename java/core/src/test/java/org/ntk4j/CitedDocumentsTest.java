package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every document that a main source file or its Javadoc cites by name (a {@code .md} file) is in the project: in the
 * repository root, a module's resources, or beside the citing file. (The Javadoc once cited a design document that
 * was never shipped.)
 */
class CitedDocumentsTest {
    private static final Pattern CITED = Pattern.compile("[A-Za-z0-9_./-]*[A-Za-z0-9_-]\\.md\\b");

    @Test
    void everyCitedDocumentExists() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("mvnw"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "no project root above " + Path.of("").toAbsolutePath());
        List<String> missing = new ArrayList<>();
        int cited = 0;
        List<Path> sources;
        try (Stream<Path> s = Files.walk(root.resolve("java"))) {
            sources = s.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/")).toList();
        }
        for (Path source : sources) {
            Matcher m = CITED.matcher(Files.readString(source));
            while (m.find()) {
                cited++;
                String name = m.group();
                Path module = source;
                while (!module.getFileName().toString().equals("src")) {
                    module = module.getParent();
                }
                boolean found = Files.exists(root.resolve(name)) || Files.exists(source.resolveSibling(name))
                        || Files.exists(module.resolve("main/resources").resolve(name))
                        || findUnder(module.resolve("main/resources"), Path.of(name).getFileName().toString());
                if (!found) {
                    missing.add(root.relativize(source) + " cites " + name);
                }
            }
        }
        assertTrue(cited > 0, "no citations found: the scan is broken");
        assertEquals(List.of(), missing);
    }

    private static boolean findUnder(Path dir, String file) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().equals(file));
        }
    }
}
