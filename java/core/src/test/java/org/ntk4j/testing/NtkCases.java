package org.ntk4j.testing;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.ntk4j.NtkMode;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;

/**
 * The generated battery every implementation runs: depth 1–4, widths 1–70 (odd ones included), d 1–40, O 1–5,
 * N1/N2 1–17, every activation, both parameterizations, with and without bias, symmetric and cross, every mode.
 */
public final class NtkCases {
    private NtkCases() {
    }

    public static Arbitrary<NtkCase> all() {
        Arbitrary<int[]> widths = Arbitraries.integers().between(1, 4).flatMap(layers ->
                Combinators.combine(
                        Arbitraries.integers().between(1, 40),
                        Arbitraries.integers().between(1, 70).array(int[].class).ofSize(layers - 1),
                        Arbitraries.integers().between(1, 5))
                        .as((d, hidden, o) -> {
                            int[] w = new int[layers + 1];
                            w[0] = d;
                            System.arraycopy(hidden, 0, w, 1, hidden.length);
                            w[layers] = o;
                            return w;
                        }));
        Arbitrary<Architecture> archs = Combinators.combine(
                widths,
                Arbitraries.of(Activation.class),
                Arbitraries.of(Parameterization.class),
                Arbitraries.of(0.5, 1.0, 1.3, 2.0),
                Arbitraries.of(-1.0, 0.0, 0.1, 0.7))
                .as((w, act, param, sw, sb) -> {
                    Architecture.Builder b = Architecture.widths(w).activation(act).parameterization(param).sigmaW(sw);
                    return (sb >= 0 ? b.sigmaB(sb) : b.noBias()).build();
                });
        return Combinators.combine(
                archs,
                Arbitraries.longs(),
                Arbitraries.integers().between(1, 17),
                Arbitraries.integers().between(0, 17),
                Arbitraries.of(NtkMode.class))
                .as((arch, seed, n1, n2, mode) -> new NtkCase(arch, seed,
                        NtkCase.gaussianInputs(n1, arch.inputDim(), seed ^ 0x51L),
                        n2 == 0 ? null : NtkCase.gaussianInputs(n2, arch.inputDim(), seed ^ 0x52L),
                        mode));
    }

    /**
     * Cases over random layer sequences ({@link LayerSequences}) that are not MLPs: odd widths, per-layer σ and
     * bias, mixed activations; N1/N2 1–9, symmetric and cross, every mode.
     *
     * @param form which sequences the backend under test runs
     * @return the cases
     */
    public static Arbitrary<NtkCase> layerSequences(LayerSequences.Form form) {
        return Combinators.combine(
                Arbitraries.longs(),
                Arbitraries.integers().between(1, 9),
                Arbitraries.integers().between(0, 9),
                Arbitraries.of(NtkMode.class))
                .as((seed, n1, n2, mode) -> {
                    Architecture arch = LayerSequences.random(seed, form, false);
                    return new NtkCase(arch, seed, NtkCase.gaussianInputs(n1, arch.inputDim(), seed ^ 0x53L),
                            n2 == 0 ? null : NtkCase.gaussianInputs(n2, arch.inputDim(), seed ^ 0x54L), mode);
                });
    }
}
