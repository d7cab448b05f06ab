package org.ntk4j.cpu;

import org.ntk4j.model.Activation;

/**
 * φ entry by entry on the CPU backend, in place: h = φ(z) over z, with φ'(z) kept for the backward pass, which
 * multiplies the δ rows by it in place. No parameters.
 */
final class CpuElementwise<A> implements CpuLayer<A> {
    private final Arith<A> ar;
    private final Activation phi;
    private final int width;

    CpuElementwise(Arith<A> ar, Activation phi, int width) {
        this.ar = ar;
        this.phi = phi;
        this.width = width;
    }

    @Override
    public int inputWidth() {
        return width;
    }

    @Override
    public int outputWidth() {
        return width;
    }

    @Override
    public boolean inPlace() {
        return true;
    }

    /** φ'(z). */
    @Override
    public long savedPerExample() {
        return width;
    }

    @Override
    public A newSaved(int capacity) {
        return ar.alloc(capacity * width);
    }

    @Override
    public void forward(A z, A h, A d, int rows) {
        ar.pool.parallelFor(rows, (long) width * 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                ar.activate(phi, z, r * width, h, d, r * width, width);
            }
        });
    }

    /**
     * δ ⊙ φ'(z) in place, row (r, a) by example r's φ'; rows of the last dense layer's weights stay such rows, now
     * scaled by this φ' ({@link Network.TopRows}).
     */
    @Override
    public A backward(Network<A>.Backprop bp, A spare, Network.TopRows<A> noted) {
        int m = bp.multiplicity;
        A delta = bp.delta();
        A d = bp.saved();
        ar.pool.parallelFor(bp.rows(), (long) m * width, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                for (int o = 0; o < m; o++) {
                    ar.mul(delta, (r * m + o) * width, d, r * width, width);
                }
            }
        });
        if (noted != null && noted.phiPrime() == null) {
            bp.topRows(new Network.TopRows<>(noted.top(), d));
        }
        return delta;
    }
}
