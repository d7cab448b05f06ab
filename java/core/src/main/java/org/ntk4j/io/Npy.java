package org.ntk4j.io;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format versions 1.0–3.0): float32 and float64 in C order, either byte order on read;
 * written little-endian, version 1.0 (2.0 when the header needs it). Anything else is refused with a
 * {@link NpyFormatException} that names what was found.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /**
     * Reads a file; a missing file gives {@link java.nio.file.NoSuchFileException} naming the path.
     *
     * @param file the .npy file
     * @return the array, values widened to double in a new array
     * @throws NpyFormatException when the file is not a little- or big-endian float32/float64 .npy array
     * @throws java.io.IOException when the file cannot be read
     */
    public static NpyArray read(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads one array from a stream; {@code name} is used in error messages.
     *
     * @param stream the stream, positioned at the magic; read up to the array's end, not closed
     * @param name   the source's name for messages
     * @return the array, values in a new array
     * @throws NpyFormatException when the bytes are not a float32/float64 .npy array
     * @throws java.io.IOException when the stream cannot be read
     */
    public static NpyArray read(InputStream stream, String name) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        byte[] magic = new byte[6];
        try {
            in.readFully(magic);
        } catch (EOFException e) {
            throw new NpyFormatException(name + ": not a .npy file (too short)");
        }
        for (int i = 0; i < 6; i++) {
            if (magic[i] != MAGIC[i]) {
                throw new NpyFormatException(name + ": not a .npy file (bad magic)");
            }
        }
        int major = in.readUnsignedByte();
        in.readUnsignedByte();
        long headerLen;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
        } else if (major == 2 || major == 3) {
            headerLen = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
        } else {
            throw new NpyFormatException(name + ": unsupported .npy format version " + major);
        }
        if (headerLen > 1 << 20) {
            throw new NpyFormatException(name + ": implausible .npy header length " + headerLen);
        }
        byte[] hb = new byte[(int) headerLen];
        in.readFully(hb);
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header h = parseHeader(header, name);
        double[] data = new double[checkedCount(h.shape, name)];
        int width = h.float32 ? 4 : 8;
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(h.order);
        int done = 0;
        byte[] chunk = buf.array();
        while (done < data.length) {
            int count = Math.min(data.length - done, chunk.length / width);
            try {
                in.readFully(chunk, 0, count * width);
            } catch (EOFException e) {
                throw new NpyFormatException(name + ": file ends after " + done + " of " + data.length + " values");
            }
            buf.clear();
            for (int i = 0; i < count; i++) {
                data[done + i] = h.float32 ? buf.getFloat() : buf.getDouble();
            }
            done += count;
        }
        return new NpyArray(h.shape, data, h.float32);
    }

    /**
     * Writes an array, as float32 or float64 per {@link NpyArray#float32()}.
     * Writes one array to a file (replacing it), little-endian, C order.
     *
     * @param file  the file
     * @param array the array; read, not kept
     * @throws java.io.IOException when the file cannot be read or written
     */
    public static void write(Path file, NpyArray array) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            write(out, array);
        }
    }

    /**
     * Writes one array to a stream.
     * Writes one array to a stream, little-endian, C order; the stream is not closed.
     *
     * @param out   the stream
     * @param array the array; read, not kept
     * @throws java.io.IOException when the stream cannot be written
     */
    public static void write(OutputStream out, NpyArray array) throws IOException {
        out.write(header(array.shape(), array.float32()));
        int width = array.float32() ? 4 : 8;
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        double[] d = array.data();
        for (int i = 0; i < d.length; i++) {
            if (buf.remaining() < width) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            if (array.float32()) {
                buf.putFloat((float) d[i]);
            } else {
                buf.putDouble(d[i]);
            }
        }
        out.write(buf.array(), 0, buf.position());
    }

    /**
     * The complete header (magic, version, length, dict, padding) of a little-endian C-order array of this shape;
     * the data starts right after it. For writers that fill the data in place (memory-mapped, in tiles).
     *
     * @param shape   the array's shape
     * @param float32 whether the values are stored as {@code <f4} (else {@code <f8})
     * @return the header bytes, a multiple of 64 long
     */
    public static byte[] header(int[] shape, boolean float32) {
        StringBuilder sb = new StringBuilder("{'descr': '").append(float32 ? "<f4" : "<f8")
                .append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            sb.append(shape[i]).append(shape.length == 1 ? "," : i + 1 < shape.length ? ", " : "");
        }
        sb.append("), }");
        boolean v2 = sb.length() + 12 > 65535;
        int prefix = v2 ? 12 : 10;
        int total = ((prefix + sb.length() + 1 + 63) / 64) * 64;
        while (prefix + sb.length() + 1 < total) {
            sb.append(' ');
        }
        sb.append('\n');
        byte[] dict = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(prefix + dict.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) (v2 ? 2 : 1)).put((byte) 0);
        if (v2) {
            b.putInt(dict.length);
        } else {
            b.putShort((short) dict.length);
        }
        b.put(dict);
        return b.array();
    }

    private record Header(int[] shape, boolean float32, ByteOrder order) {
    }

    private static Header parseHeader(String header, String name) throws NpyFormatException {
        Matcher d = DESCR.matcher(header);
        Matcher o = ORDER.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) {
            throw new NpyFormatException(name + ": malformed .npy header: " + header.trim());
        }
        String descr = d.group(1);
        boolean float32;
        ByteOrder order;
        switch (descr) {
            case "<f4", "=f4" -> { float32 = true; order = ByteOrder.LITTLE_ENDIAN; }
            case ">f4" -> { float32 = true; order = ByteOrder.BIG_ENDIAN; }
            case "<f8", "=f8" -> { float32 = false; order = ByteOrder.LITTLE_ENDIAN; }
            case ">f8" -> { float32 = false; order = ByteOrder.BIG_ENDIAN; }
            default -> throw new NpyFormatException(name + ": dtype '" + descr
                    + "' is not supported; convert to float32 or float64 (e.g. x.astype(np.float32))");
        }
        if (o.group(1).equals("True")) {
            throw new NpyFormatException(name + ": array is in Fortran order; save it in C order (np.ascontiguousarray)");
        }
        String dims = s.group(1).trim();
        int[] shape;
        if (dims.isEmpty()) {
            shape = new int[0];
        } else {
            String[] parts = dims.split(",");
            int count = 0;
            for (String p : parts) {
                if (!p.isBlank()) {
                    count++;
                }
            }
            shape = new int[count];
            int k = 0;
            for (String p : parts) {
                if (!p.isBlank()) {
                    try {
                        shape[k++] = Integer.parseInt(p.trim().replace("L", ""));
                    } catch (NumberFormatException e) {
                        throw new NpyFormatException(name + ": bad shape (" + dims + ")");
                    }
                }
            }
        }
        return new Header(shape, float32, order);
    }

    private static int checkedCount(int[] shape, String name) throws NpyFormatException {
        long n = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new NpyFormatException(name + ": negative dimension in shape");
            }
            n *= s;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new NpyFormatException(name + ": " + n + " values are more than one array holds");
        }
        return (int) n;
    }
}
