/**
 * NumPy files: {@link org.ntk4j.io.Npy} reads and writes {@code .npy} arrays (float32 and float64 in C order),
 * {@link org.ntk4j.io.Npz} {@code .npz} archives, and {@link org.ntk4j.io.ParametersIO} a network's parameters as
 * {@code W0, b0, W1, b1, …} in PyTorch's {@code Linear.weight} layout; arrays come and go as
 * {@link org.ntk4j.Tensor}s of the file's own type (float32 stays float32), and {@link org.ntk4j.io.Npy#map} uses a
 * file of any size in place. Readers check a file before they trust it ({@link org.ntk4j.io.NpyFormatException}
 * names what is wrong), and every file they write appears complete or not at all (a temporary file in the same
 * folder, renamed over the target once it is whole; another writer of the same file is an
 * {@link org.ntk4j.io.OutputInUseException}).
 */
package org.ntk4j.io;
import org.ntk4j.Tensor;
