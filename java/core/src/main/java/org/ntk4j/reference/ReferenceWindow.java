package org.ntk4j.reference;

import org.ntk4j.model.Padding;
import org.ntk4j.model.Shape;
import org.ntk4j.model.Window;

/**
 * A window over an (H, W, C) image on the reference backend, as neural-tangents implements circular padding: the
 * image padded explicitly along each axis (zeros for same, a copy of the other side for circular, nothing for
 * valid), then read without padding. Worked out here from the definition of same padding rather than taken from
 * {@link Padding}'s helpers, so that the oracle does not share the index arithmetic it checks.
 */
final class ReferenceWindow {
    /** Input height, width and channels. */
    final int h;
    final int w;
    final int c;
    /** Window height and width. */
    final int kh;
    final int kw;
    /** Output height and width. */
    final int outH;
    final int outW;
    private final int sh;
    private final int sw;
    /** Padded row (column) → input row (column), −1 for a zero. */
    private final int[] rows;
    private final int[] cols;

    ReferenceWindow(Window window, Shape in) {
        this.h = (int) in.dim(0);
        this.w = (int) in.dim(1);
        this.c = (int) in.dim(2);
        this.kh = window.height();
        this.kw = window.width();
        this.sh = window.strideH();
        this.sw = window.strideW();
        this.rows = padded(h, kh, sh, window.padding());
        this.cols = padded(w, kw, sw, window.padding());
        this.outH = (rows.length - kh) / sh + 1;
        this.outW = (cols.length - kw) / sw + 1;
    }

    /** Same padding: ⌈n/s⌉ outputs need (out−1)·s + k entries; the missing ones go half before (rounded down). */
    private static int[] padded(int n, int k, int s, Padding p) {
        int before = 0;
        int after = 0;
        if (p != Padding.VALID) {
            int out = (n + s - 1) / s;
            int total = Math.max((out - 1) * s + k - n, 0);
            before = total / 2;
            after = total - before;
        }
        int[] map = new int[before + n + after];
        for (int t = 0; t < map.length; t++) {
            int src = t - before;
            map[t] = src >= 0 && src < n ? src : p == Padding.CIRCULAR ? Math.floorMod(src, n) : -1;
        }
        return map;
    }

    /**
     * The input position (row·W + column) that the window at output position (y, x) reads at its offset (dy, dx), or
     * −1 for a padding zero; channel ch of it sits at {@code position·C + ch} of an NHWC example.
     */
    int source(int y, int x, int dy, int dx) {
        int r = rows[y * sh + dy];
        int q = cols[x * sw + dx];
        return r < 0 || q < 0 ? -1 : r * w + q;
    }
}
