package org.ntk4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Parameters;
import org.ntk4j.model.Parameterization;

/**
 * The readers against generated hostile files ({@link HostileFiles}): every file is either read or refused with a
 * typed exception that names it ({@link NpyFormatException}, or a {@link FileSystemException} for what the file
 * system says), never anything else, and reading costs at most the file's honest size (float32 stays float32; three
 * times that for parameters, held in float64: a float32 member is read, then widened) plus a fixed
 * {@value #SLACK_KIB} KiB (buffers, the exception, the zip directory), measured as the bytes the reading thread
 * allocates. Mapping a .npy file ({@link Npy#map}) gives what reading gives, refuses what reading refuses, and
 * allocates no more than the fixed slack. What a reader accepts must equal an independent decoding of the same bytes
 * ({@link #contentsDiffer}): accepted is not enough, it must be read right.
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
    private record Outcome(HostileFiles.Case c, Object value, Throwable error, long allocated) {
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
            if (o.error() == null) {
                String wrong = contentsDiffer(c, o.value());
                if (wrong != null) {
                    failures.add(c.reader() + " " + c.name() + ": accepted, but " + wrong);
                }
            } else {
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
        Object value = null;
        try {
            value = switch (c.reader()) {
                case NPY -> Npy.read(f);
                case NPZ -> Npz.read(f);
                case PARAMETERS -> ParametersIO.settings(f).isPresent() ? ParametersIO.load(f)
                        : ParametersIO.load(f, ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK));
            };
        } catch (NpyFormatException | FileSystemException e) {
            error = e;
        } catch (Throwable t) {
            fail(c.reader() + " " + c.name() + " (" + f + "): " + t, t);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        return new Outcome(c, value, error, allocated);
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
        return new Outcome(c, null, error, threads.getCurrentThreadAllocatedBytes() - before);
    }

    /**
     * Null when what a reader accepted equals an independent decoding of the case's bytes (the JDK's streaming zip
     * reader over the local headers, and {@link #decodeNpy}); otherwise what differs.
     */
    static String contentsDiffer(HostileFiles.Case c, Object value) {
        if (c.reader() == HostileFiles.Reader.NPY) {
            Tensor expected = decodeNpy(c.bytes());
            return expected == null ? "an independent decoding refuses it"
                    : expected.equals(value) ? null : "read " + describe((Tensor) value) + ", the file holds " + describe(expected)
                    + " (or their values differ)";
        }
        Map<String, byte[]> raw;
        try {
            raw = members(c.bytes());
        } catch (RuntimeException | DataFormatException e) {
            return "an independent decoding refuses it: " + e;
        }
        Map<String, Tensor> members = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : raw.entrySet()) {
            // the parameter reader reads only W<l> and b<l>; the archive reader every .npy member
            String key = e.getKey().substring(0, e.getKey().length() - 4);
            if (c.reader() == HostileFiles.Reader.NPZ || key.matches("[Wb][0-9]+")) {
                Tensor t = decodeNpy(e.getValue());
                if (t == null) {
                    return "an independent decoding refuses member " + e.getKey();
                }
                members.put(key, t);
            }
        }
        if (c.reader() == HostileFiles.Reader.NPZ) {
            return members.equals(value) ? null : "read members " + keysAndShapes((Map<?, ?>) value)
                    + ", the file holds " + keysAndShapes(members) + " (or their values differ)";
        }
        Parameters p = (Parameters) value;
        long size = 0;
        for (int l = 0; l < p.architecture().layers(); l++) {
            Tensor w = members.get("W" + l);
            Tensor b = members.get("b" + l);
            if (w == null || !Arrays.equals(w.doubles(), p.weights(l))) {
                return "W" + l + " differs from the file's";
            }
            if ((b == null) != (p.bias(l) == null) || b != null && !Arrays.equals(b.doubles(), p.bias(l))) {
                return "b" + l + " differs from the file's";
            }
            size += w.size() + (b == null ? 0 : b.size());
        }
        return size == p.size() ? null : "the file holds " + size + " parameters, read " + p.size();
    }

    /**
     * The .npy members of a zip archive as its central directory (the zip format's authority) lists them, read
     * plainly from their local records, stored or deflated, each checked against the directory's CRC; null-free.
     */
    private static Map<String, byte[]> members(byte[] zip) throws DataFormatException {
        ByteBuffer z = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int eocd = zip.length - 22;
        while (eocd >= 0 && z.getInt(eocd) != 0x06054b50) {
            eocd--;
        }
        if (eocd < 0) {
            throw new IllegalArgumentException("no end record");
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        int cen = eocd - z.getInt(eocd + 12); // the directory ends where the end record starts
        for (int e = 0; cen < eocd; e++) { // by the directory's size, as Python's zipfile reads it
            if (z.getInt(cen) != 0x02014b50) {
                throw new IllegalArgumentException("no directory record " + e);
            }
            int method = z.getShort(cen + 10);
            long crc = z.getInt(cen + 16) & 0xffffffffL;
            int csize = z.getInt(cen + 20);
            int usize = z.getInt(cen + 24);
            int nameLen = z.getShort(cen + 28) & 0xffff;
            String name = new String(zip, cen + 46, nameLen, StandardCharsets.UTF_8);
            int next = cen + 46 + nameLen + (z.getShort(cen + 30) & 0xffff) + (z.getShort(cen + 32) & 0xffff);
            if (!name.endsWith(".npy")) { // other members are not read
                cen = next;
                continue;
            }
            int loc = z.getInt(cen + 42);
            int data = loc + 30 + (z.getShort(loc + 26) & 0xffff) + (z.getShort(loc + 28) & 0xffff);
            byte[] bytes;
            if (method == 0 && csize == usize) {
                bytes = Arrays.copyOfRange(zip, data, Math.addExact(data, csize));
            } else if (method == 8 && usize >= 0 && usize < 1 << 28) {
                Inflater inf = new Inflater(true);
                inf.setInput(zip, data, csize);
                bytes = new byte[usize];
                int n = inf.inflate(bytes);
                if (n != usize || !inf.finished()) {
                    throw new IllegalArgumentException(name + ": inflates to other than " + usize + " bytes");
                }
                inf.end();
            } else {
                throw new IllegalArgumentException(name + ": method " + method + ", sizes " + csize + "/" + usize);
            }
            CRC32 check = new CRC32();
            check.update(bytes);
            if (check.getValue() != crc || data + csize > zip.length) {
                throw new IllegalArgumentException(name + ": CRC or size");
            }
            if (out.put(name, bytes) != null) {
                throw new IllegalArgumentException(name + " twice");
            }
            cen = next;
        }
        return out;
    }

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([<>|]?)f([48])'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*False\\b");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([0-9, ]*)\\)");

    /**
     * A plain decoding of a C-ordered float .npy (NumPy's format as documented, written out here apart from
     * {@link Npy}): null for anything else, or when the data is not exactly the header's shape.
     */
    static Tensor decodeNpy(byte[] b) {
        if (b.length < 10 || (b[0] & 0xff) != 0x93 || !new String(b, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) {
            return null;
        }
        int major = b[6];
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (major < 1 || major > 3 || major > 1 && b.length < 12) {
            return null;
        }
        long start = major == 1 ? 10 + (bb.getShort(8) & 0xffff) : 12 + (bb.getInt(8) & 0xffffffffL);
        if (start > b.length) {
            return null;
        }
        // Python literals the reader takes: either quote, long suffixes, a backslash before a character
        String header = new String(b, major == 1 ? 10 : 12, (int) start - (major == 1 ? 10 : 12),
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1)
                .replace('"', '\'').replaceAll("([0-9])L", "$1").replaceAll("\\\\(.)", "$1");
        Matcher d = DESCR.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !ORDER.matcher(header).find() || !s.find()) {
            return null;
        }
        String[] dims = s.group(1).trim().isEmpty() ? new String[0] : s.group(1).split(",");
        int[] shape = new int[dims.length];
        long count = 1;
        int n = 0;
        for (String dim : dims) {
            if (!dim.isBlank()) {
                shape[n] = Integer.parseInt(dim.trim());
                count *= shape[n++];
            }
        }
        shape = Arrays.copyOf(shape, n);
        int width = d.group(2).charAt(0) - '0';
        if (b.length - start != count * width) {
            return null;
        }
        bb.order(d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN).position((int) start);
        if (width == 4) {
            float[] v = new float[(int) count];
            bb.asFloatBuffer().get(v);
            return new Tensor(shape, v);
        }
        double[] v = new double[(int) count];
        bb.asDoubleBuffer().get(v);
        return new Tensor(shape, v);
    }

    private static String describe(Tensor t) {
        return (t.float32() ? "float32 " : "float64 ") + Arrays.toString(t.shape());
    }

    private static String keysAndShapes(Map<?, ?> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(k).append(v instanceof Tensor t ? describe(t) : "?").append(' '));
        return sb.toString().trim();
    }

    private static String str(int[] c) {
        return c == null ? "[0, 0]" : "[" + c[0] + ", " + c[1] + "]";
    }
}
