package org.ntk4j.cli;

import picocli.CommandLine.Command;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Not yet available.")
final class BenchCommand extends BaseCommand {
    @Override
    protected int execute() {
        throw new UsageError("'ntk bench' is not available yet");
    }
}
