/**
 * The service side of backends, for people who write one: a backend extends {@link org.ntk4j.spi.Backend} (which
 * validates every argument and checks the closed state before the backend's {@code compute…} methods run, so every
 * backend rejects the same input with the same message) and is found through a
 * {@link org.ntk4j.spi.BackendProvider}, listed in {@code META-INF/services} on the class path or declared with
 * {@code provides} on the module path, and opened with a {@link org.ntk4j.spi.BackendConfig}.
 * {@link org.ntk4j.spi.Validation} holds the checks. Users of the library need none of this: they call
 * {@link org.ntk4j.Ntk}.
 */
package org.ntk4j.spi;
