/**
 * The network: {@link org.ntk4j.model.Architecture} (widths, activation, parameterization, σ_w, σ_b, bias) and its
 * {@link org.ntk4j.model.Parameters} (fp64 host arrays in PyTorch's {@code Linear} layout, deterministic
 * row-addressable initialisation), with the {@link org.ntk4j.model.Activation}s and
 * {@link org.ntk4j.model.Parameterization}s the library supports.
 */
package org.ntk4j.model;
