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

    /**
     * Runs {@code ntk} with these arguments and exits with the command's code; Ctrl-C or a kill ends the progress
     * display and reports the interruption.
     *
     * @param args the command line after {@code ntk}: a subcommand and its options
     */
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
        watchLauncher(System.getProperty(LAUNCHER_PID_PROPERTY));
        int code = run(out, err, args);
        finished.set(true);
        System.exit(code);
    }

    /** Set by the ./ntk launcher to its own process id. */
    static final String LAUNCHER_PID_PROPERTY = "ntk4j.launcher.pid";

    /**
     * Ends this JVM as on SIGHUP (exit 129, shutdown hooks run: unfinished files removed, locks released) once the
     * launcher that started it is gone: a launcher killed with -9 can pass no signal on, and a JVM left running
     * would still hold its outputs and write them later. Polled every 100 ms (reading the parent's id is cheap).
     */
    private static void watchLauncher(String launcherPid) {
        if (launcherPid == null || !launcherPid.matches("[0-9]+")) {
            return;
        }
        long pid = Long.parseLong(launcherPid);
        Thread.ofPlatform().daemon().name("ntk-launcher-watch").start(() -> {
            while (ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == pid) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.exit(129);
        });
    }

    /** "ntk kernel" for the messages: the subcommand when the first argument names one. */
    static String commandName(String[] args) {
        return args.length > 0 && !args[0].startsWith("-") ? "ntk " + args[0] : "ntk";
    }

    /**
     * Runs one command line and returns its exit code (0 ok, 2 bad usage or input, 1 internal error).
     *
     * @param out  receives the command's output (results, help, version); flushed before returning
     * @param err  receives progress and error messages; flushed before returning
     * @param args the command line after {@code ntk}
     * @return the exit code: 0, 1 or 2
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        // Plots are rendered off-screen; no display is needed or wanted.
        System.setProperty("java.awt.headless", "true");
        CommandLine cl = commandLine(out, err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * The configured command tree (for tests and for {@link #run}).
     *
     * @param out where commands print their output
     * @param err where commands print progress and errors
     * @return a new command line, with ntk's converters and error handlers
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new NtkCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.registerConverter(Path.class, new Converters.PathConverter());
        cl.registerConverter(Double.class, new Converters.NumberConverter());
        cl.registerConverter(double.class, new Converters.NumberConverter());
        cl.setParameterExceptionHandler(Errors::onParameterException);
        cl.setExecutionExceptionHandler(Errors::onExecutionException);
        return cl;
    }
}
