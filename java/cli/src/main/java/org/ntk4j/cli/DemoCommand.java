package org.ntk4j.cli;

import picocli.CommandLine.Command;

@Command(name = "demo", mixinStandardHelpOptions = true, description = "Not yet available.")
final class DemoCommand extends BaseCommand {
    @Override
    protected int execute() {
        throw new UsageError("'ntk demo' is not available yet");
    }
}
