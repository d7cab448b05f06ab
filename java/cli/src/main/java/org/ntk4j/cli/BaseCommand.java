package org.ntk4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What every subcommand shares: --verbose, --quiet, the output streams, and turning memory exhaustion into a message. */
abstract class BaseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors (no progress bar, no summary).")
    boolean quiet;

    @Override
    public final Integer call() throws Exception {
        try {
            return execute();
        } catch (OutOfMemoryError e) {
            throw new UsageError(Errors.describe(e), e);
        } catch (InternalError e) {
            if (String.valueOf(e.getMessage()).contains("unsafe memory access")) {
                // a fault on a memory-mapped page that surfaced outside the writer's own handling
                throw new UsageError("the file system could not store a page of a memory-mapped output (no space"
                        + " left on device, or the file was truncated)", e);
            }
            throw e;
        }
    }

    protected abstract int execute() throws Exception;

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A progress or summary line on stderr unless --quiet. */
    protected void info(String line) {
        if (!quiet) {
            err().println(line);
            err().flush();
        }
    }
}
