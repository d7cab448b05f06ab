/**
 * The upper-triangle tile plan of a kernel, written once for every place that cuts a kernel into tiles: the CPU and
 * CUDA backends, the command line's tiled output and the Spark tile store. Internal: exported only to those modules.
 */
package org.ntk4j.tiling;
