package org.ntk4j.cli;

import picocli.CommandLine.Command;

@Command(name = "train", mixinStandardHelpOptions = true, description = "Not yet available.")
final class TrainCommand extends BaseCommand {
    @Override
    protected int execute() {
        throw new UsageError("'ntk train' is not available yet");
    }
}
