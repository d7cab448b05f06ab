package org.ntk4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ActivationSecondDerivativeTest {
    @Test
    void secondDerivativeMatchesCentralDifferencesOfTheDerivative() {
        double h = 1e-5;
        for (Activation a : Activation.values()) {
            for (double z : new double[] {-3.1, -1.2, -0.37, 0.21, 0.9, 2.6}) {
                double fd = (a.derivative(z + h) - a.derivative(z - h)) / (2 * h);
                // Central differences err by h²·φ''''/6 ≈ 1e-10 plus rounding 1e-16/h ≈ 1e-11.
                assertEquals(fd, a.secondDerivative(z), 1e-8, a + " at " + z);
            }
        }
    }
}
