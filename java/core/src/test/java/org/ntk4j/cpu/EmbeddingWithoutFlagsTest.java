package org.ntk4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Reference;
import org.ntk4j.testing.Tolerances;

/**
 * ntk4j embedded in a JVM started without its flags (no {@code --add-modules jdk.incubator.vector}, no
 * {@code --enable-native-access}): one line on stderr that says what is missing and what it costs — not the JDK's
 * native-access warnings or netlib's log records — and right results. Checked in child JVMs, since the flags are
 * the JVM's.
 */
class EmbeddingWithoutFlagsTest {
    @TempDir
    Path dir;

    @Test
    void withoutFlagsOneLineSaysWhatIsMissing() throws Exception {
        String[] r = child();
        assertEquals(List.of("ntk4j: started without --add-modules jdk.incubator.vector and"
                + " --enable-native-access=ALL-UNNAMED: the CPU backend uses scalar loops and pure-Java BLAS (slower)"),
                r[1].lines().toList(), "stderr");
        assertTrue(r[0].contains("right"), r[0]);
    }

    @Test
    void withTheFlagsNtk4jSaysNothing() throws Exception {
        String[] r = child("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED");
        // the JVM's own incubator line, which no option turns off (the ntk launcher drops it), and nothing else
        assertEquals(List.of("WARNING: Using incubator modules: jdk.incubator.vector"), r[1].lines().toList(), "stderr");
        assertTrue(r[0].contains("right"), r[0]);
    }

    /** Runs {@link Child} with these JVM options; returns its stdout and stderr. */
    private String[] child(String... options) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("-Dntk4j.native.cache=" + dir.resolve("cache"), "-cp", System.getProperty("java.class.path"),
                Child.class.getName()));
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        String e = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out + e);
        return new String[] {out, e};
    }

    /** A program that embeds ntk4j: one kernel on the default backend, checked against the fp64 reference. */
    public static final class Child {
        private Child() {
        }

        public static void main(String[] args) {
            Architecture arch = Architecture.builder(5).hidden(64, 64).output(3).sigmaB(0.2).build();
            Parameters p = Parameters.init(arch, 3);
            Matrix x = NtkCase.gaussianInputs(20, 5, 4);
            try (Ntk ntk = Ntk.builder().backend("cpu").precision(Precision.FP64).open()) {
                var got = ntk.kernel(p, x, NtkMode.FULL);
                var want = Reference.backend().kernel(p, x, x, NtkMode.FULL, Implementation.AUTO);
                double err = Compare.relativeError(got.data(), want.data());
                System.out.println((err <= Tolerances.FP64 ? "right" : "wrong") + " " + err);
            }
        }
    }
}
