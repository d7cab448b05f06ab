package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npz;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One name per thing across the commands, old spellings refused with the new name, and every command line that the
 * README and the {@code --help} texts show is run, so neither can drift from the commands.
 */
class VocabularyTest {
    @TempDir
    Path dir;

    private static final Path README = Path.of("../../README.md");

    private static Map<String, CommandSpec> commands() {
        CommandLine cl = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        Map<String, CommandSpec> m = new LinkedHashMap<>();
        cl.getSubcommands().forEach((name, sub) -> m.put(name, sub.getCommandSpec()));
        return m;
    }

    @Test
    void oldSpellingsAreRefusedWithOneLineNamingTheNewOne() throws IOException {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 4, 3, 1, false);
        Object[][] cases = {
            {"--kernel is now --mode", new Object[] {"predict", "--x", x, "--y", x, "--x-test", x, "--arch", "3,4,3",
                "--kernel", "full", "--out", dir.resolve("p.npy")}},
            {"--lambda is now --ridge", new Object[] {"regress", "--x", x, "--y", x, "--x-test", x, "--arch", "3,4,3",
                "--lambda=1e-3", "--out", dir.resolve("p.npy")}},
            {"--params is now --weights", new Object[] {"kernel", "--x", x, "--params", x, "--out", dir.resolve("k.npy")}},
            {"--param is now --parameterization", new Object[] {"predict", "--x", x, "--y", x, "--x-test", x, "--arch",
                "3,4,3", "--param", "standard", "--out", dir.resolve("p.npy")}},
            {"--save-params is now --save-weights", new Object[] {"train", "--x", x, "--y", x, "--arch", "3,4,3",
                "--save-params", dir.resolve("w.npz")}},
            {"--x2 is now --x-test", new Object[] {"kernel", "--x", x, "--x2", x, "--arch", "3,4,3", "--out",
                dir.resolve("k.npy")}},
            {"--out is now --out-dir", new Object[] {"train", "--x", x, "--y", x, "--arch", "3,4,3", "--out",
                dir.resolve("run")}},
            {"--out is now --out-dir", new Object[] {"demo", "--quick", "--out", dir.resolve("demo")}},
            {"use --device reference", new Object[] {"kernel", "--x", x, "--arch", "3,4,3", "--impl", "reference",
                "--out", dir.resolve("k.npy")}},
        };
        for (Object[] c : cases) {
            Cli.Result r = Cli.run((Object[]) c[1]);
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains((String) c[0]), "expected '" + c[0] + "': " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
        // a flag that was never ntk's is still just unknown, and an old name is not matched where its new one is
        // not an option of the command (train has --kernel-every, not --mode)
        Cli.Result unknown = Cli.run("kernel", "--x", x, "--arch", "3,4,3", "--out", dir.resolve("k.npy"), "--frobnicate");
        assertTrue(unknown.err().contains("Unknown option: '--frobnicate'"), unknown.err());
        Cli.Result t = Cli.run("train", "--x", x, "--y", x, "--arch", "3,4,3", "--kernel", "3");
        assertTrue(t.err().contains("Unknown option") && !t.err().contains("--mode"), t.err());
        assertFalse(Files.exists(dir.resolve("run")) || Files.exists(dir.resolve("demo")));
    }

    @Test
    void oneNamePerThingAcrossCommands() {
        Map<String, CommandSpec> commands = commands();
        Set<String> old = Set.of("--params", "--param", "--save-params", "--lambda", "--x2", "--kernel");
        Map<String, String> defaults = new LinkedHashMap<>();
        for (var e : commands.entrySet()) {
            for (OptionSpec o : e.getValue().options()) {
                String name = o.longestName();
                assertFalse(old.contains(name), e.getKey() + " still has " + name);
                if (name.equals("--out")) {
                    assertTrue(o.paramLabel().contains("."), "ntk " + e.getKey() + " --out names a file: " + o.paramLabel());
                }
                if (o.paramLabel().equals("DIR")) {
                    assertFalse(name.equals("--out"), "ntk " + e.getKey() + ": --out names a file, never a folder");
                }
                if (name.equals("--out-dir")) {
                    assertEquals("DIR", o.paramLabel(), "ntk " + e.getKey());
                }
                // a flag means the same in every command: the same default where it has one (bench's --device
                // chooses which backends to time, all by default, and is the one exception)
                if (o.defaultValue() != null && !(e.getKey().equals("bench") && name.equals("--device"))) {
                    String before = defaults.putIfAbsent(name, o.defaultValue());
                    assertTrue(before == null || before.equals(o.defaultValue()) || name.equals("--out-dir"),
                            name + " defaults to " + before + " in one command and " + o.defaultValue() + " in ntk "
                                    + e.getKey());
                }
            }
        }
        for (String c : List.of("predict", "regress")) {
            OptionSpec ridge = commands.get(c).findOption("--ridge");
            assertNotNull(ridge, c);
            assertFalse(ridge.required(), c + " --ridge");
            assertEquals("0", ridge.defaultValue(), c + " --ridge");
        }
        for (String c : List.of("kernel", "predict", "regress")) {
            assertEquals("trace", commands.get(c).findOption("--mode").defaultValue(), c + " --mode");
            assertNotNull(commands.get(c).findOption("--x-test"), c);
            assertNotNull(commands.get(c).findOption("--weights"), c);
            assertNotNull(commands.get(c).findOption("--parameterization"), c);
        }
        // train runs the network itself: it offers no --impl to refuse
        assertNull(commands.get("train").findOption("--impl"));
        assertFalse(Cli.run("train", "--help").out().contains("--impl"));
    }

    @Test
    void everyValueAHelpOffersIsAccepted() {
        for (var e : commands().entrySet()) {
            for (OptionSpec o : e.getValue().options()) {
                List<String> offered = new ArrayList<>();
                if (o.paramLabel().matches("[a-z0-9-]+(\\|[a-z0-9-]+)+")) {
                    offered.addAll(List.of(o.paramLabel().split("\\|")));
                }
                if (o.longestName().equals("--impl")) {
                    Matcher m = Pattern.compile("(\\w+) \\(").matcher(String.join(" ", o.description()));
                    offered.add("auto");
                    while (m.find()) {
                        offered.add(m.group(1));
                    }
                }
                for (String v : offered) {
                    CommandLine cl = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
                    try {
                        cl.parseArgs(e.getKey(), o.longestName(), v);
                    } catch (CommandLine.MissingParameterException ok) {
                        // other required flags are not the point here
                    } catch (CommandLine.ParameterException ex) {
                        throw new AssertionError("ntk " + e.getKey() + " --help offers " + o.longestName() + " " + v
                                + " but refuses it: " + ex.getMessage(), ex);
                    }
                }
            }
        }
    }

    /** The command lines shown by the README (./ntk …) and by each command's --help (ntk …). */
    private static List<String> examples() throws IOException {
        List<String> lines = new ArrayList<>();
        String text = Files.readString(README);
        Matcher span = Pattern.compile("`\\./ntk ([^`]+)`").matcher(text);
        while (span.find()) {
            lines.add(span.group(1));
        }
        Matcher block = Pattern.compile("```[a-z]*\\n(.*?)```", Pattern.DOTALL).matcher(text);
        while (block.find()) {
            for (String line : block.group(1).replace("\\\n", " ").split("\n")) {
                String l = line.replaceAll("\\s+#.*$", "").strip();
                if (l.startsWith("./ntk ")) {
                    lines.add(l.substring("./ntk ".length()));
                } else if (l.contains("spark-submit.jar")) {
                    lines.add(l.substring(l.indexOf("spark-submit.jar") + "spark-submit.jar".length()).strip());
                }
            }
        }
        for (CommandSpec c : commands().values()) {
            for (String f : c.usageMessage().footer()) {
                if (f.strip().startsWith("ntk ")) {
                    lines.add(f.strip().substring("ntk ".length()));
                }
            }
        }
        return lines;
    }

    /** Words as a POSIX shell splits them (single and double quotes; no expansions in the examples). */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean any = false;
        char quote = 0;
        for (char ch : line.toCharArray()) {
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else {
                    w.append(ch);
                }
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                any = true;
            } else if (Character.isWhitespace(ch)) {
                if (any || !w.isEmpty()) {
                    out.add(w.toString());
                }
                w.setLength(0);
                any = false;
            } else {
                w.append(ch);
            }
        }
        if (any || !w.isEmpty()) {
            out.add(w.toString());
        }
        return out;
    }

    private static final Set<String> PATH_FLAGS = Set.of("--x", "--y", "--x-test", "--y-test", "--weights",
            "--save-weights", "--save-trained", "--out", "--out-dir", "--csv", "--cov");

    @Test
    void everyCommandLineInTheReadmeAndTheHelpRuns() throws IOException {
        Set<String> commandsShown = new TreeSet<>();
        int ran = runExamples(dir, false, commandsShown);
        assertTrue(commandsShown.containsAll(commands().keySet()), "every command has an example: " + commandsShown);
        assertTrue(ran >= 10, "examples run: " + ran + " of " + examples().size());
    }

    /**
     * Runs the command lines the README and the help texts show, in {@code dir} (the files they name made there
     * first), and returns how many ran; the commands shown are added to {@code commandsShown}. Those with --spark
     * need ntk4j-cli-spark, which is not on the CLI's class path: without {@code withSpark} their flags are only
     * checked, with it only they run (ntk4j-cli-spark's tests call this). Slow ones, and those with a cluster's paths,
     * are only checked.
     */
    static int runExamples(Path dir, boolean withSpark, Set<String> commandsShown) throws IOException {
        // The files the examples name: 64 input features and 10 outputs throughout.
        for (String f : List.of("X.npy", "train.npy", "A.npy", "B.npy")) {
            Cli.randomInputs(dir.resolve(f), 12, 64, f.hashCode(), false);
        }
        for (String f : List.of("XT.npy", "test.npy")) {
            Cli.randomInputs(dir.resolve(f), 5, 64, f.hashCode(), false);
        }
        Cli.randomInputs(dir.resolve("Y.npy"), 12, 10, 1, false);
        Cli.randomInputs(dir.resolve("y.npy"), 12, 10, 2, false);
        Cli.randomInputs(dir.resolve("ytest.npy"), 5, 10, 3, false);
        ParametersIO.save(Parameters.init(Architecture.builder(64).hidden(16).output(10).build(), 4), dir.resolve("P.npz"));
        // the README's PyTorch recipe saves nn.Linear weights (out, in) and biases, without ntk4j's settings
        Parameters torch = Parameters.init(Architecture.builder(64).hidden(32).output(10).build(), 5);
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        for (int l = 0; l < 2; l++) {
            arrays.put("W" + l, new Tensor(new int[] {torch.architecture().width(l + 1), torch.architecture().width(l)},
                    torch.weights(l)));
            arrays.put("b" + l, new Tensor(new int[] {torch.architecture().width(l + 1)}, torch.bias(l)));
        }
        Npz.write(dir.resolve("mlp.npz"), arrays);
        // and the CNN recipe: Conv2d (out, in, kh, kw) and Linear weights for 8×8×1 images, inputs as (N, C, H, W)
        Parameters cnn = Parameters.init(org.ntk4j.model.Architecture.parse(
                "8x8x1:conv(8,3x3,same),relu,avgpool(2x2),flatten,dense(10)", org.ntk4j.model.Parameterization.STANDARD), 6);
        Npz.write(dir.resolve("cnn.npz"), Map.of("W0", new Tensor(new int[] {8, 1, 3, 3}, cnn.weights(0)), "b0",
                new Tensor(new int[] {8}, cnn.bias(0)), "W1", new Tensor(new int[] {10, 128}, cnn.weights(1)), "b1",
                new Tensor(new int[] {10}, cnn.bias(1))));
        org.ntk4j.io.Npy.write(dir.resolve("X_nchw.npy"), org.ntk4j.io.Npy.read(dir.resolve("X.npy")).reshape(12, 1, 8, 8));

        List<String> examples = examples();
        int ran = 0;
        for (String line : examples) {
            List<String> w = words(line);
            List<String> args = new ArrayList<>();
            for (int i = 0; i < w.size(); i++) {
                String a = w.get(i);
                boolean path = i > 0 && PATH_FLAGS.contains(w.get(i - 1));
                args.add(path ? dir.resolve(a.replaceFirst("^/+", "")).toString() : a);
            }
            String cmd = args.get(0);
            commandsShown.add(cmd);
            boolean slow = (cmd.equals("demo") || cmd.equals("bench")) && !args.contains("--quick");
            boolean cluster = line.contains("/shared/");
            boolean spark = args.stream().anyMatch(a -> a.equals("--spark") || a.startsWith("--spark="));
            if (withSpark && !spark) {
                continue;
            }
            if (slow || cluster || spark && !withSpark) {
                // minutes of work, or a cluster's paths: the flags are checked, the work is not done here
                CommandLine cl = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
                try {
                    cl.parseArgs(args.toArray(String[]::new));
                } catch (CommandLine.ParameterException e) {
                    throw new AssertionError("ntk " + line + ": " + e.getMessage(), e);
                }
                continue;
            }
            if (cmd.equals("bench")) {
                args.addAll(List.of("--peer", "off")); // the peer's own test is BenchCommandTest
            }
            if (cmd.equals("demo") && !args.contains("--out-dir")) {
                // its default folder is ./ntk-demo: the test's working directory is the module's source tree
                args.addAll(List.of("--out-dir", dir.resolve("ntk-demo-" + ran).toString()));
            }
            args.add("-q");
            Cli.Result r = Cli.run(args.toArray());
            assertEquals(0, r.code(), "ntk " + line + "\n" + r);
            ran++;
        }
        return ran;
    }

    @Test
    void everyFlagTheReadmeNamesForNtkIsAnOptionOfACommand() throws IOException {
        String text = Files.readString(README);
        int from = text.indexOf("## The `ntk` command line");
        int to = text.indexOf("## What it computes");
        assertTrue(from >= 0 && to > from, "README sections moved");
        String section = text.substring(from, to).replaceAll("(?s)```.*?```", "");
        Set<String> known = new TreeSet<>(Set.of("--help", "--version"));
        commands().values().forEach(c -> c.options().forEach(o -> known.addAll(List.of(o.names()))));
        Matcher m = Pattern.compile("`[^`]*`").matcher(section);
        Set<String> unknown = new TreeSet<>();
        while (m.find()) {
            Matcher flag = Pattern.compile("(?<![\\w-])--[a-z][a-z0-9-]*").matcher(m.group());
            while (flag.find()) {
                if (!known.contains(flag.group()) && !RenamedFlags.isOldSpelling(flag.group())) {
                    unknown.add(flag.group());
                }
            }
        }
        assertTrue(unknown.isEmpty(), "README names flags no command has: " + unknown);
    }
}
