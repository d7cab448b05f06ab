package org.ntk4j.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * Generates hostile .npy and .npz files: valid files of every kind ntk4j reads, then mutated — header text
 * (extra keys, nested dicts, shapes, dtypes, orders), length fields, versions, truncations, random bytes, zip
 * directory and local header fields (CRCs, sizes, methods, offsets), member names (gaps, duplicates), the stored
 * parameter description, and zip bombs. Each case knows its honest size: how many bytes of data the file really
 * holds, which is all a reader may spend on it (three times that for parameters, held in float64 whatever the file).
 * Public for the other modules' readers of .npy files (the Spark tile store).
 */
public final class HostileFiles {
    /** Which reader a case is for. */
    public enum Reader {
        NPY, NPZ, PARAMETERS
    }

    /**
     * One file: its bytes, the reader, and its honest size (the larger of its length and the uncompressed bytes of
     * the members it was made from).
     */
    public record Case(String name, byte[] bytes, Reader reader, long honest) {
        String extension() {
            return reader == Reader.NPY ? ".npy" : ".npz";
        }
    }

    private final SplittableRandom rng;
    private final List<Case> cases = new ArrayList<>();

    public HostileFiles(long seed) {
        this.rng = new SplittableRandom(seed);
    }

    public List<Case> generate() {
        npyCases();
        npzCases();
        return cases;
    }

    // ---------------------------------------------------------------- .npy

    private void npyCases() {
        List<byte[]> bases = List.of(
                npy(1, dict("<f4", false, "(3, 4)"), data(12, 4, ByteOrder.LITTLE_ENDIAN)),
                npy(1, dict("<f8", false, "(7,)"), data(7, 8, ByteOrder.LITTLE_ENDIAN)),
                npy(1, dict("<f8", false, "()"), data(1, 8, ByteOrder.LITTLE_ENDIAN)),
                npy(1, dict("<f4", false, "(0, 5)"), new byte[0]),
                npy(1, dict(">f8", false, "(2, 3, 4)"), data(24, 8, ByteOrder.BIG_ENDIAN)),
                npy(2, dict("<f4", false, "(5, 3)"), data(15, 4, ByteOrder.LITTLE_ENDIAN)),
                npy(3, dict("<f8", false, "(4, 2)"), data(8, 8, ByteOrder.LITTLE_ENDIAN)),
                written(new Tensor(new int[] {256, 1024}, gaussians(256 * 1024)).toPrecision(Precision.FP32)));
        for (int b = 0; b < bases.size(); b++) {
            byte[] base = bases.get(b);
            String tag = "npy" + b;
            add(tag + " valid", base, Reader.NPY, base.length);
            int headerEnd = headerEnd(base);
            // every cut through the prefix and header, some through the data
            for (int cut = 0; cut < Math.min(base.length, headerEnd + 2); cut += b == 0 ? 1 : 7) {
                add(tag + " cut at " + cut, Arrays.copyOf(base, cut), Reader.NPY, base.length);
            }
            for (int i = 0; i < 4; i++) {
                int cut = headerEnd + rng.nextInt(Math.max(1, base.length - headerEnd));
                add(tag + " cut in data at " + cut, Arrays.copyOf(base, cut), Reader.NPY, base.length);
            }
            for (int i = 0; i < (base.length > 1 << 16 ? 4 : 12); i++) {
                byte[] m = base.clone();
                int pos = i < 8 ? rng.nextInt(Math.min(m.length, headerEnd)) : rng.nextInt(m.length);
                m[pos] = (byte) rng.nextInt(256);
                add(tag + " byte " + pos + " = " + (m[pos] & 0xff), m, Reader.NPY, base.length);
            }
            add(tag + " one byte appended", Arrays.copyOf(base, base.length + 1), Reader.NPY, base.length + 1);
            add(tag + " 4 KiB appended", Arrays.copyOf(base, base.length + 4096), Reader.NPY, base.length + 4096);
            for (int v : new int[] {0, 4, 255}) {
                byte[] m = base.clone();
                m[6] = (byte) v;
                add(tag + " version " + v, m, Reader.NPY, base.length);
            }
            byte[] magic = base.clone();
            magic[1] = 'n';
            add(tag + " bad magic", magic, Reader.NPY, base.length);
            lengthFieldCases(tag, base);
        }
        headerTextCases();
    }

    /** The header length field set to lies (for each format version's field width). */
    private void lengthFieldCases(String tag, byte[] base) {
        int major = base[6] & 0xff;
        long real = major == 1 ? ByteBuffer.wrap(base, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff
                : ByteBuffer.wrap(base, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        long[] lies = major == 1 ? new long[] {0, 1, real - 1, real + 1, 10_001, 0xffff}
                : new long[] {0, real - 1, real + 1, 1L << 20, 0xffffffffL};
        for (long lie : lies) {
            byte[] m = base.clone();
            ByteBuffer bb = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
            if (major == 1) {
                bb.putShort(8, (short) lie);
            } else {
                bb.putInt(8, (int) lie);
            }
            add(tag + " header length " + lie, m, Reader.NPY, base.length);
        }
    }

    /** Header dictionaries NumPy would not write, or would write for arrays ntk4j does not read. */
    private void headerTextCases() {
        byte[] d12f4 = data(12, 4, ByteOrder.LITTLE_ENDIAN);
        byte[] d12f8 = data(12, 8, ByteOrder.LITTLE_ENDIAN);
        String[] shapes = {"(20000, 20000)", "(2147483647,)", "(2147483648,)", "(4294967296, 1)", "(-1, 4)", "(3.0, 4)",
            "('3', 4)", "[3, 4]", "(12)", "()", "((3, 4),)", "(99999999999999999999,)", "(3, 4, 0)", "(1, 12)",
            "(6, 2)", "(3, 4, 1, 1, 1)", "(3, 4", "(3,, 4)", "(3 4)", "(True, 4)", "(None,)", "(0x3, 4)", "(3L, 4L)",
            "(46341, 46341)", "(65536, 32768)"};
        for (String s : shapes) {
            add("shape " + s, npy(1, dict("<f4", false, s), d12f4), Reader.NPY, 0);
        }
        String[] descrs = {"'<i8'", "'|O'", "'<f2'", "'<c8'", "'<U3'", "[('a', '<f4')]", "'f4'", "''", "'<f4 '",
            "'>f4'", "'|f4'", "'<f16'", "None", "4", "{'shape': (12,)}", "\"<f4\""};
        for (String d : descrs) {
            add("descr " + d, npy(1, "{'descr': " + d + ", 'fortran_order': False, 'shape': (3, 4), }", d12f4),
                    Reader.NPY, 0);
        }
        String[] orders = {"True", "'False'", "0", "None", "false", "(False,)"};
        for (String o : orders) {
            add("fortran_order " + o, npy(1, "{'descr': '<f4', 'fortran_order': " + o + ", 'shape': (3, 4), }", d12f4),
                    Reader.NPY, 0);
        }
        String[] dicts = {
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), 'extra': 1, }",
            "{'descr': '<f4', 'fortran_order': False, 'meta': {'shape': (1,)}, 'shape': (3, 4), }",
            "{'meta': {'shape': (20000, 20000)}, 'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}",
            "{'descr': '<f4', 'fortran_order': False, }",
            "{'descr': '<f4', 'shape': (3, 4), }",
            "{'fortran_order': False, 'shape': (3, 4), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), 'shape': (20000, 20000), }",
            "{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)} junk",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}}",
            "['descr', '<f4', 'fortran_order', False, 'shape', (3, 4)]",
            "{'descr': '<f4' 'fortran_order': False, 'shape': (3, 4)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4),",
            "{'descr: '<f4', 'fortran_order': False, 'shape': (3, 4)}",
            "{descr: '<f4', fortran_order: False, shape: (3, 4)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(".repeat(500) + ")".repeat(500) + "}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': " + "[".repeat(3000) + "]".repeat(3000) + "}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), '" + "x".repeat(9000) + "': 1}",
            "",
            "{}",
            "\u00e9{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}",
            "{'descr': '<\\f4', 'fortran_order': False, 'shape': (3, 4)}",
            "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3, 4)}",
            "{'descr':'<f4','fortran_order':False,'shape':(3,4)}",
        };
        for (String d : dicts) {
            add("dict " + abbreviate(d), npy(1, d, d12f4), Reader.NPY, 0);
        }
        add("f8 header over f4 data", npy(1, dict("<f8", false, "(3, 4)"), d12f4), Reader.NPY, 0);
        add("f4 header over f8 data", npy(1, dict("<f4", false, "(3, 4)"), d12f8), Reader.NPY, 0);
        add("v3 header not UTF-8", npyRaw(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}"
                .getBytes(StandardCharsets.ISO_8859_1), new byte[] {(byte) 0xff, (byte) 0xfe}, d12f4), Reader.NPY, 0);
        add("NUL in header", npyRaw(1, "{'descr': '<f4',\0 'fortran_order': False, 'shape': (3, 4)}"
                .getBytes(StandardCharsets.ISO_8859_1), new byte[0], d12f4), Reader.NPY, 0);
        add("640 bytes declaring (20000, 20000)", Arrays.copyOf(npy(1, dict("<f8", false, "(20000, 20000)"),
                new byte[512]), 640), Reader.NPY, 0);
    }

    // ---------------------------------------------------------------- .npz

    private void npzCases() {
        Architecture arch = Architecture.parseWidths("3,5,2").sigmaB(0.5).build();
        byte[] saved = saved(Parameters.init(arch, 7));
        Architecture nb = Architecture.parseWidths("4,6,3,2").noBias().build();
        byte[] savedNoBias = saved(Parameters.init(nb, 8));
        Map<String, Tensor> layers = new LinkedHashMap<>();
        layers.put("W0", new Tensor(new int[] {5, 3}, gaussians(15)));
        layers.put("b0", new Tensor(new int[] {5}, gaussians(5)));
        layers.put("W1", new Tensor(new int[] {2, 5}, gaussians(10)).toPrecision(Precision.FP32));
        layers.put("b1", new Tensor(new int[] {2}, gaussians(2)).toPrecision(Precision.FP32));
        byte[] stored = zip(layers, Map.of(), false);
        Map<String, Tensor> big = new LinkedHashMap<>();
        big.put("W0", new Tensor(new int[] {512, 512}, gaussians(512 * 512)).toPrecision(Precision.FP32));
        big.put("b0", new Tensor(new int[] {512}, gaussians(512)).toPrecision(Precision.FP32));
        big.put("W1", new Tensor(new int[] {1, 512}, gaussians(512)).toPrecision(Precision.FP32));
        big.put("b1", new Tensor(new int[] {1}, gaussians(1)).toPrecision(Precision.FP32));
        byte[] largeZip = zip(big, Map.of(), true);
        List<byte[]> bases = List.of(saved, savedNoBias, stored, largeZip, numpyResource());
        for (int b = 0; b < bases.size(); b++) {
            byte[] base = bases.get(b);
            long honest = Math.max(base.length, uncompressed(base));
            String tag = "npz" + b;
            both(tag + " valid", base, honest);
            boolean large = base.length > 1 << 16; // fewer of the slow ones: the large base is there to measure ratios
            for (int i = 0; i < (large ? 4 : 16); i++) {
                int cut = rng.nextInt(base.length);
                both(tag + " cut at " + cut, Arrays.copyOf(base, cut), honest);
            }
            for (int i = 0; i < (large ? 6 : 24); i++) {
                byte[] m = base.clone();
                int pos = rng.nextInt(m.length);
                m[pos] ^= (byte) (1 << rng.nextInt(8));
                both(tag + " bit flip at " + pos, m, honest);
            }
            directoryCases(tag, base, honest, large ? 1 : Integer.MAX_VALUE);
        }
        semanticCases(arch);
        bombCases();
    }

    /** Lies in the central directory and local headers of every member. */
    private void directoryCases(String tag, byte[] base, long honest, int maxMembers) {
        int eocd = lastIndexOf(base, 0x06054b50);
        ByteBuffer z = ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN);
        int entries = Math.min(maxMembers, z.getShort(eocd + 10) & 0xffff);
        int cen = z.getInt(eocd + 16);
        for (int e = 0; e < entries; e++) {
            int loc = z.getInt(cen + 42);
            int csize = z.getInt(cen + 20);
            int usize = z.getInt(cen + 24);
            int[][] edits = {
                {cen + 16, z.getInt(cen + 16) ^ 1}, // CRC
                {cen + 20, csize * 2}, {cen + 20, csize / 2}, {cen + 20, 0}, {cen + 20, -1},
                {cen + 24, usize + 1}, {cen + 24, usize - 1}, {cen + 24, usize * 1000}, {cen + 24, 0x7ffffffe},
                {cen + 24, 0},
                {cen + 42, loc + 1}, {cen + 42, 0x7fffffff},
                {loc + 18, 0x7fffffff}, {loc + 22, 0x7fffffff}, {loc + 14, 0x12345678},
            };
            for (int[] ed : edits) {
                byte[] m = base.clone();
                ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(ed[0], ed[1]);
                both(tag + " member " + e + " field @" + ed[0] + " = " + ed[1], m, honest);
            }
            for (int method : new int[] {0, 8, 12, 99}) {
                byte[] m = base.clone();
                ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putShort(cen + 10, (short) method)
                        .putShort(loc + 8, (short) method);
                both(tag + " member " + e + " method " + method, m, honest);
            }
            int nameLen = z.getShort(cen + 28) & 0xffff;
            cen += 46 + nameLen + (z.getShort(cen + 30) & 0xffff) + (z.getShort(cen + 32) & 0xffff);
        }
        int[][] eocdEdits = {{eocd + 10, 2, 0}, {eocd + 10, 2, 0xffff}, {eocd + 12, 4, 0x7fffffff}, {eocd + 16, 4, 0},
            {eocd + 16, 4, 0x7fffffff}, {eocd + 20, 2, 0xffff}};
        for (int[] ed : eocdEdits) {
            byte[] m = base.clone();
            ByteBuffer bb = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
            if (ed[1] == 2) {
                bb.putShort(ed[0], (short) ed[2]);
            } else {
                bb.putInt(ed[0], ed[2]);
            }
            both(tag + " end record @" + ed[0] + " = " + ed[2], m, honest);
        }
    }

    /** Well-formed archives whose contents are wrong for parameters. */
    private void semanticCases(Architecture arch) {
        Tensor w0 = new Tensor(new int[] {5, 3}, gaussians(15));
        Tensor w1 = new Tensor(new int[] {2, 5}, gaussians(10));
        Tensor w2 = new Tensor(new int[] {2, 2}, gaussians(4));
        Tensor b0 = new Tensor(new int[] {5}, gaussians(5));
        Tensor b1 = new Tensor(new int[] {2}, gaussians(2));
        semantic("gap W0 W1 W3", Map.of("W0", w0, "W1", w1, "W3", w2));
        semantic("no W0", Map.of("W1", w1, "b1", b1));
        semantic("b2 without W2", ordered("W0", w0, "b0", b0, "W1", w1, "b1", b1, "b2", b1));
        semantic("b1 missing", ordered("W0", w0, "b0", b0, "W1", w1));
        semantic("W01", ordered("W0", w0, "W01", w1));
        semantic("W0 1-D", ordered("W0", b0, "W1", w1));
        semantic("W1 wrong n_in", ordered("W0", w0, "W1", w2));
        semantic("b0 2-D", ordered("W0", w0, "b0", new Tensor(new int[] {5, 1}, gaussians(5)), "W1", w1, "b1", b1));
        semantic("b0 wrong length", ordered("W0", w0, "b0", b1, "W1", w1, "b1", b1));
        semantic("zero width", ordered("W0", new Tensor(new int[] {0, 3}, new double[0]),
                "W1", new Tensor(new int[] {2, 0}, new double[0])));
        semantic("unused junk with a false shape", ordered("W0", w0, "W1", w1), Map.of("junk.npy",
                Arrays.copyOf(npy(1, dict("<f8", false, "(20000, 20000)"), new byte[64]), 192)));
        semantic("W0 not a .npy", ordered("W1", w1), Map.of("W0.npy", "hello".getBytes(StandardCharsets.UTF_8)));
        semantic("W0 without the .npy suffix", ordered("W1", w1), Map.of("W0", written(w0)));
        String good = "{\"format\": \"ntk4j.parameters\", \"version\": 1, \"activation\": \"relu\", \"parameterization\":"
                + " \"ntk\", \"sigma_w\": 1.0, \"sigma_b\": 0.5, \"bias\": true}";
        String[] descriptions = {good, good.replace("1.0", "NaN"), good.replace("\"relu\"", "\"swish\""),
            good.replace("true", "false"), good.replace("\"version\": 1", "\"version\": 2"),
            good.replace("ntk4j.parameters", "other"), good.replace("0.5", "-1"), good.replace("}", ""),
            good.replace("{", "["), good + good, "{}", "", "{\"a\": \"\\u0041\"}", good.replace("1.0", "1e999"),
            good.replace(", \"sigma_w\": 1.0", ""), "x".repeat(5000), good.replace("\"relu\"", "relu")};
        for (int i = 0; i < descriptions.length; i++) {
            semantic("architecture.json " + i, ordered("W0", w0, "b0", b0, "W1", w1, "b1", b1),
                    Map.of(ParametersIO.ARCHITECTURE, descriptions[i].getBytes(StandardCharsets.UTF_8)));
        }
        byte[] dup = zip(ordered("W0", w0, "W9", w1), Map.of(), true);
        replaceAll(dup, "W9.npy", "W0.npy");
        both("member W0 twice", dup, dup.length);
        byte[] traversal = zip(ordered("W0", w0, "W1", w1), Map.of(), true);
        replaceAll(traversal, "W1.npy", "../1.n");
        both("a member named ../1.n", traversal, traversal.length);
        both("not a zip at all", "PK\3\4 hello".getBytes(StandardCharsets.ISO_8859_1), 11);
        both("empty file", new byte[0], 0);
        both("empty archive", zip(Map.of(), Map.of(), true), 22);
        both("a .npy named .npz", written(w0), 200);
        both("architecture-only archive", zip(Map.of(), Map.of(ParametersIO.ARCHITECTURE, good.getBytes(
                StandardCharsets.UTF_8)), true), 300);
    }

    /**
     * Deflate bombs: members of zeros that expand a thousandfold. One declares a shape its data matches (refused
     * before it is inflated, by its expansion), one sits unused beside valid parameters, one's header lies.
     */
    private void bombCases() {
        long bytes = 80L << 20; // above the expansion check's floor
        byte[] header = npyHeader(1, dict("<f4", false, "(" + bytes / 4 + ",)"));
        byte[] bomb = deflatedMember("W0.npy", header, bytes);
        cases.add(new Case("bomb W0 of 80 MiB zeros", bomb, Reader.NPZ, bomb.length));
        cases.add(new Case("bomb W0 of 80 MiB zeros", bomb, Reader.PARAMETERS, bomb.length));
        byte[] small = deflatedMember("W0.npy", npyHeader(1, dict("<f4", false, "(1048576,)")), 4L << 20);
        cases.add(new Case("4 MiB of zeros as W0 (honest, not a bomb)", small, Reader.PARAMETERS, 4L << 20));
        byte[] liar = deflatedMember("W0.npy", npyHeader(1, dict("<f4", false, "(400000000,)")), 1L << 20);
        both("deflated member whose shape claims 1.6 GB", liar, 1L << 20);
    }

    // ---------------------------------------------------------------- building blocks

    private void add(String name, byte[] bytes, Reader reader, long honest) {
        cases.add(new Case(name, bytes, reader, Math.max(honest, bytes.length)));
    }

    /** An archive case for both archive readers. */
    private void both(String name, byte[] bytes, long honest) {
        add(name, bytes, Reader.NPZ, honest);
        add(name, bytes, Reader.PARAMETERS, honest);
    }

    private void semantic(String name, Map<String, Tensor> arrays) {
        semantic(name, arrays, Map.of());
    }

    private void semantic(String name, Map<String, Tensor> arrays, Map<String, byte[]> raw) {
        byte[] z = zip(arrays, raw, rng.nextBoolean());
        both(name, z, Math.max(z.length, uncompressed(z)));
    }

    private static Map<String, Tensor> ordered(Object... kv) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Tensor) kv[i + 1]);
        }
        return m;
    }

    static String dict(String descr, boolean fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
    }

    /** A .npy with this header text (padded and terminated as NumPy does) and data. */
    static byte[] npy(int major, String dict, byte[] data) {
        byte[] h = npyHeader(major, dict);
        byte[] out = Arrays.copyOf(h, h.length + data.length);
        System.arraycopy(data, 0, out, h.length, data.length);
        return out;
    }

    static byte[] npyHeader(int major, String dict) {
        byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = major == 1 ? 10 : 12;
        int total = ((prefix + text.length + 1 + 63) / 64) * 64;
        byte[] padded = Arrays.copyOf(text, total - prefix);
        Arrays.fill(padded, text.length, padded.length - 1, (byte) ' ');
        padded[padded.length - 1] = '\n';
        return npyRaw(major, padded, new byte[0], new byte[0]);
    }

    /** A .npy whose header bytes are given exactly ({@code before} is prepended to them). */
    private static byte[] npyRaw(int major, byte[] header, byte[] before, byte[] data) {
        int prefix = major == 1 ? 10 : 12;
        int len = before.length + header.length;
        ByteBuffer b = ByteBuffer.allocate(prefix + len + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) len);
        } else {
            b.putInt(len);
        }
        return b.put(before).put(header).put(data).array();
    }

    private byte[] data(int count, int width, ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(count * width).order(order);
        for (int i = 0; i < count; i++) {
            if (width == 4) {
                b.putFloat((float) rng.nextGaussian());
            } else {
                b.putDouble(rng.nextGaussian());
            }
        }
        return b.array();
    }

    private double[] gaussians(int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) rng.nextGaussian();
        }
        return d;
    }

    static byte[] written(Tensor a) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Npy.write(out, a);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] saved(Parameters p) {
        try {
            Path f = Files.createTempFile("hostile", ".npz");
            try {
                ParametersIO.save(p, f);
                return Files.readAllBytes(f);
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] numpyResource() {
        try {
            // by stream: other modules' tests use this class from core's test jar, where a resource is no file
            try (var in = HostileFiles.class.getResourceAsStream("/npy/params_compressed.npz")) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An archive of arrays (as key.npy) and raw members, deflated or stored. */
    static byte[] zip(Map<String, Tensor> arrays, Map<String, byte[]> raw, boolean deflate) {
        Map<String, byte[]> members = new LinkedHashMap<>();
        arrays.forEach((k, v) -> members.put(k + ".npy", written(v)));
        members.putAll(raw);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : members.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    ze.setMethod(ZipEntry.STORED);
                    ze.setSize(e.getValue().length);
                    ze.setCompressedSize(e.getValue().length);
                    ze.setCrc(crc.getValue());
                }
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A one-member archive: {@code header} followed by zeros up to {@code dataBytes}, deflated in a stream. */
    private static byte[] deflatedMember(String name, byte[] header, long dataBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.setLevel(Deflater.BEST_COMPRESSION);
            z.putNextEntry(new ZipEntry(name));
            z.write(header);
            byte[] zeros = new byte[1 << 20];
            for (long done = 0; done < dataBytes; done += zeros.length) {
                z.write(zeros, 0, (int) Math.min(zeros.length, dataBytes - done));
            }
            z.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The members' uncompressed sizes as the central directory states them (of an intact archive). */
    private static long uncompressed(byte[] zip) {
        int eocd = lastIndexOf(zip, 0x06054b50);
        if (eocd < 0) {
            return 0;
        }
        ByteBuffer z = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int entries = z.getShort(eocd + 10) & 0xffff;
        int cen = z.getInt(eocd + 16);
        long total = 0;
        for (int e = 0; e < entries; e++) {
            total += z.getInt(cen + 24) & 0xffffffffL;
            cen += 46 + (z.getShort(cen + 28) & 0xffff) + (z.getShort(cen + 30) & 0xffff) + (z.getShort(cen + 32) & 0xffff);
        }
        return total;
    }

    private static int lastIndexOf(byte[] b, int signature) {
        for (int i = b.length - 4; i >= 0; i--) {
            if ((b[i] & 0xff | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24) == signature) {
                return i;
            }
        }
        return -1;
    }

    private static void replaceAll(byte[] b, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.ISO_8859_1);
        byte[] t = to.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i + f.length <= b.length; i++) {
            if (Arrays.equals(b, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, b, i, t.length);
            }
        }
    }

    private static int headerEnd(byte[] npy) {
        int major = npy[6] & 0xff;
        ByteBuffer bb = ByteBuffer.wrap(npy).order(ByteOrder.LITTLE_ENDIAN);
        return major == 1 ? 10 + (bb.getShort(8) & 0xffff) : 12 + bb.getInt(8);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
