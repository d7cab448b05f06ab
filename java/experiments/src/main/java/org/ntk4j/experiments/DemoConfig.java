package org.ntk4j.experiments;

import org.ntk4j.Ntk;
import org.ntk4j.InvalidInputException;
import org.ntk4j.dynamics.LazyScore;

/**
 * Sizes of the lazy-training demo ({@link LazyTrainingDemo}).
 *
 * @param sweep             the width sweep shared by all experiments (training runs use all of it)
 * @param trainSize         digits used for training (the linearization and kernel drift use these too)
 * @param testSize          held-out digits for the linearization comparison
 * @param splitSeed         seed of the train/test split
 * @param convergencePoints inputs for the empirical → analytic comparison (experiment 2)
 * @param convergenceSeeds  initialisations per width for experiment 2
 * @param lazyPoints        inputs for the lazy-training score (experiment 5; the full (N·O)² kernel is formed)
 * @param lazySeeds         initialisations per width for experiment 5
 * @param lazyOptions       the Hessian-norm estimator's effort
 * @param lazyMaxWidth      widest network for experiment 5 (its Hessian products run on the host in fp64 and hold a
 *                          few P-vectors: ~0.5 GB each at width 8192)
 * @param measureGemm       whether to time a GEMM of the widest step's shape as the throughput ceiling
 * @param eigenmodes        the decoupled-flow experiment ({@link EigenmodeDecay}; its network settings are the sweep's)
 * @param cnn               the training sweep of the CNN over its channel count (a {@link SweepConfig#template}; weight
 *                          change and kernel drift, no linearization)
 * @param cnnTrainSize      the first this many training digits, as 8×8×1 images, train the CNNs
 */
public record DemoConfig(SweepConfig sweep, int trainSize, int testSize, long splitSeed, int convergencePoints,
                         int convergenceSeeds, int lazyPoints, int lazySeeds, LazyScore.Options lazyOptions,
                         int lazyMaxWidth, boolean measureGemm, EigenmodeDecay.Options eigenmodes, SweepConfig cnn,
                         int cnnTrainSize) {

    /**
     * Checks the sizes.
     *
     * @throws InvalidInputException when one is not positive
     */
    public DemoConfig {
        if (sweep == null || lazyOptions == null || eigenmodes == null || cnn == null || trainSize < 1 || testSize < 0
                || convergencePoints < 1 || convergenceSeeds < 1 || lazyPoints < 1 || lazySeeds < 1 || lazyMaxWidth < 1
                || cnnTrainSize < 1) {
            throw new InvalidInputException("demo sizes must be positive (test size may be 0)");
        }
        if (cnn.template() == null) {
            throw new InvalidInputException("the demo's CNN sweep needs a network template");
        }
    }

    /**
     * For a CPU: widths 16 … 2048, 256 training and 128 test digits, 200 steps at half the stability limit of each
     * width's empirical NTK (the loss falls 30–70× at every width), kernel drift on 64 points at 8 steps, 3 seeds of
     * 64 points for experiment 2, 32 points for the lazy score (Lanczos residual 1e-2: Ritz values to ~1e-4); the CNN
     * with 16 … 128 channels on 64 digits, 100 steps, kernel drift on 32 of them (256 channels would take ~4× the
     * 128's time, a step costing ~C²: longer than the MLP sweep on 2 cores).
     *
     * @return the configuration
     */
    public static DemoConfig cpu() {
        return new DemoConfig(SweepConfig.defaults(16, 32, 64, 128, 256, 512, 1024, 2048).withSteps(200)
                .withTracking(64, 8, true), 256, 128, 1, 64, 3, 32, 1, LazyScore.Options.defaults().withRounds(2)
                        .withMaxIterations(15).withTolerance(1e-2).withRestarts(0), 2048,
                true, new EigenmodeDecay.Options(new int[] {16, 64, 256, 1024}, 64, 150, 0.25, 0.01, 5),
                cnn(100, 32, 6, 16, 32, 64, 128), 64);
    }

    /**
     * For a GPU: widths 16 … 8192, 512 training digits, 300 steps; the CNN sweep as {@link #cpu()}'s.
     *
     * @return the configuration
     */
    public static DemoConfig gpu() {
        return new DemoConfig(SweepConfig.defaults(16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192).withSteps(300),
                512, 256, 1, 64, 3, 32, 1, LazyScore.Options.defaults().withRounds(2).withMaxIterations(20)
                        .withRestarts(0), 4096, true,
                new EigenmodeDecay.Options(new int[] {16, 64, 256, 1024, 4096}, 128, 200, 0.25, 0.01, 5),
                cnn(100, 32, 6, 16, 32, 64, 128), 64);
    }

    /**
     * For CI: widths 16 … 128, 48 training digits, 60 steps; the CNN with 16 … 64 channels on 16 digits, 40 steps —
     * seconds on any backend.
     *
     * @return the configuration
     */
    public static DemoConfig quick() {
        return new DemoConfig(SweepConfig.defaults(16, 32, 64, 128).withSteps(60).withTracking(16, 6, true), 48, 16, 1,
                12, 2, 6, 1, LazyScore.Options.defaults().withRounds(2).withMaxIterations(12)
                        .withRestarts(0), 128, false,
                new EigenmodeDecay.Options(new int[] {16, 64, 256}, 24, 60, 0.25, 0.01, 4),
                cnn(40, 8, 4, 16, 32, 64), 16);
    }

    /**
     * {@link #gpu()} when the backend is CUDA, else {@link #cpu()}.
     *
     * @param backend the backend the demo will run on
     * @return {@link #gpu()} on CUDA, else {@link #cpu()}
     */
    public static DemoConfig forBackend(Ntk backend) {
        return backend.backendName().equals("cuda") ? gpu() : cpu();
    }

    /** The CNN sweep ({@link SweepConfig#DIGITS_CNN}) with the MLP's other settings: loss, learning-rate rule, seed. */
    private static SweepConfig cnn(int steps, int kernelPoints, int checks, int... channels) {
        return SweepConfig.defaults(channels).withTemplate(SweepConfig.DIGITS_CNN).withSteps(steps)
                .withTracking(kernelPoints, checks, false);
    }
}
