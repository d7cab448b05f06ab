package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java example in README.md is compiled and run exactly as printed there, so it cannot go stale. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void readmeExampleCompilesAndRuns() throws Exception {
        Path readme = Path.of("../../README.md");
        String text = Files.readString(readme);
        Matcher m = Pattern.compile("<!-- example: (\\w+) -->\\s*```java\\n(.*?)```", Pattern.DOTALL).matcher(text);
        assertTrue(m.find(), "README.md has no '<!-- example: Name -->' java block");
        String className = m.group(1);
        String body = m.group(2);
        assertTrue(body.lines().count() <= 16, "the README example should stay short");
        Path src = dir.resolve(className + ".java");
        Files.writeString(src, body);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "tests need a JDK, not a JRE");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, null, err, "-d", dir.toString(), "-cp", System.getProperty("java.class.path"),
                "--add-modules", "jdk.incubator.vector", "-proc:none", src.toString());
        assertEquals(0, rc, "README example does not compile:\n" + err.toString(StandardCharsets.UTF_8));
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            Method main = loader.loadClass(className).getMethod("main", String[].class);
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(old);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        List<String> lines = printed.lines().toList();
        assertTrue(!lines.isEmpty() && printed.contains("Θ"), "the example printed: " + printed);
    }
}
