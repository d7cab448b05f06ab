package org.ntk4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.ntk4j.Tensor;
import org.ntk4j.internal.io.Descriptors;
import org.ntk4j.internal.io.OutputFile;

/**
 * NumPy {@code .npy} files (format versions 1.0–3.0): float32 and float64 in C order, either byte order on read;
 * written little-endian, version 1.0 (2.0 when the header needs it). Anything else is refused with a
 * {@link NpyFormatException} that names the file and what was found.
 *
 * <p>Reading trusts nothing before it is checked: the header is parsed as the literal it is
 * ({@link NpyHeader}), and the data its shape declares must be what the file holds, byte for byte, before the
 * array is allocated — a 640-byte file declaring (20000, 20000) costs nothing. Where the length is not known
 * (a pipe) the array grows only as data arrives. Arrays come and go as {@link Tensor}s of the file's own type: a
 * float32 file costs its size in memory, not twice that; {@link #map} uses a file in place, at any size.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy's own limit on header length ({@code np.load}'s {@code max_header_size}); real headers are ~100 bytes. */
    static final int MAX_HEADER = 10_000;
    private static final int CHUNK = 1 << 16;

    private Npy() {
    }

    /**
     * Reads a file. Failures name the file: a missing one is a {@link java.nio.file.NoSuchFileException}, one that
     * is not a readable array a {@link NpyFormatException}, other I/O errors a
     * {@link java.nio.file.FileSystemException}.
     *
     * @param file the .npy file
     * @return the array, its values in a new array of the file's type (float32 or float64)
     * @throws NpyFormatException when the file is not a .npy array ntk4j reads
     * @throws java.io.IOException when the file cannot be read
     */
    public static Tensor read(Path file) throws IOException {
        String name = file.toString();
        requireReadableFile(file);
        if (Files.isDirectory(file)) {
            throw new FileSystemException(name, null, "is a directory, not a .npy file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // /proc and device files report no length; for them the array grows as data arrives.
            long length = Files.isRegularFile(file) && ch.size() > 0 ? ch.size() : -1;
            return read(Channels.newInputStream(ch), name, length);
        } catch (IOException e) {
            throw OutputFile.named(file, e);
        }
    }

    /**
     * Refuses an input that is a FIFO (named pipe) or a socket, before opening it: opening a FIFO waits for a
     * writer, possibly forever. A descriptor this process already has open ({@code /dev/stdin}, {@code /dev/fd/N})
     * is read as it is; a missing file is left for the read to report.
     *
     * @param file the input
     * @throws java.nio.file.FileSystemException naming the file, when it is a FIFO or a socket
     */
    public static void requireReadableFile(Path file) throws IOException {
        if (Descriptors.number(file) >= 0) {
            return;
        }
        int type;
        try {
            type = (Integer) Files.getAttribute(file, "unix:mode") & 0170000;
        } catch (UnsupportedOperationException | IllegalArgumentException | IOException e) {
            return; // not a POSIX file system, or not there: the read says what is wrong
        }
        if (type == 0010000 || type == 0140000) {
            throw new FileSystemException(file.toString(), null, "is a " + (type == 0010000 ? "FIFO (named pipe)"
                    : "socket") + ", not a file: reading it would wait for a writer; give a file");
        }
    }

    /**
     * Reads one array from a stream of unknown length; {@code name} is used in error messages.
     *
     * @param stream the stream, at the magic; read up to the array's end, not closed
     * @param name   the source's name for messages
     * @return the array, its values in a new array of the file's type (float32 or float64)
     * @throws NpyFormatException when the bytes are not a .npy array ntk4j reads
     * @throws java.io.IOException when the stream cannot be read
     */
    public static Tensor read(InputStream stream, String name) throws IOException {
        return read(stream, name, -1);
    }

    /**
     * Where an array's values lie in a .npy file: its shape, element type and byte order, and the offset of the first
     * value (C order follows). For readers that fetch only some rows, e.g. by seeking in a distributed file system.
     *
     * @param shape      the array's shape; copied
     * @param float32    float32 values, else float64
     * @param order      the values' byte order
     * @param dataOffset the file offset of the first value
     */
    public record Layout(int[] shape, boolean float32, ByteOrder order, long dataOffset) {
        /**
         * A layout; the shape is copied.
         *
         * @param shape      the array's shape
         * @param float32    float32 values, else float64
         * @param order      the values' byte order
         * @param dataOffset the file offset of the first value
         */
        public Layout {
            shape = shape.clone();
        }

        /**
         * The array's shape.
         *
         * @return a copy of the shape
         */
        @Override
        public int[] shape() {
            return shape.clone();
        }

        /**
         * Bytes per value: 4 or 8.
         *
         * @return the width of one value in bytes
         */
        public int width() {
            return float32 ? 4 : 8;
        }
    }

    /**
     * Reads and checks the header at the start of {@code stream}, leaving the stream at the first value;
     * {@code name} is used in messages.
     *
     * @param stream the file's bytes from its start
     * @param name   the file's name, for messages
     * @return where the values lie
     * @throws IOException when reading fails or the header is not a valid .npy header
     */
    public static Layout readLayout(InputStream stream, String name) throws IOException {
        Start st = readStart(stream, name, -1);
        return new Layout(st.header().shape(), st.header().float32(), st.header().order(), st.dataStart());
    }

    /** A parsed header and the offset of the data after it. */
    private record Start(NpyHeader header, long dataStart) {
    }

    private static Start readStart(InputStream stream, String name, long length) throws IOException {
        InputStream in = stream;
        byte[] prefix = new byte[8];
        int got = in.readNBytes(prefix, 0, 8);
        if (got == 0) {
            throw new NpyFormatException(name, "is empty, not a .npy file");
        }
        for (int i = 0; i < Math.min(got, MAGIC.length); i++) {
            if (prefix[i] != MAGIC[i]) {
                throw new NpyFormatException(name, "not a .npy file (no NumPy magic at its start)");
            }
        }
        if (got < 8) {
            throw new NpyFormatException(name, "header cut short (the file ends after " + got + " bytes)");
        }
        int major = prefix[6] & 0xff;
        int minor = prefix[7] & 0xff;
        int lengthBytes = switch (major) {
            case 1 -> 2;
            case 2, 3 -> 4;
            default -> throw new NpyFormatException(name, "unsupported .npy format version " + major + "." + minor);
        };
        byte[] lb = new byte[lengthBytes];
        if (in.readNBytes(lb, 0, lengthBytes) < lengthBytes) {
            throw new NpyFormatException(name, "header cut short (the file ends inside the header length)");
        }
        long headerLength = 0;
        for (int i = lengthBytes - 1; i >= 0; i--) {
            headerLength = (headerLength << 8) | (lb[i] & 0xff);
        }
        if (headerLength > MAX_HEADER) {
            throw new NpyFormatException(name, "header length " + headerLength + " is more than NumPy allows ("
                    + MAX_HEADER + "); not a .npy file ntk4j can read");
        }
        long dataStart = 8 + lengthBytes + headerLength;
        if (length >= 0 && dataStart > length) {
            throw new NpyFormatException(name, "header cut short (it declares " + headerLength + " bytes, the file has "
                    + Math.max(0, length - 8 - lengthBytes) + ")");
        }
        byte[] hb = new byte[(int) headerLength];
        int hgot = in.readNBytes(hb, 0, hb.length);
        if (hgot < hb.length) {
            throw new NpyFormatException(name, "header cut short (it declares " + headerLength + " bytes, the file has "
                    + hgot + ")");
        }
        return new Start(NpyHeader.parse(decodeHeader(hb, major, name), name), dataStart);
    }

    /**
     * Reads one array from a stream that holds exactly {@code length} bytes (negative: unknown), checking the
     * header's claims against that length before allocating anything. The values keep the file's type: a float32
     * file gives float32 storage, never a widened copy.
     */
    static Tensor read(InputStream stream, String name, long length) throws IOException {
        InputStream in = stream;
        Start st = readStart(in, name, length);
        NpyHeader h = st.header();
        long dataStart = st.dataStart();
        int count = h.arrayCount(name);
        long dataBytes = (long) count * h.width();
        if (length >= 0) {
            checkDataLength(h, length - dataStart, name);
        }
        // unknown length: the arrays grow only as data arrives, so a false shape costs no more than the data sent
        Values values = new Values(h.float32(), length >= 0 ? count : Math.min(count, 4096));
        int width = h.width();
        byte[] chunk = new byte[(int) Math.max(width, Math.min(CHUNK, dataBytes) / width * width)];
        MemorySegment chunkSegment = MemorySegment.ofArray(chunk);
        ValueLayout layout = fileLayout(h.float32(), h.order());
        int done = 0;
        while (done < count) {
            int n = Math.min(count - done, chunk.length / width);
            int bytes = in.readNBytes(chunk, 0, n * width);
            if (bytes < n * width) {
                throw new NpyFormatException(name, "file ends after " + (done + bytes / width) + " of " + count + " values");
            }
            values.ensure(Math.min(count, Math.max(done + n, 2L * values.length())), done + n);
            MemorySegment.copy(chunkSegment, layout, 0, values.array(), done, n);
            done += n;
        }
        if (length < 0 && in.read() >= 0) {
            throw new NpyFormatException(name, "has more bytes after the data of its " + h + " array");
        }
        return values.tensor(h.shape());
    }

    /** The array being filled, float[] or double[] by the file's type, grown on demand. */
    private static final class Values {
        private final boolean float32;
        private Object array;

        Values(boolean float32, int length) {
            this.float32 = float32;
            this.array = float32 ? new float[length] : new double[length];
        }

        int length() {
            return float32 ? ((float[]) array).length : ((double[]) array).length;
        }

        Object array() {
            return array;
        }

        /** Grows the array to {@code target} values when it holds fewer than {@code needed}. */
        void ensure(long target, int needed) {
            if (needed > length()) {
                array = float32 ? Arrays.copyOf((float[]) array, (int) target) : Arrays.copyOf((double[]) array, (int) target);
            }
        }

        Tensor tensor(int[] shape) {
            return float32 ? new Tensor(shape, (float[]) array) : new Tensor(shape, (double[]) array);
        }
    }

    private static void checkDataLength(NpyHeader h, long have, String name) throws NpyFormatException {
        long dataBytes = h.count() * h.width();
        if (have != dataBytes) {
            throw new NpyFormatException(name, have < dataBytes
                    ? "file ends early: " + h + " needs " + dataBytes + " bytes of data, the file has " + have
                    : "has " + (have - dataBytes) + " bytes after the data of its " + h + " array");
        }
    }

    /** The layout of one value in the file (unaligned: a mapped file's data need not start on an 8-byte boundary). */
    private static ValueLayout fileLayout(boolean float32, ByteOrder order) {
        return (float32 ? ValueLayout.JAVA_FLOAT_UNALIGNED : ValueLayout.JAVA_DOUBLE_UNALIGNED).withOrder(order);
    }

    /**
     * Maps a file read-only and returns its array over the mapping, without copying: any size (more than 2³¹
     * values too), the file's own type and byte order. The header and the file's length are checked as by
     * {@link #read(Path)} before anything is mapped. The mapping is released when the tensor (and every view of it)
     * is no longer reachable; {@link #map(Path, Arena)} releases it when the caller closes an arena.
     *
     * @param file the .npy file
     * @return a read-only tensor over the mapped file
     * @throws NpyFormatException when the file is not a .npy array ntk4j reads
     * @throws java.io.IOException when the file cannot be read or mapped
     */
    public static Tensor map(Path file) throws IOException {
        return map(file, Arena.ofAuto());
    }

    /**
     * Maps a file read-only into an arena, as {@link #map(Path)} does.
     *
     * @param file  the .npy file
     * @param arena the arena that owns the mapping: the tensor is usable until it is closed
     * @return a read-only tensor over the mapped file
     * @throws NpyFormatException when the file is not a .npy array ntk4j reads
     * @throws java.io.IOException when the file cannot be read or mapped
     */
    public static Tensor map(Path file, Arena arena) throws IOException {
        String name = file.toString();
        if (!Files.isRegularFile(file)) {
            throw Files.exists(file) ? new FileSystemException(name, null, "is not a regular file; only a file can be mapped")
                    : new java.nio.file.NoSuchFileException(name);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long length = ch.size();
            Start st = readStart(Channels.newInputStream(ch), name, length);
            NpyHeader h = st.header();
            checkDataLength(h, length - st.dataStart(), name);
            MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, st.dataStart(), length - st.dataStart(), arena);
            return Tensor.wrap(data, h.float32(), h.order(), h.shape());
        } catch (IOException e) {
            throw OutputFile.named(file, e);
        }
    }

    private static String decodeHeader(byte[] hb, int major, String name) throws NpyFormatException {
        if (major < 3) {
            return new String(hb, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(hb)).toString();
        } catch (CharacterCodingException e) {
            throw new NpyFormatException(name, "header is not valid UTF-8");
        }
    }

    /**
     * Writes an array in its own type (float32 storage as {@code <f4}, float64 as {@code <f8};
     * {@link Tensor#toPrecision} converts first): completely, or not at all.
     *
     * @param file  the file, replaced only once it is complete
     * @param array the array; read, not kept
     * @throws java.io.IOException when the file cannot be written (nothing is left behind)
     */
    public static void write(Path file, Tensor array) throws IOException {
        OutputFile.write(file, out -> write(out, array));
    }

    /**
     * Writes one array to a stream, in its own type.
     * Little-endian, C order; the stream is not closed.
     *
     * @param out   the stream
     * @param array the array; read, not kept
     * @throws java.io.IOException when the stream cannot be written
     */
    public static void write(OutputStream out, Tensor array) throws IOException {
        boolean f32 = array.float32();
        out.write(header(array.shape(), f32));
        int width = f32 ? 4 : 8;
        byte[] chunk = new byte[CHUNK];
        MemorySegment chunkSegment = MemorySegment.ofArray(chunk);
        ValueLayout source = fileLayout(f32, array.order());
        ValueLayout target = fileLayout(f32, ByteOrder.LITTLE_ENDIAN);
        MemorySegment values = array.segment();
        long total = array.size();
        for (long done = 0; done < total; ) {
            int n = (int) Math.min(total - done, CHUNK / width);
            MemorySegment.copy(values, source, done * width, chunkSegment, target, 0, n);
            out.write(chunk, 0, n * width);
            done += n;
        }
    }

    /**
     * The complete header (magic, version, length, dict, padding) of a little-endian C-order array of this shape;
     * the data starts right after it. For writers that fill the data in place (memory-mapped, in tiles).
     *
     * @param shape   the array's shape
     * @param float32 whether the values are {@code <f4} (else {@code <f8})
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
}
