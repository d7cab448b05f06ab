package org.ntk4j;

/**
 * The MSE loss ½·mean((f − y)²) and its gradient with respect to the flat parameter vector.
 */
public record LossGradient(double loss, double[] gradient) {
}
