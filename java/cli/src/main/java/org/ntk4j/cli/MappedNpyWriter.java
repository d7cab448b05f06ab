package org.ntk4j.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.ntk4j.Tensor;
import org.ntk4j.internal.KernelArrays;
import org.ntk4j.internal.io.OutputFile;
import org.ntk4j.io.Npy;

/**
 * Writes a C-order little-endian .npy of a known shape in pieces, through a memory-mapped window that moves over
 * the file: at most one window (of a bounded size) is mapped at a time and it is unmapped deterministically when
 * it moves, so the process's footprint stays bounded however large the file is.
 *
 * <p>The file must have its full size reserved on disk already ({@link OutputFile#open(Path, long)} does that), so
 * that no page of the map is first backed by the file system while it is written: a full disk then fails when the
 * file is opened. Should a write through the map still fault (a file system that cannot reserve, a file truncated
 * meanwhile), the JVM's {@link InternalError} is turned into an I/O error naming the file.
 */
final class MappedNpyWriter implements AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final FileChannel channel;
    private final boolean float32;
    private final int width;
    private final long dataStart;
    private final long fileSize;
    private final long windowBytes;
    private Arena arena;
    private MemorySegment window;
    private long windowStart;

    private final OutputFile out;

    /** Bytes of the whole file (header and data) for this shape. */
    static long fileSize(int[] shape, boolean float32) {
        long count = 1;
        for (int s : shape) {
            count *= s;
        }
        return Npy.header(shape, float32).length + count * (float32 ? 4 : 8);
    }

    MappedNpyWriter(OutputFile out, int[] shape, boolean float32, long windowBytes) throws IOException {
        if (!out.isRegularFile()) {
            throw new IllegalArgumentException(out.target() + " is not a regular file; it cannot be memory-mapped");
        }
        this.out = out;
        this.float32 = float32;
        this.width = float32 ? 4 : 8;
        byte[] header = Npy.header(shape, float32);
        long count = 1;
        for (int s : shape) {
            count *= s;
        }
        this.dataStart = header.length;
        this.fileSize = dataStart + count * width;
        this.windowBytes = Math.max(4096, windowBytes);
        this.channel = out.channel();
        try {
            if (channel.size() < fileSize) {
                // not reserved by the caller: size it (sparse where the file system allows)
                channel.write(ByteBuffer.allocate(1), fileSize - 1);
            }
            channel.write(ByteBuffer.wrap(header), 0);
        } catch (IOException e) {
            throw out.failure(e);
        }
    }

    /**
     * Writes values[from, from+count) (flat indices) at flat element index {@code element} of the array: copied as
     * they are when the tile's storage type is the file's (a float32 tile goes to a float32 file without widening),
     * else each value rounded to float32 or widened to float64.
     */
    void write(long element, Tensor values, long from, int count) throws IOException {
        long pos = dataStart + element * width;
        long len = (long) count * width;
        if (element < 0 || pos + len > fileSize || from < 0 || from + count > values.size()) {
            throw new IllegalArgumentException("write of " + count + " values at " + element + " is outside the array");
        }
        MemorySegment w = windowFor(pos, len);
        long off = pos - windowStart;
        try {
            if (values.float32() == float32) {
                MemorySegment.copy(values.segment(), KernelArrays.elementLayout(values), from * width, w,
                        float32 ? F32 : F64, off, count);
            } else if (float32) {
                for (int i = 0; i < count; i++) {
                    w.set(F32, off + 4L * i, (float) values.at(from + i));
                }
            } else {
                for (int i = 0; i < count; i++) {
                    w.set(F64, off + 8L * i, values.at(from + i));
                }
            }
        } catch (InternalError e) {
            throw pageFault(out, e);
        }
    }

    /**
     * The I/O error to report for a fault on a mapped page (SIGBUS: the file system could not back it — full, or
     * the file shrank). The JVM raises it as an {@link InternalError}, sometimes only after the faulting store has
     * returned, so callers that loop over writes catch it too.
     */
    static IOException pageFault(OutputFile out, InternalError e) {
        return out.failure(new IOException("the file system could not store a page of the memory-mapped file"
                + " (no space left on device, or the file was truncated)", e));
    }

    private MemorySegment windowFor(long pos, long len) throws IOException {
        if (window != null && pos >= windowStart && pos + len <= windowStart + window.byteSize()) {
            return window;
        }
        unmap();
        long start = pos & ~4095L;
        long size = Math.min(fileSize - start, Math.max(windowBytes, pos + len - start));
        arena = Arena.ofConfined();
        try {
            window = channel.map(FileChannel.MapMode.READ_WRITE, start, size, arena);
        } catch (IOException e) {
            arena.close();
            arena = null;
            throw out.failure(e);
        }
        windowStart = start;
        return window;
    }

    private void unmap() {
        if (arena != null) {
            arena.close();
            arena = null;
            window = null;
        }
    }

    /** Unmaps the window; the file itself is the {@link OutputFile}'s to commit or discard. */
    @Override
    public void close() {
        unmap();
    }
}
