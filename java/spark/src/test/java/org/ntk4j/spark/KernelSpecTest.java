package org.ntk4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.junit.jupiter.api.Test;
import org.ntk4j.Blas;
import org.ntk4j.CpuOptions;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelKind;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Layer;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.model.Shape;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;

/** The serializable kernel description: every kernel of core, the same after the trip to an executor. */
class KernelSpecTest {
    private static final Architecture ARCH = Architecture.builder(6).hidden(9).activation(Activation.ERF).output(3)
            .sigmaB(0.3).build();
    private static final Parameters P = Parameters.init(ARCH, 7);
    private static final Matrix X1 = NtkCase.gaussianInputs(5, 6, 1);
    private static final Matrix X2 = NtkCase.gaussianInputs(4, 6, 2);

    @Test
    void nngpAndNtkOfBothKindsSurviveSerialization() throws Exception {
        KernelSpec ntk = KernelSpec.empirical(P, NtkMode.FULL, Precision.FP64, Implementation.STRUCTURED, "reference");
        KernelSpec nngp = ntk.withKind(KernelKind.NNGP);
        KernelSpec inf = KernelSpec.analytic(ARCH, NtkMode.TRACE, false).withKind(KernelKind.NNGP);
        try (Ntk ref = Ntk.builder().backend("reference").open()) {
            assertEquals(ref.kernel(P, X1, X2, NtkMode.FULL), roundTrip(ntk).compute(X1, X2));
            assertEquals(ref.nngp(P, X1, X2, NtkMode.FULL), roundTrip(nngp).compute(X1, X2));
            assertEquals(ref.nngp(P, X1, NtkMode.FULL), roundTrip(nngp).compute(X1));
        }
        assertEquals(AnalyticKernel.of(ARCH).nngp(X1, X2, NtkMode.TRACE), roundTrip(inf).compute(X1, X2));
        assertEquals(KernelKind.NNGP, roundTrip(nngp).kind());
        assertEquals(ARCH, roundTrip(nngp).architecture());
        assertTrue(nngp.description().contains("NNGP"), nngp.description());
        assertFalse(java.util.Arrays.equals(digest(ntk), digest(nngp)), "the kind is part of the tiles' identity");
        assertArrayEquals(digest(nngp), digest(roundTrip(nngp)));
    }

    @Test
    void typedBackendSettingsTravelWithTheSpecAndOpenTheBackendWithThem() throws Exception {
        KernelSpec typed = KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP64, Implementation.STRUCTURED,
                CpuOptions.defaults().withBlas(Blas.JAVA).withVectorApi(false));
        KernelSpec back = roundTrip(typed);
        assertTrue(back.description().contains("device cpu {blas=java, vector=false"), back.description());
        assertArrayEquals(digest(typed), digest(back));
        assertFalse(java.util.Arrays.equals(digest(typed), digest(KernelSpec.empirical(P, NtkMode.TRACE,
                Precision.FP64, Implementation.STRUCTURED, "cpu"))), "the settings are part of the tiles' identity");
        try (Ntk cpu = Ntk.builder().backend("cpu").precision(Precision.FP64).open()) {
            Compare.assertClose("typed cpu spec", back.compute(X1, X2), cpu.kernel(P, X1, X2, NtkMode.TRACE),
                    Tolerances.FP64);
        }
        String opened = ExecutorBackends.get("cpu", java.util.Map.of("blas", "java", "vector", "false"),
                Precision.FP64, 1).description();
        assertTrue(opened.contains("pure-Java BLAS") && opened.contains("scalar"), opened);
        assertThrows(InvalidInputException.class, () -> KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP64,
                Implementation.AUTO, (org.ntk4j.BackendOptions) null));
        assertTrue(KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP32, Implementation.AUTO).description()
                .contains("device auto"));
    }

    @Test
    void aLayerSequenceThatIsNoUniformMlpTravelsAsArchitectureJson() throws Exception {
        // Per-layer σ_w, σ_b and two activations: no widths-plus-one-activation record can describe it.
        Architecture seq = Architecture.of(Shape.flat(6), Parameterization.NTK, Layer.dense(8, 1.3, 0.2),
                Layer.activation(Activation.RELU), Layer.dense(7, 0.7, 0.05), Layer.activation(Activation.ERF),
                Layer.dense(2, 1.1, 0.0));
        KernelSpec inf = roundTrip(KernelSpec.analytic(seq, NtkMode.FULL, false));
        assertEquals(seq, inf.architecture());
        assertEquals(AnalyticKernel.of(seq).ntk(X1, X2, NtkMode.FULL), inf.compute(X1, X2));
        Parameters p = Parameters.init(seq, 3);
        KernelSpec emp = roundTrip(KernelSpec.empirical(p, NtkMode.TRACE, Precision.FP64, Implementation.AUTO,
                "reference"));
        try (Ntk ref = Ntk.builder().backend("reference").open()) {
            assertEquals(ref.kernel(p, X1, X2, NtkMode.TRACE), emp.compute(X1, X2));
        }
        assertTrue(emp.description().contains(seq.spec()), emp.description());
        KernelSpec otherSigma = KernelSpec.analytic(Architecture.of(Shape.flat(6), Parameterization.NTK,
                Layer.dense(8, 1.3, 0.2), Layer.activation(Activation.RELU), Layer.dense(7, 0.7, 0.05),
                Layer.activation(Activation.ERF), Layer.dense(2, 1.1 + 1e-12, 0.0)), NtkMode.FULL, false);
        assertFalse(java.util.Arrays.equals(digest(inf), digest(otherSigma)), "σ_w is part of the identity");
    }

    private static byte[] digest(KernelSpec k) throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        k.digest(md);
        return md.digest();
    }

    private static KernelSpec roundTrip(KernelSpec k) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(b)) {
            o.writeObject(k);
        }
        try (ObjectInputStream i = new ObjectInputStream(new ByteArrayInputStream(b.toByteArray()))) {
            return (KernelSpec) i.readObject();
        }
    }
}
