package org.ntk4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Parameterization;

/**
 * The readers against generated hostile files ({@link HostileFiles}): every file is either read or refused with a
 * typed exception that names it ({@link NpyFormatException}, or a {@link FileSystemException} for what the file
 * system says), never anything else, and reading costs at most the file's honest size (float32 stays float32; three
 * times that for parameters, held in float64: a float32 member is read, then widened) plus a fixed
 * {@value #SLACK_KIB} KiB (buffers, the exception, the zip directory), measured as the bytes the reading thread
 * allocates. Mapping a .npy file ({@link Npy#map}) gives what reading gives, refuses what reading refuses, and
 * allocates no more than the fixed slack.
 */
class HostileFilesTest {
    /** Fixed costs of one read besides the array: buffers, an exception with its stack trace, zip bookkeeping. */
    static final int SLACK_KIB = 256;
    private static final long SLACK = SLACK_KIB << 10;

    @TempDir
    Path dir;

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** What reading one case did. */
    private record Outcome(HostileFiles.Case c, Throwable error, long allocated) {
    }

    @Test
    void everyHostileFileIsReadOrRefusedByNameAndCostsAtMostItsHonestSize() throws IOException {
        long seed = Long.getLong("ntk4j.hostile.seed", 20240611L);
        long t0 = System.nanoTime();
        List<HostileFiles.Case> cases = new HostileFiles(seed).generate();
        long t1 = System.nanoTime();
        assertTrue(threads.isThreadAllocatedMemorySupported(), "this JVM cannot measure allocation");
        threads.setThreadAllocatedMemoryEnabled(true);
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            Path f = dir.resolve(String.format(Locale.ROOT, "case%04d%s", i, cases.get(i).extension()));
            Files.write(f, cases.get(i).bytes());
            files.add(f);
        }
        // Twice: the first pass loads classes and links call sites (one-time JVM costs), the second is measured.
        List<Outcome> outcomes = new ArrayList<>();
        List<Outcome> mapped = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) {
            outcomes.clear();
            mapped.clear();
            for (int i = 0; i < cases.size(); i++) {
                outcomes.add(read(cases.get(i), files.get(i)));
                mapped.add(cases.get(i).reader() == HostileFiles.Reader.NPY ? map(cases.get(i), files.get(i)) : null);
            }
        }
        long t2 = System.nanoTime();
        Map<HostileFiles.Reader, int[]> counts = new EnumMap<>(HostileFiles.Reader.class);
        int rejected = 0;
        double worstRatioLarge = 0;
        long worstExcess = Long.MIN_VALUE;
        String worstCase = "";
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < outcomes.size(); i++) {
            Outcome o = outcomes.get(i);
            HostileFiles.Case c = o.c();
            String file = files.get(i).toString();
            counts.computeIfAbsent(c.reader(), r -> new int[2])[o.error() == null ? 0 : 1]++;
            if (System.getenv("NTK4J_HOSTILE_VERBOSE") != null) { // every outcome, for review
                System.out.println(c.reader() + " " + c.name() + " -> " + (o.error() == null ? "read" : o.error().getMessage()));
            }
            if (o.error() != null) {
                rejected++;
                String named = o.error() instanceof NpyFormatException n ? n.file()
                        : o.error() instanceof FileSystemException f ? f.getFile() : null;
                if (named == null) {
                    failures.add(c.reader() + " " + c.name() + ": not a typed exception: " + o.error());
                } else if (!(named.equals(file) || named.startsWith(file + ":")) || !o.error().getMessage().contains(file)) {
                    failures.add(c.reader() + " " + c.name() + ": does not name " + file + ": " + o.error().getMessage());
                }
            }
            Outcome m = mapped.get(i);
            if (m != null) {
                if ((m.error() == null) != (o.error() == null)) {
                    failures.add("map " + c.name() + ": " + (m.error() == null ? "mapped" : m.error().getMessage())
                            + ", but read: " + (o.error() == null ? "read" : o.error().getMessage()));
                } else if (m.error() == null && !Npy.read(files.get(i)).equals(Npy.map(files.get(i)))) {
                    failures.add("map " + c.name() + ": the mapped values differ from the read ones");
                }
                if (m.allocated() > SLACK) {
                    failures.add(String.format(Locale.ROOT, "map %s: allocated %d bytes", c.name(), m.allocated()));
                }
            }
            // parameters are held in float64: a float32 member is read as floats, then widened (4 + 8 bytes a value)
            long excess = o.allocated() - (c.reader() == HostileFiles.Reader.PARAMETERS ? 3 : 1) * c.honest();
            if (excess > SLACK) {
                failures.add(String.format(Locale.ROOT, "%s %s: allocated %d bytes for %d honest bytes", c.reader(),
                        c.name(), o.allocated(), c.honest()));
            }
            if (excess > worstExcess) {
                worstExcess = excess;
                worstCase = c.reader() + " " + c.name();
            }
            if (c.honest() >= 1 << 20) {
                worstRatioLarge = Math.max(worstRatioLarge, (double) o.allocated() / c.honest());
            }
        }
        System.out.printf(Locale.ROOT, "hostile files (seed %d): %d cases (npy %s, npz %s, parameters %s as [read,"
                        + " refused]); %d refused, each by a typed exception naming the file; allocation at most"
                        + " honest size (parameters 3 ×) + %.1f KiB (%s); files of ≥ 1 MiB: at most %.3f × their honest size; %.1f s to"
                        + " generate, %.1f s to read twice%n", seed,
                cases.size(), str(counts.get(HostileFiles.Reader.NPY)), str(counts.get(HostileFiles.Reader.NPZ)),
                str(counts.get(HostileFiles.Reader.PARAMETERS)), rejected, Math.max(0, worstExcess) / 1024.0, worstCase,
                worstRatioLarge, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        assertEquals(List.of(), failures);
        assertTrue(cases.size() >= 500, "at least 500 cases per run, got " + cases.size());
        assertTrue(rejected >= cases.size() / 2, "most hostile files are refused: " + rejected + " of " + cases.size());
    }

    private Outcome read(HostileFiles.Case c, Path f) {
        long before = threads.getCurrentThreadAllocatedBytes();
        Throwable error = null;
        try {
            switch (c.reader()) {
                case NPY -> Npy.read(f);
                case NPZ -> Npz.read(f);
                case PARAMETERS -> {
                    if (ParametersIO.settings(f).isPresent()) {
                        ParametersIO.load(f);
                    } else {
                        ParametersIO.load(f, Activation.RELU, Parameterization.NTK, 1.0, 0.0);
                    }
                }
            }
        } catch (NpyFormatException | FileSystemException e) {
            error = e;
        } catch (Throwable t) {
            fail(c.reader() + " " + c.name() + " (" + f + "): " + t, t);
        }
        return new Outcome(c, error, threads.getCurrentThreadAllocatedBytes() - before);
    }

    private Outcome map(HostileFiles.Case c, Path f) {
        long before = threads.getCurrentThreadAllocatedBytes();
        Throwable error = null;
        try {
            Npy.map(f);
        } catch (NpyFormatException | FileSystemException e) {
            error = e;
        } catch (Throwable t) {
            fail("map " + c.name() + " (" + f + "): " + t, t);
        }
        return new Outcome(c, error, threads.getCurrentThreadAllocatedBytes() - before);
    }

    private static String str(int[] c) {
        return c == null ? "[0, 0]" : "[" + c[0] + ", " + c[1] + "]";
    }
}
