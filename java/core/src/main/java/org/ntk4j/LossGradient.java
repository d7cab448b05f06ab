package org.ntk4j;

/**
 * The MSE loss ½·mean((f − y)²) and its gradient with respect to the flat parameter vector.
 *
 * <p>Arrays: the record keeps {@code gradient} as given (no copy); the backends hand over a new array, which the
 * caller then owns.
 *
 * @param loss     ½·mean((f(x) − y)²) over all N·O entries
 * @param gradient ∂loss/∂θ, P values in the parameter order of {@link org.ntk4j.model.Parameters}; kept, not copied
 */
public record LossGradient(double loss, double[] gradient) {
}
