package org.ntk4j.cli;

import picocli.CommandLine.Command;

@Command(name = "devices", mixinStandardHelpOptions = true, description = "Not yet available.")
final class DevicesCommand extends BaseCommand {
    @Override
    protected int execute() {
        throw new UsageError("'ntk devices' is not available yet");
    }
}
