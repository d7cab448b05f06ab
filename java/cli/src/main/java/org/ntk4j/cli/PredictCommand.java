package org.ntk4j.cli;

import picocli.CommandLine.Command;

@Command(name = "predict", mixinStandardHelpOptions = true, description = "Not yet available.")
final class PredictCommand extends BaseCommand {
    @Override
    protected int execute() {
        throw new UsageError("'ntk predict' is not available yet");
    }
}
