/**
 * Files that appear complete or not at all ({@link org.ntk4j.internal.io.OutputFile}), for the library's writers and
 * the modules that write results (the command line, the experiments' reports). Internal: exported only to
 * those modules.
 */
package org.ntk4j.internal.io;
