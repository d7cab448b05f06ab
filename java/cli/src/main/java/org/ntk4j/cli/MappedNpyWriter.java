package org.ntk4j.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.ntk4j.io.Npy;

/**
 * Writes a C-order little-endian .npy of a known shape in pieces, through a memory-mapped window that moves over
 * the file: at most one window (of a bounded size) is mapped at a time and it is unmapped deterministically when
 * it moves, so the process's footprint stays bounded however large the file is.
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
    private float[] floats = new float[0];

    MappedNpyWriter(Path file, int[] shape, boolean float32, long windowBytes) throws IOException {
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
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
        channel.write(ByteBuffer.wrap(header), 0);
        // Sized up front (sparse where the file system allows); every data byte is written exactly once later.
        if (fileSize > header.length) {
            channel.write(ByteBuffer.allocate(1), fileSize - 1);
        }
    }

    /** Writes values[from, from+count) at flat element index {@code element} of the array. */
    void write(long element, double[] values, int from, int count) throws IOException {
        long pos = dataStart + element * width;
        long len = (long) count * width;
        if (element < 0 || pos + len > fileSize) {
            throw new IllegalArgumentException("write of " + count + " values at " + element + " is outside the array");
        }
        MemorySegment w = windowFor(pos, len);
        long off = pos - windowStart;
        if (float32) {
            if (floats.length < count) {
                floats = new float[count];
            }
            for (int i = 0; i < count; i++) {
                floats[i] = (float) values[from + i];
            }
            MemorySegment.copy(floats, 0, w, F32, off, count);
        } else {
            MemorySegment.copy(values, from, w, F64, off, count);
        }
    }

    private MemorySegment windowFor(long pos, long len) throws IOException {
        if (window != null && pos >= windowStart && pos + len <= windowStart + window.byteSize()) {
            return window;
        }
        unmap();
        long start = pos & ~4095L;
        long size = Math.min(fileSize - start, Math.max(windowBytes, pos + len - start));
        arena = Arena.ofConfined();
        window = channel.map(FileChannel.MapMode.READ_WRITE, start, size, arena);
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

    @Override
    public void close() throws IOException {
        unmap();
        channel.close();
    }
}
