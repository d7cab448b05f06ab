package org.ntk4j.testing;

import org.ntk4j.Matrix;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;

/**
 * The kernel-regression problem the solver tests share (in one process and on Spark): N = 2000 clustered training
 * inputs, 301 test inputs, O = 3 Gaussian targets, the infinite-width ReLU NTK of a 2-hidden-layer network, ridge
 * λ = 1 (about the kernel's mean diagonal, so κ(Θ + λI) ≈ 2e3 and a 1e-12 residual bounds α's error by ~1e-9).
 */
public record RegressionProblem(Architecture arch, Matrix x, Matrix xTest, Matrix y, double lambda) {
    public static final int N = 2000;
    public static final int N_TEST = 301;
    public static final int O = 3;
    public static final int CLUSTERS = 6;

    public static RegressionProblem clustered() {
        Architecture arch = Architecture.builder(8).hidden(1, 1).activation(Activation.RELU).output(O).sigmaW(1.4)
                .sigmaB(0.1).build();
        return new RegressionProblem(arch, NtkCase.clusteredInputs(N, 8, CLUSTERS, 11),
                NtkCase.clusteredInputs(N_TEST, 8, CLUSTERS, 12), NtkCase.gaussianInputs(N, O, 13), 1.0);
    }
}
