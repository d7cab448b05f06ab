package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.Matrix;
import org.ntk4j.Precision;
import org.ntk4j.PreparedModel;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.NtkCase;

/**
 * What a gradient-descent step moves between host and device, counted by {@link CudaDevice} on a recording driver (no
 * GPU needed; the counts are the host side's, the same on a GPU): a prepared model sends x and y and brings back the
 * loss, with one wait; a step through the backend's own calls (upload θ, download ∇L, update on the host) moves O(P)
 * both ways.
 */
class PreparedModelTransferTest {

    @Test
    void aPreparedStepMovesTheInputsInAndTheLossOutWithOneWait() {
        Architecture arch = Architecture.widths(64, 512, 512, 10)
                .activation(Activation.RELU).parameterization(Parameterization.NTK).sigmaW(1.4).sigmaB(0.1).build();
        int n = 128;
        Matrix x = NtkCase.gaussianInputs(n, 64, 1);
        Matrix y = NtkCase.gaussianInputs(n, 10, 2);
        for (Precision prec : new Precision[] {Precision.FP32, Precision.FP64}) {
            RecordingDriver d = new RecordingDriver(1L << 32);
            try (CudaBackend b = KernelLaunchContractTest.open(d, prec)) {
                int es = prec == Precision.FP64 ? 8 : 4;
                CudaDevice dev = b.device();
                Parameters p = Parameters.init(arch, 1);

                long in0 = dev.bytesToDevice();
                long out0 = dev.bytesToHost();
                b.mseLossGradient(p, x, y); // what a step cost before prepared models (plus the host update)
                long beforeIn = dev.bytesToDevice() - in0;
                long beforeOut = dev.bytesToHost() - out0;

                try (PreparedModel m = b.prepare(p)) {
                    m.step(x, y, 0.1); // warm: the workspace grows once
                    long in1 = dev.bytesToDevice();
                    long out1 = dev.bytesToHost();
                    int syncs = d.synchronizeCalls;
                    m.step(x, y, 0.1);
                    long afterIn = dev.bytesToDevice() - in1;
                    long afterOut = dev.bytesToHost() - out1;
                    System.out.printf("[ntk4j] bytes per GD step, %s, P = %d, N = %d: backend calls %d in + %d out;"
                            + " prepared model %d in + %d out, %d wait(s)%n", prec, arch.parameterCount(), n, beforeIn,
                            beforeOut, afterIn, afterOut, d.synchronizeCalls - syncs);
                    assertEquals((long) n * (64 + 10) * es, afterIn, prec + ": a prepared step uploads x and y only");
                    assertEquals(8, afterOut, prec + ": and downloads the loss only");
                    assertEquals(1, d.synchronizeCalls - syncs, prec + ": with one wait for the device");
                    assertTrue(beforeIn >= arch.parameterCount() * es && beforeOut >= arch.parameterCount() * es,
                            prec + ": the backend's own calls move θ in and ∇L out");
                }
            }
        }
    }
}
