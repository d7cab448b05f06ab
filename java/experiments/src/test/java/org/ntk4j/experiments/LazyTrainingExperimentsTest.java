package org.ntk4j.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.ProgressListener;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.data.Dataset;
import org.ntk4j.data.Synthetic;
import org.ntk4j.dynamics.LazyScore;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Reference;

/** Small seeded versions of the experiments on the fp64 reference: the expected direction, and every number rechecked. */
class LazyTrainingExperimentsTest {
    private static final Ntk REF = Reference.ntk();
    private static final Dataset.Split DATA = Synthetic.sphere(30, 8, 2, 3).split(20, 10, 1);
    private static final SweepConfig CFG = SweepConfig.defaults(8, 32, 128).withSteps(40).withTracking(8, 5, true);
    private static Report sweep;

    @BeforeAll
    static void runSweep() {
        sweep = LazyTrainingExperiments.trainingSweep(REF, DATA, CFG, ProgressListener.NONE);
    }

    /** Least squares in log-log space written out here, not through LogLogFit. */
    private static double slope(double[] x, double[] y) {
        int n = x.length;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < n; i++) {
            double a = Math.log(x[i]);
            double b = Math.log(y[i]);
            sx += a;
            sy += b;
            sxx += a * a;
            sxy += a * b;
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    private static double fit(Table fits, String quantity) {
        for (int i = 0; i < fits.rowCount(); i++) {
            if (fits.get(i, "quantity").equals(quantity)) {
                return (Double) fits.get(i, "slope");
            }
        }
        throw new AssertionError("no fit for " + quantity);
    }

    @Test
    void widerNetworksMoveLessDriftLessAndStayCloserToTheirLinearization() {
        Table finals = sweep.table("weight_movement_final");
        Table fits = sweep.table("training_fits");
        double[] w = finals.numbers("width");
        for (double r : finals.numbers("loss_reduction")) {
            assertTrue(r > 5, "loss fell only " + r + "×");
        }
        double change = fit(fits, "change_total");
        assertTrue(change < -0.4 && change > -1.3, "weight change slope " + change);
        assertEquals(slope(w, finals.numbers("change_total")), change, 1e-12);
        double driftSlope = fit(fits, "kernel_drift (final step)");
        assertTrue(driftSlope < -0.3, "kernel drift slope " + driftSlope);
        double gap = fit(fits, "linearization test_gap (final step)");
        assertTrue(gap < -0.2, "linearization gap slope " + gap);
        assertEquals(3 * 41, sweep.table("weight_movement").rowCount());
    }

    @Test
    void everyNumberOfOneWidthMatchesAnIndependentReplay() {
        int width = 32;
        Architecture arch = CFG.architecture(width, 8, 2);
        Parameters p0 = Parameters.init(arch, CFG.seed());
        Table finals = sweep.table("weight_movement_final").where("width", width);
        double lr = finals.numbers("learning_rate")[0];
        // The learning rate: half the stability limit of the full empirical NTK (N·O = 40 is below the full limit).
        Matrix k0 = KernelLayout.fullToMatrix(REF.kernel(p0, DATA.train().x(), NtkMode.FULL, Implementation.AUTO));
        double[] ev = LinearAlgebra.symmetricEigenvalues(k0);
        assertEquals(0.5 * 2 * 40 / ev[ev.length - 1], lr, 1e-12 * lr);
        Table cond = sweep.table("ntk_conditioning").where("width", width);
        assertEquals(ev[ev.length - 1], cond.numbers("lambda_max")[0], 1e-12 * ev[ev.length - 1]);
        assertEquals(ev[ev.length - 1] / ev[0], cond.numbers("condition_number")[0], 1e-8 * ev[ev.length - 1] / ev[0]);
        assertEquals(1.0, cond.numbers("lr_times_lambda_max_over_n")[0], 1e-12);
        double[] spectrum = sweep.table("ntk_spectrum").where("width", width).numbers("eigenvalue");
        assertEquals(ev[0], spectrum[spectrum.length - 1], 1e-12 * ev[ev.length - 1]);
        // Replay gradient descent with the reference and flat vectors.
        double[] theta = p0.toFlat();
        double[] theta0 = theta.clone();
        Parameters q = Parameters.init(arch, CFG.seed());
        Table steps = sweep.table("weight_movement").where("width", width);
        double[] loss = steps.numbers("loss");
        for (int t = 0; t < 40; t++) {
            q.setFlat(theta);
            LossGradient lg = REF.mseLossGradient(q, DATA.train().x(), DATA.train().y());
            assertEquals(lg.loss(), loss[t], 1e-13 * lg.loss(), "loss at step " + t);
            for (int i = 0; i < theta.length; i++) {
                theta[i] -= lr * lg.gradient()[i];
            }
        }
        q.setFlat(theta);
        double num = 0;
        double den = 0;
        for (int i = 0; i < theta.length; i++) {
            num += (theta[i] - theta0[i]) * (theta[i] - theta0[i]);
            den += theta0[i] * theta0[i];
        }
        assertEquals(Math.sqrt(num / den), finals.numbers("change_total")[0], 1e-11);
        // Kernel drift at the last step, on the first 8 training points.
        Matrix kx = DATA.train().x().rowRange(0, 8);
        Tensor a = REF.kernel(p0, kx, NtkMode.TRACE, Implementation.AUTO);
        Tensor b = REF.kernel(q, kx, NtkMode.TRACE, Implementation.AUTO);
        double d2 = 0;
        double n2 = 0;
        for (int i = 0; i < a.size(); i++) {
            d2 += Math.pow(b.at(i) - a.at(i), 2);
            n2 += a.at(i) * a.at(i);
        }
        Table drift = sweep.table("kernel_drift").where("width", width).where("step", 40);
        assertEquals(Math.sqrt(d2 / n2), drift.numbers("drift")[0], 1e-10);
        // The linearized model's train loss at the last step, by explicit Euler steps of f ← f − (η/n)·Θ·(f − y).
        double[] f = REF.forward(p0, DATA.train().x()).data().clone();
        double[] y = DATA.train().y().data();
        for (int t = 0; t < 40; t++) {
            double[] r = new double[40];
            for (int i = 0; i < 40; i++) {
                r[i] = f[i] - y[i];
            }
            for (int i = 0; i < 40; i++) {
                double s = 0;
                for (int j = 0; j < 40; j++) {
                    s += k0.get(i, j) * r[j];
                }
                f[i] -= lr / 40 * s;
            }
        }
        double mse = 0;
        for (int i = 0; i < 40; i++) {
            mse += 0.5 * (f[i] - y[i]) * (f[i] - y[i]) / 40;
        }
        Table lin = sweep.table("linearization").where("width", width);
        double[] linLoss = lin.numbers("train_loss_linear");
        assertEquals(mse, linLoss[linLoss.length - 1], 1e-10 * mse);
        assertEquals(0.0, lin.numbers("train_gap")[0], 1e-12);
        double[] nnLoss = lin.numbers("train_loss_network");
        assertEquals(loss[40], nnLoss[nnLoss.length - 1], 1e-13 * loss[40]);
    }

    @Test
    void empiricalKernelsConvergeToTheAnalyticOne() {
        Matrix x = DATA.train().x().rowRange(0, 5);
        SweepConfig cfg = SweepConfig.defaults(16, 64, 256);
        List<ProgressListener.Progress> seen = new ArrayList<>();
        Report r = LazyTrainingExperiments.kernelConvergence(REF, x, 2, cfg, 3, NtkMode.FULL, seen::add);
        Table sum = r.table("ntk_convergence_summary");
        double s = fit(r.table("ntk_convergence_fits"), "mean_relative_error");
        assertTrue(s < -0.3 && s > -0.8, "convergence slope " + s);
        assertEquals(slope(sum.numbers("width"), sum.numbers("mean_relative_error")), s, 1e-12);
        assertEquals(9, seen.size());
        // One cell by hand.
        Architecture arch = cfg.architecture(64, 8, 2);
        Tensor emp = REF.kernel(Parameters.init(arch, cfg.seed() + 1), x, NtkMode.FULL, Implementation.AUTO);
        Tensor inf = AnalyticKernel.of(arch).ntk(x, NtkMode.FULL);
        double d2 = 0;
        double n2 = 0;
        for (int i = 0; i < emp.size(); i++) {
            d2 += Math.pow(emp.at(i) - inf.at(i), 2);
            n2 += inf.at(i) * inf.at(i);
        }
        Table per = r.table("ntk_convergence").where("width", 64).where("seed", cfg.seed() + 1);
        assertEquals(Math.sqrt(d2 / n2), per.numbers("relative_error")[0], 1e-14);
    }

    /** A CNN on 4×4×1 images: two 3×3 convolutions, global average pooling, two outputs. */
    private static final String TINY_CNN = "4x4x1:conv({width},3x3,same,1.4142135623730951,0.1),relu,"
            + "conv({width},3x3,same,1.4142135623730951,0.1),relu,gap,dense(2,1.4142135623730951,0.1)";

    @Test
    void aCnnSweptOverItsChannelsMovesLessAndDriftsLessAsItWidens() {
        Dataset.Split images = Synthetic.sphere(12, 16, 2, 5).split(8, 0, 1);
        SweepConfig cfg = SweepConfig.defaults(4, 16, 64).withTemplate(TINY_CNN).withSteps(20).withTracking(6, 4, false);
        Report r = LazyTrainingExperiments.trainingSweep(REF, images, cfg, ProgressListener.NONE);
        Table finals = r.table("weight_movement_final");
        Table fits = r.table("training_fits");
        double[] c = finals.numbers("width");
        double[] change = finals.numbers("change_total");
        for (int i = 0; i < c.length; i++) {
            assertTrue(change[i] > 0 && change[i] < 0.5, "weight change " + change[i] + " at " + c[i] + " channels");
        }
        for (double v : finals.numbers("loss_reduction")) {
            assertTrue(v > 1.5, "loss fell only " + v + "×");
        }
        // Three layers with parameters (two convolutions and the readout), each with its own change column.
        assertEquals(3, fits.distinct("quantity").stream().filter(q -> ((String) q).startsWith("change_layer")).count());
        assertEquals(slope(c, change), fit(fits, "change_total"), 1e-12);
        assertTrue(fit(fits, "change_total") < -0.2, "weight change slope " + fit(fits, "change_total"));
        Table drift = r.table("kernel_drift").where("step", 20);
        assertEquals(slope(drift.numbers("width"), drift.numbers("drift")), fit(fits, "kernel_drift (final step)"), 1e-12);
        assertTrue(fit(fits, "kernel_drift (final step)") < -0.2, "drift slope " + fit(fits, "kernel_drift (final step)"));
        assertTrue(r.summary().contains("network " + TINY_CNN), r.summary());

        // One width replayed: gradient descent on the reference from the same θ_0 gives the same weight change.
        Architecture arch = cfg.architecture(16, 16, 2);
        double lr = finals.where("width", 16).numbers("learning_rate")[0];
        Parameters q = Parameters.init(arch, cfg.seed());
        double[] theta0 = q.toFlat();
        double[] theta = theta0.clone();
        for (int t = 0; t < 20; t++) {
            q.setFlat(theta);
            LossGradient lg = REF.mseLossGradient(q, images.train().x(), images.train().y());
            for (int i = 0; i < theta.length; i++) {
                theta[i] -= lr * lg.gradient()[i];
            }
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < theta.length; i++) {
            num += (theta[i] - theta0[i]) * (theta[i] - theta0[i]);
            den += theta0[i] * theta0[i];
        }
        assertEquals(Math.sqrt(num / den), finals.where("width", 16).numbers("change_total")[0], 1e-10);
    }

    @Test
    void aTemplateMustNameTheWidthAndFitTheData() {
        assertThrows(InvalidInputException.class, () -> SweepConfig.defaults(4).withTemplate("16:dense(8),relu,dense(2)"));
        InvalidInputException bad = assertThrows(InvalidInputException.class,
                () -> SweepConfig.defaults(4).withTemplate("4x4x1:conv({width},3x3,sideways),gap,dense(2)"));
        assertTrue(bad.getMessage().contains("sideways"), bad.getMessage());
        InvalidInputException misfit = assertThrows(InvalidInputException.class,
                () -> SweepConfig.defaults(4).withTemplate(TINY_CNN).architecture(4, 64, 10));
        assertTrue(misfit.getMessage().contains("reads 16 numbers and makes 2 outputs"), misfit.getMessage());
    }

    @Test
    void aBackendWithoutTheCnnsLayersHandsTheCnnSweepToTheCpuAndSaysSo() {
        Dataset.Split digits = org.ntk4j.data.Digits.load().split(6, 0, 1);
        DemoConfig cfg = DemoConfig.quick();
        cfg = new DemoConfig(cfg.sweep(), 6, 0, 1, 1, 1, 1, 1, cfg.lazyOptions(), 1, false, cfg.eigenmodes(),
                SweepConfig.defaults(2, 4).withTemplate(SweepConfig.DIGITS_CNN).withSteps(3).withTracking(2, 2, false), 4);
        Table mlpFits = LazyTrainingExperiments.fitsTable("training_fits");
        try (Ntk denseOnly = Ntk.builder().backend(DenseOnlyProvider.NAME).open();
             Ntk cpu = Ntk.builder().backend("cpu").precision(org.ntk4j.Precision.FP64).open()) {
            Report r = LazyTrainingDemo.convolutional(denseOnly, digits, cfg, mlpFits, ProgressListener.NONE);
            assertTrue(r.summary().startsWith("CNN sweep on " + cpu.description()
                    + ": the dense-only backend does not run the CNN (layer 0 (conv(2,3x3,same,"), r.summary());
            // The same numbers as the CPU backend's own run.
            Report direct = LazyTrainingDemo.convolutional(cpu, digits, cfg, mlpFits, ProgressListener.NONE);
            assertTrue(!direct.summary().contains("CNN sweep "), direct.summary());
            assertEquals(direct.table("cnn_weight_movement").toCsv(), r.table("cnn_weight_movement").toCsv());
            // The MLP has no fits here: the CNN's stand beside NaN, not beside numbers from nowhere.
            assertTrue(Double.isNaN(r.table("cnn_vs_mlp_slopes").numbers("mlp_slope_vs_width")[0]));
        }
    }

    @Test
    void lazyScoreFallsWithWidth() {
        Dataset small = DATA.train().select(new int[] {0, 1, 2, 3});
        SweepConfig cfg = SweepConfig.defaults(8, 32, 128);
        LazyScore.Options opt = LazyScore.Options.defaults().withRounds(2).withMaxIterations(20).withTolerance(1e-4)
                .withRestarts(0);
        Report r = LazyTrainingExperiments.lazyScore(REF, small, cfg, 2, opt, ProgressListener.NONE);
        double s = fit(r.table("lazy_score_fits"), "mean_score");
        assertTrue(s < -0.2, "lazy score slope " + s);
        LazyScore.Result direct = LazyScore.estimate(REF, Parameters.init(cfg.architecture(32, 8, 2), cfg.seed()),
                small.x(), small.y(), opt);
        Table cell = r.table("lazy_score").where("width", 32).where("seed", cfg.seed());
        assertEquals(direct.score(), cell.numbers("score")[0], 1e-12 * direct.score());
        assertEquals(direct.gradientNormSq(), cell.numbers("gradient_norm_sq")[0], 1e-12 * direct.gradientNormSq());
    }

    @Test
    void demoRunsEveryExperimentAndWritesItsTables(@TempDir Path dir) throws Exception {
        DemoConfig tiny = new DemoConfig(SweepConfig.defaults(8, 16, 32).withSteps(15).withTracking(6, 4, true), 12, 6, 1,
                5, 2, 4, 1, LazyScore.Options.defaults().withRounds(1).withMaxIterations(8).withRestarts(0), 16, true,
                new EigenmodeDecay.Options(new int[] {8, 32}, 6, 12, 0.25, 0.05, 3),
                SweepConfig.defaults(4, 8).withTemplate(SweepConfig.DIGITS_CNN).withSteps(6).withTracking(4, 3, false), 6);
        List<ProgressListener.Progress> seen = new ArrayList<>();
        Report r = LazyTrainingDemo.run(REF, tiny, seen::add);
        for (String name : new String[] {"weight_movement", "weight_movement_final", "kernel_drift", "linearization",
                "training_throughput", "training_fits", "ntk_convergence", "ntk_convergence_summary",
                "ntk_convergence_fits", "ntk_spectrum", "ntk_conditioning", "lazy_score", "lazy_score_summary",
                "lazy_score_fits", "throughput_vs_gemm", "eigenmode_decay", "eigenmode_rates",
                "eigenmode_rate_deviation", "eigenmode_fits", "cnn_weight_movement", "cnn_weight_movement_final",
                "cnn_kernel_drift", "cnn_training_fits", "cnn_vs_mlp_slopes", "demo_timings"}) {
            assertTrue(r.table(name).rowCount() > 0, name + " is empty");
        }
        assertTrue(seen.size() >= 3 * 15, "progress updates: " + seen.size());
        // The CNN: 6 digits as 8×8×1 images, its slopes beside the MLP's, and no linearization (its tables absent).
        Table cnn = r.table("cnn_weight_movement_final");
        assertEquals(List.of(4L, 8L), cnn.distinct("width"));
        assertEquals(Architecture.parse(SweepConfig.DIGITS_CNN.replace(SweepConfig.WIDTH, "8"),
                org.ntk4j.model.Parameterization.NTK).parameterCount(), cnn.where("width", 8).numbers("parameters")[0]);
        assertEquals("CNN", cnn.meta().get("network.label"));
        assertTrue(r.tables().stream().noneMatch(t -> t.name().equals("cnn_linearization")));
        Table both = r.table("cnn_vs_mlp_slopes");
        assertEquals(List.of("change_total", "kernel_drift (final step)"), both.distinct("quantity"));
        assertEquals(fit(r.table("training_fits"), "change_total"), both.numbers("mlp_slope_vs_width")[0]);
        assertEquals(fit(r.table("cnn_training_fits"), "change_total"), both.numbers("cnn_slope_vs_channels")[0]);
        assertTrue(r.summary().contains("CNN change_total vs channels: slope "), r.summary());
        assertTrue(r.summary().contains("CNN (8x8x1:conv(C,3x3,same,"), r.summary());
        assertEquals(java.util.List.of(8L, 16L), r.table("lazy_score_summary").distinct("width"), "lazy widths capped at 16");
        r.writeTo(dir);
        assertTrue(Files.readString(dir.resolve("weight_movement.csv")).startsWith("width,step,loss,change_total"));
        assertTrue(Files.exists(dir.resolve("lazy-training_demo.md")));
        assertTrue(Files.readString(dir.resolve("cnn_vs_mlp_slopes.csv")).startsWith("quantity,mlp_slope_vs_width,"));
        assertTrue(Files.readString(dir.resolve("lazy-training_demo.md")).contains("cnn_slope_vs_channels"));
        assertTrue(DemoConfig.quick().sweep().widths().length >= 3);
        assertEquals(2048, DemoConfig.cpu().sweep().widths()[DemoConfig.cpu().sweep().widths().length - 1]);
    }
}
