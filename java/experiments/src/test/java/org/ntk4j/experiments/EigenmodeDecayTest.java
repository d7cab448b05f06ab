package org.ntk4j.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.ntk4j.ProgressListener;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.data.Dataset;
import org.ntk4j.data.Synthetic;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Reference;
import org.ntk4j.testing.Tolerances;

/** The decoupled-flow experiment on the fp64 reference: exact where the theory is exact, and rechecked by hand. */
class EigenmodeDecayTest {
    private static final Ntk REF = Reference.ntk();

    private static int[] every(int steps) {
        return IntStream.rangeClosed(0, steps).toArray();
    }

    @Test
    void aModelLinearInItsParametersDecaysExactlyAsPredicted() {
        // No hidden layer: f = (σ_w/√d)·W·x + σ_b·b is linear in θ, so Θ never changes and one gradient step maps the
        // residual to exactly (I − η·Θ/n)·r — every component decays at exactly ρ_k = −ln(1 − ηλ_k/n). n = 14 modes,
        // P = 9·2 + 2 = 20 parameters: Θ has full rank, and as Θ = K ⊗ I_2 every eigenvalue is doubly degenerate.
        Dataset d = Synthetic.sphere(7, 9, 2, 5);
        Architecture arch = Architecture.builder(9).output(2).build();
        Parameters p0 = Parameters.init(arch, 3);
        EigenmodeDecay.Modes m = EigenmodeDecay.measure(REF, p0, d.x(), d.y(), every(40), 0.25, 1e-3, "linear", ProgressListener.NONE);
        assertEquals(14, m.size());
        assertTrue(m.kernelDrift() < Tolerances.FP64, "drift " + m.kernelDrift());
        double c0 = 0;
        for (double c : m.components()[0]) {
            c0 = Math.max(c0, Math.abs(c));
        }
        for (int k = 0; k < m.size(); k++) {
            for (int i = 0; i < m.recordedSteps().length; i++) {
                int t = m.recordedSteps()[i];
                double predicted = m.components()[0][k] * m.predictedDecay(k, t);
                assertEquals(predicted, m.components()[i][k], Tolerances.FP64 * c0, "mode " + k + ", step " + t);
            }
            assertEquals(m.predictedRate()[k], m.measuredRate()[k], 1e-9 * m.predictedRate()[k], "mode " + k);
        }
        assertEquals(0.0, m.deviationQuantile(1.0), 1e-9);
        assertTrue(m.resolvedModes().length >= 2, "resolved " + m.resolvedModes().length);
        // η = ¼·2n/λ_max: the top mode shrinks by exactly ½ per step.
        assertEquals(Math.log(2), m.predictedRate()[0], 1e-15);
    }

    @Test
    void aNarrowNetworkDeviatesAndAWideOneFollowsThePrediction() {
        // The fp64 CPU backend (checked against the reference elsewhere): the reference is 10× slower at these widths.
        Dataset d = Synthetic.sphere(8, 8, 2, 7);
        SweepConfig net = SweepConfig.defaults(8);
        int[] widths = {8, 256};
        double[] median = new double[2];
        double[] top = new double[2];
        try (Ntk cpu = Ntk.builder().backend("cpu").precision(Precision.FP64).open()) {
            for (int i = 0; i < 2; i++) {
                Parameters p0 = Parameters.init(net.architecture(widths[i], 8, 2), 0);
                EigenmodeDecay.Modes m = EigenmodeDecay.measure(cpu, p0, d.x(), d.y(), every(100), 0.25, 1e-2, "w", ProgressListener.NONE);
                assertTrue(m.resolvedModes().length >= 6, "resolved " + m.resolvedModes().length);
                median[i] = m.deviationQuantile(0.5);
                top[i] = m.relativeDeviation(0);
            }
        }
        // Measured: medians 0.59 and 0.083, top modes 0.46 and 0.057 (width 1024, 4× the time: 0.025 and 0.026).
        assertTrue(median[0] > 0.3, "narrow median deviation " + median[0]);
        assertTrue(median[1] < median[0] / 4, "wide median deviation " + median[1] + " (narrow " + median[0] + ")");
        assertTrue(top[1] < top[0] / 4, "top-mode deviation " + top[1] + " wide, " + top[0] + " narrow");
    }

    @Test
    void theProjectionMatchesAnIndependentReplay() {
        // One output: the top eigenvalue of a ReLU NTK with bias is well separated, so power iteration finds v_0.
        Dataset d = Synthetic.sphere(9, 6, 1, 11);
        Architecture arch = SweepConfig.defaults(24).architecture(24, 6, 1);
        Parameters p0 = Parameters.init(arch, 2);
        int[] recorded = {0, 1, 2, 5, 9, 20};
        EigenmodeDecay.Modes m = EigenmodeDecay.measure(REF, p0, d.x(), d.y(), recorded, 0.25, 1e-2, "p", ProgressListener.NONE);
        assertArrayEquals(recorded, m.recordedSteps());

        Matrix k = KernelLayout.fullToMatrix(REF.kernel(p0, d.x(), NtkMode.FULL, Implementation.AUTO));
        int n = 9;
        double lambdaMax = LinearAlgebra.symmetricEigenvalues(k)[n - 1];
        double lr = 0.25 * 2 * n / lambdaMax;
        assertEquals(lr, m.learningRate(), 1e-12 * lr);
        double[] v = powerIteration(k);
        // Replay gradient descent on flat parameter vectors and check the projections at the recorded steps.
        double[] theta = p0.toFlat();
        Parameters q = Parameters.init(arch, 2);
        int next = 0;
        for (int t = 0; t <= 20; t++) {
            q.setFlat(theta);
            if (t == recorded[next]) {
                double[] f = REF.forward(q, d.x()).data();
                double[] r = new double[n];
                for (int j = 0; j < n; j++) {
                    r[j] = f[j] - d.y().data()[j];
                }
                double[] c = m.components()[next];
                double[] kr = new double[n];
                for (int a = 0; a < n; a++) {
                    for (int b = 0; b < n; b++) {
                        kr[a] += k.get(a, b) * r[b];
                    }
                }
                // Σ λ^p c_k² = rᵀ Θ^p r for p = 0, 1, 2 — the projection against the kernel itself, no eigensolver.
                double[] lhs = new double[3];
                for (int j = 0; j < n; j++) {
                    double lam = m.eigenvalues()[j];
                    lhs[0] += c[j] * c[j];
                    lhs[1] += lam * c[j] * c[j];
                    lhs[2] += lam * lam * c[j] * c[j];
                }
                double[] rhs = {dot(r, r), dot(r, kr), dot(kr, kr)};
                for (int p = 0; p < 3; p++) {
                    assertEquals(rhs[p], lhs[p], 1e-12 * rhs[p], "step " + t + ", power " + p);
                }
                assertEquals(Math.abs(dot(v, r)), Math.abs(c[0]), 1e-10 * Math.sqrt(rhs[0]), "top mode at step " + t);
                next++;
            }
            if (t < 20) {
                LossGradient lg = REF.mseLossGradient(q, d.x(), d.y());
                for (int i = 0; i < theta.length; i++) {
                    theta[i] -= lr * lg.gradient()[i];
                }
            }
        }
        assertEquals(recorded.length, next);
        // The fitted rate of the top mode, by hand: its window is every recorded step while 2^−t ≥ 1e-2 (t ≤ 6).
        double[] ts = {0, 1, 2, 5};
        double[] logs = new double[4];
        for (int i = 0; i < 4; i++) {
            logs[i] = Math.log(Math.abs(m.components()[i][0]));
        }
        double mt = Arrays.stream(ts).average().orElseThrow();
        double ml = Arrays.stream(logs).average().orElseThrow();
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < 4; i++) {
            sxy += (ts[i] - mt) * (logs[i] - ml);
            sxx += (ts[i] - mt) * (ts[i] - mt);
        }
        assertEquals(-sxy / sxx, m.measuredRate()[0], 1e-12);
        assertEquals(5, m.windowEnd()[0]);
        assertEquals(Math.log(2), m.predictedRate()[0], 1e-15);
        assertEquals(0.5, m.flowRate()[0], 1e-15);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** The top eigenvector of a symmetric positive definite matrix by 500 steps of power iteration. */
    private static double[] powerIteration(Matrix k) {
        int n = k.rows();
        double[] v = new double[n];
        Arrays.fill(v, 1 / Math.sqrt(n));
        for (int it = 0; it < 500; it++) {
            double[] w = new double[n];
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    w[a] += k.get(a, b) * v[b];
                }
            }
            double norm = Math.sqrt(dot(w, w));
            for (int a = 0; a < n; a++) {
                v[a] = w[a] / norm;
            }
        }
        return v;
    }

    @Test
    void theReportHasItsTablesPlotHintsAndFits() {
        Dataset d = Synthetic.sphere(10, 8, 2, 3);
        EigenmodeDecay.Options opt = new EigenmodeDecay.Options(new int[] {8, 32, 128}, 6, 30, 0.25, 0.02, 3);
        Report r = EigenmodeDecay.run(REF, d, SweepConfig.defaults(8), opt, ProgressListener.NONE);
        Table decay = r.table("eigenmode_decay");
        Table rates = r.table("eigenmode_rates");
        Table dev = r.table("eigenmode_rate_deviation");
        for (Table t : new Table[] {decay, rates}) {
            for (String key : new String[] {"plot.title", "plot.xlabel", "plot.ylabel", "setting"}) {
                assertTrue(t.meta().containsKey(key), t.name() + " lacks " + key);
            }
        }
        assertEquals("width", dev.meta().get("plot.x"));
        assertEquals("true", dev.meta().get("plot.logy"));
        assertEquals(java.util.List.of(8L, 32L, 128L), dev.distinct("width"));
        assertEquals(java.util.List.of(8L, 32L, 128L), decay.distinct("width"));
        // Every shown mode starts at 1, its predicted curve is e^{−ρ t} with the rate of the rates table, and its
        // initial component is at least the median over the resolved modes.
        for (Object w : decay.distinct("width")) {
            Table part = decay.where("width", w);
            assertTrue(part.distinct("mode").size() == 3, "modes shown at width " + w);
            double[] c0 = Arrays.stream(rates.where("width", w).numbers("initial_component")).map(Math::abs).sorted()
                    .toArray();
            for (Object mode : part.distinct("mode")) {
                Table curve = part.where("mode", mode);
                Table rate = rates.where("width", w).where("mode", mode);
                assertTrue(Math.abs(rate.numbers("initial_component")[0]) >= c0[(c0.length - 1) / 2], "mode " + mode);
                double rho = rate.numbers("rate_predicted")[0];
                double[] steps = curve.numbers("step");
                assertEquals(opt.recordedSteps().length, steps.length);
                assertEquals(1.0, curve.numbers("measured")[0], 1e-15);
                for (int i = 0; i < steps.length; i++) {
                    assertEquals(Math.exp(-rho * steps[i]), curve.numbers("predicted")[i], 1e-12);
                }
            }
        }
        // The table's deviations are |ρ̂ − ρ|/ρ, and the median is that of the resolved modes' deviations.
        for (Object w : rates.distinct("width")) {
            Table part = rates.where("width", w);
            double[] rho = part.numbers("rate_predicted");
            double[] fit = part.numbers("rate_measured");
            double[] rel = part.numbers("relative_deviation");
            double[] sorted = new double[rho.length];
            for (int i = 0; i < rho.length; i++) {
                assertEquals(Math.abs(fit[i] - rho[i]) / rho[i], rel[i], 1e-15);
                sorted[i] = rel[i];
            }
            Arrays.sort(sorted);
            int m = sorted.length;
            double median = m % 2 == 1 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
            Table row = dev.where("width", w);
            assertEquals(median, row.numbers("median_relative_deviation")[0], 1e-15);
            assertEquals(m, (long) row.numbers("modes_resolved")[0]);
        }
        double[] w = dev.numbers("width");
        double[] med = dev.numbers("median_relative_deviation");
        double slope = LazyTrainingExperiments.fitSlope(r.table("eigenmode_fits"), "eigenmode rate deviation (median)");
        assertEquals(LogLogFit.of(w, med).slope(), slope, 1e-12);
        assertTrue(slope < 0, "deviation slope " + slope);
        assertTrue(r.summary().contains("Median relative deviation") && r.summary().contains("slope vs width"),
                r.summary());
    }

    @Test
    void optionsAreCheckedAndTheRecordedStepsCoverTheFastModes() {
        assertThrows(InvalidInputException.class, () -> new EigenmodeDecay.Options(new int[] {8}, 4, 10, 0.5, 0.01, 3));
        assertThrows(InvalidInputException.class, () -> new EigenmodeDecay.Options(new int[] {8, 8}, 4, 10, 0.25, 0.01,
                3));
        assertThrows(InvalidInputException.class, () -> new EigenmodeDecay.Options(new int[] {8}, 4, 10, 0.25, 1, 3));
        assertThrows(InvalidInputException.class, () -> EigenmodeDecay.measure(REF,
                Parameters.init(Architecture.builder(2).output(1).build(), 0), Matrix.of(new double[][] {{1, 0}}),
                Matrix.of(new double[][] {{1}}), new int[] {1, 2}, 0.25, 0.01, "x", ProgressListener.NONE));
        // The top mode halves each step; to 1e-2 it takes 6.6 steps: every step is recorded up to 14, then every 3rd.
        int[] s = new EigenmodeDecay.Options(new int[] {8}, 4, 150, 0.25, 0.01, 3).recordedSteps();
        for (int t = 0; t <= 14; t++) {
            assertEquals(t, s[t]);
        }
        assertEquals(17, s[15]);
        assertEquals(150, s[s.length - 1]);
        for (int i = 1; i < s.length; i++) {
            assertTrue(s[i] > s[i - 1] && s[i] - s[i - 1] <= 3, Arrays.toString(s));
        }
    }
}
