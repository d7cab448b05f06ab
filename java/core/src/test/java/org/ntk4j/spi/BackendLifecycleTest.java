package org.ntk4j.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.ntk4j.BackendClosedException;
import org.ntk4j.BackendUnavailableException;
import org.ntk4j.Blas;
import org.ntk4j.CpuOptions;
import org.ntk4j.CudaOptions;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.reference.ReferenceBackend;
import org.ntk4j.testing.NtkCase;

/** What every backend inherits: the closed state, calls running across close(), the builder's lookup, prepared models. */
class BackendLifecycleTest {
    private static final Architecture ARCH = Architecture.builder(3).hidden(5).output(2).build();
    private static final Parameters P = Parameters.init(ARCH, 1);
    private static final Matrix X = NtkCase.gaussianInputs(4, 3, 2);

    /** A backend whose forward pass waits for a latch, so a test can close it while a call is inside. */
    static final class Gated extends Backend {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch proceed = new CountDownLatch(1);
        final AtomicInteger released = new AtomicInteger();
        final ReferenceBackend ref = new ReferenceBackend();
        Runnable duringCall = () -> { };

        @Override
        public String name() {
            return "gated";
        }

        @Override
        public String description() {
            return "gated test backend";
        }

        @Override
        public Precision precision() {
            return Precision.FP64;
        }

        @Override
        protected Matrix computeForward(Parameters params, Matrix x) {
            entered.countDown();
            duringCall.run();
            try {
                assertTrue(proceed.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertEquals(0, released.get(), "released while a call was running");
            return ref.forward(params, x);
        }

        @Override
        protected LossGradient computeMseLossGradient(Parameters params, Matrix x, Matrix y) {
            return ref.mseLossGradient(params, x, y);
        }

        @Override
        protected Matrix computeJacobian(Parameters params, Matrix x) {
            return ref.jacobian(params, x);
        }

        @Override
        protected Tensor computeKernel(Parameters params, Matrix x1, Matrix x2, boolean symmetric, NtkMode mode,
                                       Implementation implementation) {
            return symmetric ? ref.kernel(params, x1, mode, implementation) : ref.kernel(params, x1, x2, mode, implementation);
        }

        @Override
        protected void release() {
            released.incrementAndGet();
        }
    }

    @Test
    void closeLetsARunningCallFinishThenRefusesNewOnes() throws Exception {
        Gated b = new Gated();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Matrix> running = pool.submit(() -> b.forward(P, X));
            assertTrue(b.entered.await(10, TimeUnit.SECONDS));
            Future<?> closing = pool.submit(b::close);
            Thread.sleep(100);
            assertFalse(closing.isDone(), "close() must wait for the running call");
            assertTrue(b.isClosed());
            BackendClosedException e = assertThrows(BackendClosedException.class, () -> b.kernel(P, X, NtkMode.TRACE,
                    Implementation.AUTO));
            assertTrue(e.getMessage().contains("gated backend is closed"), e.getMessage());
            b.proceed.countDown();
            assertEquals(new ReferenceBackend().forward(P, X), running.get(10, TimeUnit.SECONDS));
            closing.get(10, TimeUnit.SECONDS);
            assertEquals(1, b.released.get());
            b.close();
            assertEquals(1, b.released.get(), "close() is idempotent");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closeFromInsideACallReleasesWhenTheCallReturns() {
        Gated b = new Gated();
        b.proceed.countDown();
        b.duringCall = b::close;
        Matrix f = b.forward(P, X);
        assertEquals(2, f.cols());
        assertEquals(1, b.released.get());
        assertThrows(BackendClosedException.class, () -> b.forward(P, X));
    }

    @Test
    void builderFindsBackendsByNameAndRefusesWhatItDoesNotKnow() {
        try (Ntk ref = Ntk.builder().backend("Reference").precision(Precision.FP32).open()) {
            assertEquals("reference", ref.backendName());
            assertEquals(Precision.FP64, ref.precision(), "the reference is always fp64");
        }
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Ntk.builder().backend("tpu").open());
        assertTrue(e.getMessage().contains("unknown backend 'tpu'") && e.getMessage().contains("cpu"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Ntk.builder().backend("cpu").option("blsa", "java").open());
        assertTrue(e.getMessage().contains("no option 'blsa'") && e.getMessage().contains("blas"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Ntk.builder().backend("cpu").option("blas", "mkl").open());
        assertTrue(e.getMessage().contains("blas must be one of"), e.getMessage());
        assertThrows(BackendUnavailableException.class, () -> Ntk.builder().backend("cpu").precision(Precision.TF32).open());
        try (Ntk cpu = Ntk.builder().backend("cpu").threads(1).option("blas", "java").option("vector", "false").open()) {
            assertTrue(cpu.description().contains("pure-Java BLAS") && cpu.description().contains("1 thread")
                    && cpu.description().contains("scalar"), cpu.description());
        }
        try (Ntk typed = Ntk.builder().threads(1).backend(CpuOptions.defaults().withBlas(Blas.JAVA).withVectorApi(false))
                .open()) {
            assertEquals("cpu", typed.backendName());
            assertTrue(typed.description().contains("pure-Java BLAS") && typed.description().contains("scalar"),
                    typed.description());
        }
        assertEquals(Blas.NATIVE, Blas.parse(" Native "), "the property's and the option's one vocabulary");
        e = assertThrows(InvalidInputException.class, () -> Blas.parse("mkl"));
        assertTrue(e.getMessage().contains("auto, native, bundled, system, java, got 'mkl'"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> CpuOptions.defaults().withMaxParameterChunk(0));
        assertThrows(InvalidInputException.class, () -> CudaOptions.defaults().withMemoryFraction(1.5));
        assertEquals(java.util.Map.of("device", "1", "memoryFraction", "0.8", "gram", "cublas", "poison", "false"),
                CudaOptions.defaults().withDevice(1).withGram(CudaOptions.Gram.CUBLAS).asOptions());
        CudaOptions cuda = CudaOptions.defaults();
        assertEquals(java.util.Optional.empty(), cuda.cublasPath(), "unset: the usual search");
        assertEquals(java.util.Optional.of("/opt/libcublas.so.12"), cuda.withCublasPath("/opt/libcublas.so.12")
                .cublasPath());
        assertEquals("/opt/libcublas.so.12", cuda.withCublasPath("/opt/libcublas.so.12").asOptions().get("cublasPath"));
        assertThrows(InvalidInputException.class, () -> cuda.withCublasPath(null));
        assertThrows(InvalidInputException.class, () -> cuda.withCublasPath(" "));
        assertThrows(InvalidInputException.class, () -> cuda.withDevice(-1));
        assertThrows(InvalidInputException.class, () -> cuda.withGram(null));
        assertEquals(cuda.withDevice(2), CudaOptions.defaults().withDevice(2));
        try (Ntk auto = Ntk.open()) {
            assertNotEquals("reference", auto.backendName());
        }
    }

    @Test
    void symmetricAndCrossOverloadsAgree() {
        try (Ntk ntk = Ntk.builder().backend("reference").open()) {
            Tensor sym = ntk.kernel(P, X, NtkMode.FULL);
            Tensor same = ntk.kernel(P, X, X.copy(), NtkMode.FULL);
            assertArrayEquals(same.doubles(), sym.doubles(), 1e-14);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> ntk.kernel(P, X, null, NtkMode.FULL));
            assertTrue(e.getMessage().contains("x2 is missing"), e.getMessage());
        }
    }

    @Test
    void hostPreparedModelStepsLikeTheDefinitionAndClosesWithItsBackend() {
        Matrix y = NtkCase.gaussianInputs(4, 2, 3);
        Ntk ntk = Ntk.builder().backend("reference").open();
        PreparedModel m = ntk.prepare(P);
        Parameters expected = P.copy();
        for (int t = 0; t < 3; t++) {
            LossGradient g = ntk.mseLossGradient(expected, X, y);
            assertEquals(g.loss(), m.step(X, y, 0.3), 1e-14);
            expected.addScaled(-0.3, g.gradient());
        }
        assertArrayEquals(expected.toFlat(), m.parameters().toFlat(), 1e-14);
        double[] moved = m.layerDistancesFromStart();
        assertEquals(ARCH.layers(), moved.length);
        for (int l = 0; l < moved.length; l++) {
            assertEquals(expected.layerDistance(l, P), moved[l], 1e-14);
            assertTrue(moved[l] > 0, "layer " + l + " did not move");
        }
        assertArrayEquals(P.toFlat(), Parameters.init(ARCH, 1).toFlat(), "prepare copies its parameters");
        assertEquals(ntk.forward(expected, X), m.forward(X));
        assertArrayEquals(ntk.kernel(expected, X, NtkMode.TRACE).doubles(), m.kernel(X, NtkMode.TRACE).doubles(), 1e-14);
        assertThrows(InvalidInputException.class, () -> m.step(X, y, -1));
        assertThrows(InvalidInputException.class, () -> m.forward(NtkCase.gaussianInputs(2, 4, 1)));
        ntk.close();
        assertThrows(BackendClosedException.class, () -> m.forward(X));
        m.close();
        m.close();
    }
}
