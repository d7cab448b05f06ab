package org.ntk4j.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;

/** Entry point of the {@code ntk} command line. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        AtomicBoolean finished = new AtomicBoolean();
        // Ctrl-C or a kill: end the progress bar where it stands and say so (OutputFile's own hook removes the
        // unfinished files); a normal exit sets finished first.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!finished.get()) {
                Progress.endAll();
                err.println(commandName(args) + ": interrupted; unfinished output files removed");
                err.flush();
            }
        }, "ntk-interrupted"));
        int code = run(out, err, args);
        finished.set(true);
        System.exit(code);
    }

    /** "ntk kernel" for the messages: the subcommand when the first argument names one. */
    static String commandName(String[] args) {
        return args.length > 0 && !args[0].startsWith("-") ? "ntk " + args[0] : "ntk";
    }

    /** Runs one command line and returns its exit code (0 ok, 2 bad usage or input, 1 internal error). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        // Plots are rendered off-screen; no display is needed or wanted.
        System.setProperty("java.awt.headless", "true");
        CommandLine cl = commandLine(out, err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The configured command tree (for tests and for {@link #run}). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new NtkCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.registerConverter(Path.class, new Converters.PathConverter());
        cl.setParameterExceptionHandler(Errors::onParameterException);
        cl.setExecutionExceptionHandler(Errors::onExecutionException);
        return cl;
    }
}
