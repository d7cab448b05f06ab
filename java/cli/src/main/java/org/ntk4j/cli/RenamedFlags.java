package org.ntk4j.cli;

import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Flags of earlier versions, each now spelled as every command spells the same thing. A command line with an old
 * spelling is refused with one line naming the new one: never accepted as a second vocabulary.
 */
final class RenamedFlags {
    private static final Map<String, String> RENAMED = Map.of(
            "--params", "--weights",
            "--param", "--parameterization",
            "--save-params", "--save-weights",
            "--lambda", "--ridge",
            "--x2", "--x-test",
            "--kernel", "--mode",
            "--out", "--out-dir");

    private RenamedFlags() {
    }

    /** Whether a flag is an earlier spelling (the README lists them, as refused). */
    static boolean isOldSpelling(String flag) {
        return RENAMED.containsKey(flag);
    }

    /** The message for an argument the command did not recognise, when it is an old spelling of one of its flags. */
    static Optional<String> message(CommandSpec command, String arg) {
        String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
        String now = RENAMED.get(flag);
        if (now == null || command.findOption(now) == null || command.findOption(flag) != null) {
            return Optional.empty();
        }
        return Optional.of(flag + " is now " + now + " (" + (flag.equals("--out")
                ? "--out names a file in every command; a folder is --out-dir"
                : "one name for each thing across ntk's commands") + ")");
    }
}
