/**
 * Data for tests and the demo: the optical handwritten digits ({@link org.ntk4j.data.Digits}; UCI, Alpaydin and
 * Kaynak 1998, CC BY 4.0, attribution in {@code org/ntk4j/data/DIGITS-ATTRIBUTION.md} beside the file) and seeded
 * synthetic sets ({@link org.ntk4j.data.Synthetic}).
 */
package org.ntk4j.data;
