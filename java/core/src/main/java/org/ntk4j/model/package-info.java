/**
 * The network: {@link org.ntk4j.model.Architecture} (an input shape, flat or an NHWC image, and a sequence of
 * {@link org.ntk4j.model.Layer}s — dense and conv layers with their σ_w and σ_b, activations, average pooling, global
 * average pooling, flatten — under one parameterization) and its {@link org.ntk4j.model.Parameters} (fp64 host arrays
 * in PyTorch's {@code Linear} and {@code Conv2d} layouts, deterministic row-addressable initialisation), with the
 * {@link org.ntk4j.model.Activation}s, {@link org.ntk4j.model.Padding}s and
 * {@link org.ntk4j.model.Parameterization}s the library supports.
 */
package org.ntk4j.model;
