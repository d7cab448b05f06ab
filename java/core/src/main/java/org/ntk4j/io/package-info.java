/**
 * NumPy files: {@link org.ntk4j.io.Npy} reads and writes {@code .npy} arrays (float32 and float64, either byte
 * order, C order), {@link org.ntk4j.io.Npz} {@code .npz} archives, and {@link org.ntk4j.io.ParametersIO} a network's
 * parameters as {@code W0, b0, W1, b1, …} in PyTorch's {@code Linear.weight} layout. Arrays come and go as
 * {@link org.ntk4j.io.NpyArray}.
 */
package org.ntk4j.io;
