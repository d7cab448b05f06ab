package org.ntk4j.examples;

import java.util.List;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.BackendInfo;

/**
 * Computes an empirical NTK through ntk4j's API and checks it, as a program that depends on ntk4j by its Maven
 * coordinates would. Exits with status 1 when a check fails.
 *
 * <ol>
 *   <li>A one-layer network f(x) = σ_w/√d·W·x + σ_b·b has Θ_ab(x, x') = δ_ab·(σ_w²·x·x'/d + σ_b²) exactly: the
 *       default backend's fp32 value is compared with that closed form.</li>
 *   <li>A deep tanh network: the default backend's kernel against the fp64 reference backend's.</li>
 * </ol>
 * Arguments: {@code --expect-path class|module} checks that it runs where the build says it does;
 * {@code --expect-provider NAME} checks that a backend provider of that name was found (e.g. {@code cuda}).
 */
public final class KernelExample {
    private KernelExample() {
    }

    /**
     * Runs the checks.
     *
     * @param args the expectations, see the class comment
     */
    public static void main(String[] args) {
        String expectPath = null;
        String expectProvider = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--expect-path" -> expectPath = args[i + 1];
                case "--expect-provider" -> expectProvider = args[i + 1];
                default -> fail("unknown argument " + args[i]);
            }
        }
        String path = Ntk.class.getModule().isNamed() ? "module" : "class";
        System.out.println("ntk4j on the " + path + " path (module " + Ntk.class.getModule().getName() + ")");
        if (expectPath != null && !expectPath.equals(path)) {
            fail("expected to run on the " + expectPath + " path");
        }
        List<BackendInfo> backends = Ntk.backends();
        for (BackendInfo p : backends) {
            System.out.println("  provider " + p.name() + ": "
                    + p.unavailableReason().map(why -> "unavailable (" + why + ")").orElse("available"));
        }
        if (expectProvider != null && backends.stream().map(BackendInfo::name).noneMatch(expectProvider::equals)) {
            fail("no " + expectProvider + " provider was found");
        }

        Matrix x = Matrix.of(new double[][] {{1, 0, 0}, {0.6, 0.8, 0}, {0, 0, -1}, {0.5, -0.5, 0.7}});
        try (Ntk ntk = Ntk.open()) {
            System.out.println("backend: " + ntk.description());

            // 1. The closed form of a one-layer network.
            double sw = 1.3;
            double sb = 0.4;
            Architecture linear = Architecture.builder(3).output(2).sigmaW(sw).sigmaB(sb).build();
            Tensor k = ntk.kernel(Parameters.init(linear, 1), x, NtkMode.FULL);
            for (int i = 0; i < x.rows(); i++) {
                for (int j = 0; j < x.rows(); j++) {
                    double dot = 0;
                    for (int c = 0; c < 3; c++) {
                        dot += x.get(i, c) * x.get(j, c);
                    }
                    double want = sw * sw * dot / 3 + sb * sb;
                    for (int a = 0; a < 2; a++) {
                        for (int b = 0; b < 2; b++) {
                            check("one-layer Θ_" + a + b + "(x" + i + ", x" + j + ")", k.get(i, j, a, b),
                                    a == b ? want : 0, 1e-6);
                        }
                    }
                }
            }
            System.out.printf("one-layer network: Θ(x0, x1) = %.6f = σ_w²·x0·x1/d + σ_b² (closed form)%n",
                    k.get(0, 1, 0, 0));

            // 2. A deep network against the fp64 reference.
            Architecture deep = Architecture.builder(3).hidden(33, 17).output(2).activation(Activation.TANH).build();
            Parameters p = Parameters.init(deep, 42);
            Tensor got = ntk.kernel(p, x, NtkMode.TRACE, Implementation.AUTO);
            try (Ntk ref = Ntk.builder().backend("reference").open()) {
                Tensor want = ref.kernel(p, x, NtkMode.TRACE);
                double err = got.relativeDistance(want);
                System.out.printf("deep tanh network: Θ(x0, x1) = %.6f, relative error against the fp64 reference %.1e%n",
                        got.get(0, 1), err);
                if (!(err < 1e-5)) {
                    fail("the " + ntk.backendName() + " kernel differs from the reference by " + err);
                }
            }
        }
        System.out.println("OK");
    }

    private static void check(String what, double got, double want, double relTol) {
        if (!(Math.abs(got - want) <= relTol * Math.max(1, Math.abs(want)))) {
            fail(what + " = " + got + ", expected " + want);
        }
    }

    private static void fail(String message) {
        System.err.println("FAILED: " + message);
        System.exit(1);
    }
}
