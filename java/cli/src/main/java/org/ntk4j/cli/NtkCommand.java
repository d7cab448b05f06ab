package org.ntk4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The top-level {@code ntk} command: only dispatches to its subcommands. */
@Command(name = "ntk", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Neural Tangent Kernels of dense networks: compute them, train, predict, and see lazy training.",
        subcommands = {KernelCommand.class, TrainCommand.class, PredictCommand.class, RegressCommand.class, DevicesCommand.class,
                BenchCommand.class, DemoCommand.class},
        footer = {"", "Run 'ntk COMMAND --help' for a command's options and an example.",
                "Errors print one line and exit with code 2; add --verbose for the stack trace."})
public final class NtkCommand implements Runnable {
    @Spec
    CommandSpec spec;

    /** Created once per command line by {@link Main#commandLine}. */
    public NtkCommand() {
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a command is needed (kernel, train, predict, regress, devices, bench, demo)");
    }
}
