package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The typed container: float32 and float64 storage on the heap or in a segment, shapes of any rank, views, equality
 * across storages, and what each method says it copies or keeps. (Mapped files beyond 2³¹ values: NpyTest.)
 */
class TensorTest {

    @Test
    void storageFollowsThePrecision() {
        Tensor d = Tensor.zeros(Precision.FP64, 2, 3);
        Tensor f = Tensor.zeros(Precision.FP32, 2, 3);
        assertFalse(d.float32());
        assertTrue(f.float32());
        assertTrue(Tensor.zeros(Precision.TF32, 1).float32(), "TF32 results are stored as float32");
        assertEquals(6, d.data().length);
        assertEquals(6, f.floatData().length);
        assertThrows(IllegalStateException.class, f::data, "a float32 tensor has no double[] to hand out");
        assertThrows(IllegalStateException.class, d::floatData);
        f.setAt(4, 1.0 / 3);
        assertEquals((double) (float) (1.0 / 3), f.at(4), 0.0, "float32 storage rounds once, reads widen exactly");
        assertEquals((float) (1.0 / 3), f.floatData()[4]);
        d.setAt(4, 1.0 / 3);
        assertEquals(1.0 / 3, d.get(1, 1), 0.0);
        assertEquals("Tensor[2, 3] float32", f.toString());
        assertEquals("Tensor[2, 3]", d.toString());
    }

    @Test
    void imagesIndexInRowMajorOrder() {
        int n = 2;
        int h = 3;
        int w = 5;
        int c = 4;
        float[] v = new float[n * h * w * c];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        Tensor images = new Tensor(new int[] {n, h, w, c}, v);
        assertEquals(4, images.rank());
        assertEquals(v.length, images.size());
        assertEquals(((1 * h + 2) * w + 3) * c + 1, images.index(1, 2, 3, 1));
        assertEquals(((1.0 * h + 2) * w + 3) * c + 1, images.get(1, 2, 3, 1), 0.0);
        images.set(-7, 1, 2, 3, 1);
        assertEquals(-7.0, images.at(images.index(1, 2, 3, 1)), 0.0);
        assertThrows(IndexOutOfBoundsException.class, () -> images.set(0, 0, 0, 5, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> images.get(0, 3, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> images.get(0, 0, 0, 4), "a channel must not wrap");
        assertThrows(IndexOutOfBoundsException.class, () -> images.get(-1, 0, 0, 0));
        assertThrows(InvalidInputException.class, () -> images.get(0, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> images.at(v.length));
        assertThrows(IndexOutOfBoundsException.class, () -> images.at(-1));
        assertThrows(InvalidInputException.class, () -> new Tensor(new int[] {2, 2}, new float[3]));
        assertThrows(InvalidInputException.class, () -> new Tensor(new int[] {-1, 2}, new double[0]));
        assertThrows(InvalidInputException.class, () -> Tensor.zeros(Precision.FP32, 1 << 16, 1 << 16),
                "more than one array holds");
        assertEquals(0, Tensor.zeros(Integer.MAX_VALUE, Integer.MAX_VALUE, 0).size(), "a zero dimension: no values");
        Tensor scalar = Tensor.zeros();
        assertEquals(1, scalar.size());
        assertEquals(0.0, scalar.get(), 0.0);
    }

    @Test
    void slicesAndReshapesAreViews() {
        double[] data = new double[4 * 3];
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        Tensor t = new Tensor(new int[] {4, 3}, data);
        Tensor mid = t.slice(1, 3);
        assertArrayEquals(new int[] {2, 3}, mid.shape());
        assertEquals(3.0, mid.get(0, 0), 0.0);
        assertEquals(8.0, mid.get(1, 2), 0.0);
        mid.setAt(0, -1);
        assertEquals(-1.0, data[3], 0.0, "writes through a slice reach the array");
        data[8] = -2;
        assertEquals(-2.0, mid.get(1, 2), 0.0, "writes to the array reach the slice");
        assertThrows(IllegalStateException.class, mid::data, "a slice is not a whole array");
        assertArrayEquals(new double[] {-1, 4, 5, 6, 7, -2}, mid.toDoubleArray(), 0.0);
        assertEquals(4.0, mid.slice(0, 1).get(0, 1), 0.0, "a slice of a slice");
        assertEquals(0, t.slice(4, 4).size());
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(2, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(3, 2));
        assertThrows(InvalidInputException.class, () -> Tensor.zeros().slice(0, 0));
        assertSame(data, t.slice(0, 4).data(), "the whole range keeps the array");

        Tensor flat = t.reshape(2, 2, 3);
        assertSame(data, flat.data(), "a reshape keeps the array");
        assertEquals(data[11], flat.get(1, 1, 2), 0.0);
        assertThrows(InvalidInputException.class, () -> t.reshape(5, 2));

        Tensor f = Tensor.zeros(Precision.FP32, 3, 2);
        f.slice(2, 3).setAt(1, 7);
        assertEquals(7f, f.floatData()[5]);
    }

    @Test
    void equalityComparesShapeTypeAndValuesWhateverHoldsThem() {
        double[] v = {1, Double.NaN, -3, 0.5};
        Tensor heap = new Tensor(new int[] {2, 2}, v);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(32);
            for (int i = 0; i < 4; i++) {
                seg.set(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 8L * i, v[i]);
            }
            Tensor big = Tensor.wrap(seg, false, ByteOrder.BIG_ENDIAN, 2, 2);
            assertEquals(-3.0, big.get(1, 0), 0.0, "the segment's byte order is honoured");
            assertEquals(heap, big, "NaN equals NaN, heap equals segment");
            assertEquals(heap.hashCode(), big.hashCode());
            assertEquals(ByteOrder.BIG_ENDIAN, big.order());
            assertEquals(heap.slice(1, 2), big.slice(1, 2));
        }
        assertNotEquals(heap, heap.toPrecision(Precision.FP32), "float32 never equals float64");
        assertEquals(0.0, heap.slice(1, 2).relativeDistance(heap.toPrecision(Precision.FP32).slice(1, 2)), 0.0,
                "… but compares across types by distance");
        assertNotEquals(new Tensor(new int[] {1}, new double[] {0.0}), new Tensor(new int[] {1}, new double[] {-0.0}));
        assertNotEquals(heap, heap.reshape(4), "the shape counts");
        assertEquals(Tensor.zeros(Precision.FP32, 3), new Tensor(new int[] {3}, new float[3]));
        assertEquals(Tensor.zeros(Precision.FP32, 3).hashCode(), new Tensor(new int[] {3}, new float[3]).hashCode());
    }

    @Test
    void ownershipIsWhatTheJavadocSays() {
        float[] f = {1, 2, 3, 4};
        int[] shape = {2, 2};
        Tensor t = new Tensor(shape, f);
        shape[1] = 9;
        assertEquals(2, t.dim(1), "the shape is copied");
        assertSame(f, t.floatData(), "the array is kept");
        f[0] = 5;
        assertEquals(5.0, t.at(0), 0.0);

        assertSame(t, t.toPrecision(Precision.FP32), "no copy when the type already fits");
        Tensor wide = t.toPrecision(Precision.FP64);
        assertArrayEquals(new double[] {5, 2, 3, 4}, wide.data(), 0.0);
        wide.setAt(0, 0);
        assertEquals(5.0, t.at(0), 0.0, "a conversion is a copy");
        Tensor c = t.copy();
        assertNotSame(f, c.floatData());
        assertEquals(t, c);
        double[] copied = t.toDoubleArray();
        copied[1] = 0;
        assertEquals(2.0, t.at(1), 0.0, "toDoubleArray copies");

        double[] d = {1, 2, 3, 4};
        Tensor dt = new Tensor(new int[] {2, 2}, d);
        assertSame(d, dt.doubles(), "doubles() shares a double[]");
        assertNotSame(dt.doubles(), t.doubles(), "… and widens a float[] into a new one");
        assertArrayEquals(new double[] {5, 2, 3, 4}, t.doubles(), 0.0);
        assertSame(d, dt.asMatrix().data(), "asMatrix shares a double[]");
        assertArrayEquals(new double[] {5, 2, 3, 4}, t.asMatrix().data(), 0.0, "… and widens a float[]");
        assertThrows(InvalidInputException.class, () -> dt.reshape(4).asMatrix());
        Matrix m = new Matrix(2, 2, d);
        assertSame(d, m.asTensor().data(), "Matrix.asTensor shares");
        assertEquals(dt, m.asTensor());
    }

    @Test
    void nativeStorageHoldsAnySizeWhileItsArenaIsOpen() {
        Tensor t;
        try (Arena arena = Arena.ofConfined()) {
            t = Tensor.zeros(Precision.FP32, arena, 3, 4);
            assertTrue(t.float32());
            assertEquals(48, t.segment().byteSize());
            t.setAt(11, 2.5);
            assertEquals(2.5, t.get(2, 3), 0.0);
            assertEquals(ByteOrder.nativeOrder(), t.order());
            assertThrows(IllegalStateException.class, t::floatData, "native memory is no float[]");
            assertArrayEquals(new float[] {0, 0, 0, 2.5f}, t.slice(2, 3).copy().floatData());
        }
        assertThrows(IllegalStateException.class, () -> t.at(0), "the memory is gone with its arena");
        MemorySegment ro = MemorySegment.ofArray(new double[2]).asReadOnly();
        Tensor readOnly = Tensor.wrap(ro, false, ByteOrder.nativeOrder(), 2);
        assertTrue(readOnly.isReadOnly());
        assertThrows(UnsupportedOperationException.class, () -> readOnly.setAt(0, 1));
        assertThrows(InvalidInputException.class, () -> Tensor.wrap(MemorySegment.ofArray(new byte[12]), false,
                ByteOrder.nativeOrder(), 2), "12 bytes are not two doubles");
    }
}
