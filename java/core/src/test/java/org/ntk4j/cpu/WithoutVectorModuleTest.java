package org.ntk4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.reference.ReferenceBackend;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;

/**
 * Core must run where {@code jdk.incubator.vector} is absent: a child JVM started without {@code --add-modules}
 * (and one with the module but the CPU backend's {@code vector=false} option) computes kernels with the plain loops
 * and checks them against the reference.
 */
class WithoutVectorModuleTest {

    @Test
    void runsWithoutTheVectorModule() throws Exception {
        String out = runChild(List.of(), List.of());
        assertTrue(out.contains("OK cpu fp32") && out.contains("no jdk.incubator.vector"), out);
        // the slower path is announced once, in one line
        assertEquals(List.of("ntk4j: started without --add-modules jdk.incubator.vector: the CPU backend uses scalar"
                + " loops (slower)"), out.lines().filter(l -> l.startsWith("ntk4j:")).toList(), out);
    }

    @Test
    void vectorOptionSwitchesTheVectorApiOff() throws Exception {
        String out = runChild(List.of("--add-modules", "jdk.incubator.vector"), List.of("no-vector"));
        assertTrue(out.contains("OK cpu fp32") && out.contains("scalar loops"), out);
        assertTrue(out.lines().noneMatch(l -> l.startsWith("ntk4j: started without")), out);
    }

    private static String runChild(List<String> jvmArgs, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Child.class.getName());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
        }
        assertTrue(done, "child JVM timed out: " + out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** The child: both implementations and precisions against the reference, then "OK " + the backend's name. */
    public static final class Child {
        public static void main(String[] args) {
            Architecture arch = Architecture.builder(6).hidden(23, 9).output(3).activation(Activation.TANH).sigmaB(0.2).build();
            Parameters p = Parameters.init(arch, 5);
            Matrix x1 = NtkCase.gaussianInputs(7, 6, 1);
            Matrix x2 = NtkCase.gaussianInputs(4, 6, 2);
            ReferenceBackend ref = new ReferenceBackend();
            String name = null;
            for (Precision prec : new Precision[] {Precision.FP32, Precision.FP64}) {
                try (CpuBackend b = CpuBackend.builder().precision(prec).vectorApi(args.length == 0).build()) {
                    if (b.vectorApi()) {
                        throw new AssertionError("Vector API in use: " + b.description());
                    }
                    for (NtkMode m : NtkMode.values()) {
                        for (Implementation impl : new Implementation[] {Implementation.STRUCTURED,
                                Implementation.JACOBIAN_CONTRACTION}) {
                            for (Matrix x : new Matrix[] {x1, x2}) {
                                Tensor got = b.kernel(p, x1, x, m, impl);
                                Compare.assertClose(b.description() + " " + impl + " " + m, got, ref.kernel(p, x1, x, m, impl),
                                        Tolerances.of(prec));
                            }
                        }
                    }
                    Compare.assertClose(b.description() + " forward", b.forward(p, x1), ref.forward(p, x1), Tolerances.of(prec));
                    if (prec == Precision.FP32) {
                        name = b.description();
                    }
                }
            }
            System.out.println("OK " + name);
        }
    }
}
