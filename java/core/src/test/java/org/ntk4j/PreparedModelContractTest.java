package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.PreparedModelContract;
import org.ntk4j.testing.Tolerances;

/**
 * The {@link PreparedModel} contract ({@link PreparedModelContract}) on every backend core brings, and a smaller pass
 * over every provider available on the class path (so a GPU provider there is held to it as well).
 */
class PreparedModelContractTest {
    private static final org.ntk4j.model.Architecture PROVIDER_ARCH = org.ntk4j.model.Architecture.builder(5)
            .hidden(10, 6).output(3).sigmaB(0.1).build();

    @Nested
    class Cpu extends PreparedModelContract {
        @Override
        protected Ntk open(Precision precision) {
            return Ntk.builder().backend("cpu").precision(precision).threads(2).open();
        }
    }

    @Nested
    class CpuPureJavaBlas extends PreparedModelContract {
        @Override
        protected Ntk open(Precision precision) {
            return Ntk.builder().backend(CpuOptions.defaults().withBlas(Blas.JAVA)).precision(precision).threads(3).open();
        }

        @Override
        protected List<Precision> precisions() {
            return List.of(Precision.FP32);
        }
    }

    @Nested
    class Reference extends PreparedModelContract {
        @Override
        protected Ntk open(Precision precision) {
            return Ntk.builder().backend("reference").precision(precision).open();
        }

        @Override
        protected List<Precision> precisions() {
            return List.of(Precision.FP64);
        }
    }

    @Test
    void everyAvailableProviderStepsLikeTheReference() {
        int checked = 0;
        for (BackendInfo p : Ntk.backends()) {
            if (!p.available()) {
                continue;
            }
            try (Ntk ntk = Ntk.builder().backend(p.name()).open();
                 Ntk ref = Ntk.builder().backend("reference").open()) {
                Parameters p0 = Parameters.init(PROVIDER_ARCH, 21);
                Matrix x = NtkCase.gaussianInputs(8, 5, 22);
                Matrix y = NtkCase.gaussianInputs(8, 3, 23);
                try (PreparedModel m = ntk.prepare(p0); PreparedModel r = ref.prepare(p0)) {
                    for (int t = 0; t < 3; t++) {
                        m.step(x, y, 0.3);
                        r.step(x, y, 0.3);
                    }
                    double tol = Tolerances.of(ntk.precision());
                    Compare.assertClose(p.name() + " distances", m.layerDistancesFromStart(),
                            r.layerDistancesFromStart(), tol);
                    Compare.assertClose(p.name() + " outputs", m.forward(x), r.forward(x), tol);
                    Compare.assertClose(p.name() + " kernel", m.kernel(x, NtkMode.TRACE), r.kernel(x, NtkMode.TRACE),
                            tol);
                }
            }
            checked++;
        }
        assertTrue(checked >= 2, "cpu and reference at least");
    }

}
