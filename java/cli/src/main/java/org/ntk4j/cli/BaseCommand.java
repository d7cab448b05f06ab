package org.ntk4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ntk4j.internal.io.OutputFile;
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

    /** Outputs claimed for this run, given up when it ends (unless written). */
    private final List<OutputFile.Claim> claims = new ArrayList<>();

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
        } finally {
            releaseClaims();
        }
    }

    protected abstract int execute() throws Exception;

    /**
     * Claims outputs written at the end of the run, before the work (see {@link OutputFile#claim}): a second run
     * writing the same file is refused now, not after both have run. Null paths (flags not given) are skipped.
     */
    protected void claim(Path... outputs) throws IOException {
        for (Path p : outputs) {
            if (p != null) {
                claims.add(OutputFile.claim(p));
            }
        }
    }

    private void releaseClaims() {
        for (OutputFile.Claim c : claims) {
            c.close();
        }
        claims.clear();
    }

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
