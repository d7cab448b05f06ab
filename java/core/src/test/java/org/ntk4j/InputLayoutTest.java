package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.ntk4j.model.Shape;

/** Image arrays in either layout become NHWC rows; shapes that do not hold the examples are named. */
class InputLayoutTest {
    @Test
    void nchwBecomesNhwcRowsAndNhwcStaysAsItIs() {
        // one 2×3 image with 2 channels; value = 100·c + 10·y + x
        double[] nchw = new double[12];
        double[] nhwc = new double[12];
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 3; x++) {
                    double v = 100 * c + 10 * y + x;
                    nchw[(c * 2 + y) * 3 + x] = v;
                    nhwc[(y * 3 + x) * 2 + c] = v;
                }
            }
        }
        Shape image = Shape.of(2, 3, 2);
        assertArrayEquals(nhwc, InputLayout.NCHW.examples(new Tensor(new int[] {1, 2, 2, 3}, nchw), image).data());
        assertArrayEquals(nhwc, InputLayout.NCHW.examples(new Tensor(new int[] {1, 12}, nchw), image).data());
        assertArrayEquals(nhwc, InputLayout.NHWC.examples(new Tensor(new int[] {1, 2, 3, 2}, nhwc), image).data());
        Matrix m = InputLayout.NHWC.examples(new Tensor(new int[] {1, 12}, nhwc), image);
        assertEquals(1, m.rows());
        // one channel: (N, H, W) in either layout
        double[] gray = {1, 2, 3, 4, 5, 6};
        for (InputLayout l : InputLayout.values()) {
            assertArrayEquals(gray, l.examples(new Tensor(new int[] {1, 2, 3}, gray), Shape.of(2, 3, 1)).data());
        }
        assertArrayEquals(new double[] {7, 8}, InputLayout.NCHW.examples(new Tensor(new int[] {2}, new double[] {7, 8}),
                Shape.flat(1)).data());
        assertEquals(InputLayout.NCHW, InputLayout.parse(" NCHW"));
    }

    @Test
    void aShapeThatDoesNotHoldTheExamplesIsNamed() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> InputLayout.NHWC.examples(
                new Tensor(new int[] {1, 2, 2, 3}, new double[12]), Shape.of(2, 3, 2)));
        assertEquals("an array of shape (1, 2, 2, 3) does not hold examples of 2x3x2 (expected (N, 2, 3, 2) [nhwc] or"
                + " (N, 12))", e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> InputLayout.NCHW.examples(
                new Tensor(new int[] {1, 2, 3}, new double[6]), Shape.of(3, 2, 1)));
        assertEquals("an array of shape (1, 2, 3) does not hold examples of 3x2x1 (expected (N, 1, 3, 2) [nchw], (N, 3,"
                + " 2) or (N, 6))", e.getMessage());
        assertThrows(InvalidInputException.class, () -> InputLayout.NHWC.examples(new Tensor(new int[] {3, 5},
                new double[15]), Shape.flat(4)));
        assertThrows(InvalidInputException.class, () -> InputLayout.parse("hwc"));
    }
}
