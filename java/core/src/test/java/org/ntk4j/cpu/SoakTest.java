package org.ntk4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.ntk4j.BackendClosedException;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.NtkCase;

/**
 * A long-lived backend behaves like a fresh one: 1,000 kernel calls of mixed shapes, modes and implementations leave
 * heap and native memory where they started and give the same bits as a new backend would; closing it while a call
 * runs lets that call finish and refuses the next.
 */
class SoakTest {

    private record Call(Architecture arch, long seed, Matrix x1, Matrix x2, NtkMode mode, Implementation impl) {
        Tensor on(Ntk ntk) {
            Parameters p = Parameters.init(arch, seed);
            return x2 == x1 ? ntk.kernel(p, x1, mode, impl) : ntk.kernel(p, x1, x2, mode, impl);
        }
    }

    private static List<Call> calls(int count) {
        SplittableRandom rng = new SplittableRandom(2026);
        Activation[] acts = Activation.values();
        List<Call> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int d = 1 + rng.nextInt(9);
            Architecture arch = Architecture.builder(d).hidden(1 + rng.nextInt(24)).output(1 + rng.nextInt(3))
                    .activation(acts[rng.nextInt(acts.length)]).sigmaB(0.1).build();
            Matrix x1 = NtkCase.gaussianInputs(1 + rng.nextInt(9), d, rng.nextLong());
            Matrix x2 = rng.nextBoolean() ? x1 : NtkCase.gaussianInputs(1 + rng.nextInt(7), d, rng.nextLong());
            list.add(new Call(arch, rng.nextLong(), x1, x2, NtkMode.values()[rng.nextInt(3)],
                    rng.nextBoolean() ? Implementation.STRUCTURED : Implementation.JACOBIAN_CONTRACTION));
        }
        return list;
    }

    @Test
    void thousandMixedCallsLeaveMemoryAtBaselineAndMatchAFreshBackend() throws Exception {
        List<Call> calls = calls(1000);
        try (Ntk longLived = Ntk.builder().backend("cpu").precision(Precision.FP32).open()) {
            // warm-up: thread pool, BLAS buffers, JIT — and one whole pass, so that the heap pages the collector
            // cycles through are already resident: otherwise resident memory grows by up to the young generation's
            // size, depending on the JVM's sizing and the machine's load, which is not a leak. A leak per call shows
            // in the second pass just the same.
            for (Call c : calls) {
                c.on(longLived);
            }
            long heap0 = usedHeapAfterGc();
            long direct0 = directBytes();
            long rss0 = residentBytes();
            List<Tensor> results = new ArrayList<>();
            for (Call c : calls) {
                results.add(c.on(longLived));
            }
            long heapGrowth = usedHeapAfterGc() - heap0;
            // The results are held (a few MB); anything beyond them and noise would be a leak.
            long held = results.stream().mapToLong(t -> 8L * t.size() + 64).sum();
            assertTrue(heapGrowth < held + (16 << 20), "heap grew by " + heapGrowth + " bytes, results hold " + held);
            assertEquals(direct0, directBytes(), "direct buffers");
            long rssGrowth = residentBytes() - rss0;
            assertTrue(rssGrowth < (64 << 20), "resident memory grew by " + rssGrowth + " bytes over 1,000 calls");
            // Every 10th call again on a fresh backend: the same bits.
            try (Ntk fresh = Ntk.builder().backend("cpu").precision(Precision.FP32).open()) {
                for (int i = 0; i < calls.size(); i += 10) {
                    assertArrayEquals(calls.get(i).on(fresh).doubles(), results.get(i).doubles(), "call " + i);
                }
            }
        }
    }

    /** Whether this thread is running the CPU backend's computation (a frame of org.ntk4j.cpu on its stack). */
    private static boolean insideTheComputation(Thread t) {
        if (t == null) {
            return false;
        }
        for (StackTraceElement f : t.getStackTrace()) {
            if (f.getClassName().startsWith("org.ntk4j.cpu.")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void closeDuringAKernelLetsItFinishAndRefusesTheNext() throws Exception {
        Architecture arch = Architecture.builder(64).hidden(512, 512).output(10).build();
        Parameters p = Parameters.init(arch, 3);
        Matrix x = NtkCase.gaussianInputs(96, 64, 4);
        Tensor expected;
        try (Ntk fresh = Ntk.builder().backend("cpu").open()) {
            expected = fresh.kernel(p, x, NtkMode.TRACE, Implementation.JACOBIAN_CONTRACTION);
        }
        Ntk ntk = Ntk.builder().backend("cpu").open();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.atomic.AtomicReference<Thread> worker = new java.util.concurrent.atomic.AtomicReference<>();
            Future<Tensor> running = pool.submit(() -> {
                worker.set(Thread.currentThread());
                return ntk.kernel(p, x, NtkMode.TRACE, Implementation.JACOBIAN_CONTRACTION);
            });
            // close() only once the call is inside the CPU backend's work (past the backend's entry check): a fixed
            // sleep let a descheduled worker reach the call after close() on a loaded machine
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!insideTheComputation(worker.get()) && !running.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(!running.isDone(), "the kernel finished before close(): make it larger so the test means something");
            assertTrue(insideTheComputation(worker.get()), "the call did not start within a minute");
            ntk.close(); // waits for the running call instead of shutting its thread pool under it
            assertArrayEquals(expected.doubles(), running.get().doubles(), "the call running across close()");
            try {
                ntk.kernel(p, x, NtkMode.TRACE);
                throw new AssertionError("a call after close() must fail");
            } catch (BackendClosedException e) {
                assertTrue(e.getMessage().contains("closed"), e.getMessage());
            }
        } finally {
            pool.shutdownNow();
            ntk.close();
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
            Runtime rt = Runtime.getRuntime();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    private static long directBytes() {
        long sum = 0;
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            sum += b.getMemoryUsed();
        }
        return sum;
    }

    /** VmRSS from /proc (Linux); 0 elsewhere, which makes the check vacuous there only. */
    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return 1024 * Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            return 0;
        }
        return 0;
    }
}
