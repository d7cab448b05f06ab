package org.ntk4j.internal.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Output names that stand for one of this process's open descriptors ({@code /dev/stdout}, {@code /dev/fd/N},
 * {@code /proc/self/fd/N}, …) on Linux. Such a name must be written through the descriptor: following its link to
 * the file behind it and renaming over that file would replace what the shell opened for appending, and when the
 * shell closed the descriptor ({@code >&-}) the JVM's own first opened file (the JDK's {@code lib/modules}) holds
 * that number.
 */
public final class Descriptors {
    private static final int MAX_LINKS = 40;
    private static final Path PROC_SELF = Path.of("/proc/self");

    private Descriptors() {
    }

    /**
     * The descriptor that {@code target} names through its symbolic links, or -1 when it names none (or elsewhere
     * than Linux).
     *
     * @param target a path such as {@code /dev/stdout} or {@code /proc/self/fd/3}
     * @return the descriptor's number, or -1
     */
    public static int number(Path target) {
        if (!Files.isDirectory(PROC_SELF.resolve("fdinfo"))) {
            return -1;
        }
        Path p = target.toAbsolutePath().normalize();
        for (int hop = 0; hop < MAX_LINKS && p != null; hop++) {
            int fd = descriptorPath(p);
            if (fd >= 0) {
                return fd;
            }
            p = firstLinkResolved(p);
        }
        return -1;
    }

    /**
     * The descriptor open for writing, appending (the shell's {@code >>} stays an append, and {@code >} loses
     * nothing written before); a descriptor not open, or open only for reading, is an error naming {@code target}.
     */
    static FileChannel openForWriting(Path target, int fd) throws IOException {
        String flags = null;
        try {
            for (String line : Files.readAllLines(PROC_SELF.resolve("fdinfo").resolve(Integer.toString(fd)))) {
                if (line.startsWith("flags:")) {
                    flags = line.substring("flags:".length()).trim();
                }
            }
        } catch (NoSuchFileException e) {
            throw new FileSystemException(target.toString(), null, "descriptor " + fd + " is not open"
                    + (fd <= 2 ? " (the shell closed it)" : ""));
        }
        // The access mode is the low two bits of the octal flags: 0 read-only, 1 write-only, 2 read-write.
        if (flags == null || (Integer.parseInt(flags, 8) & 3) == 0) {
            // A descriptor the shell closed shows here too: the JVM's first opened file took its number.
            throw new FileSystemException(target.toString(), null, "descriptor " + fd + " is not open for writing");
        }
        Path fdPath = PROC_SELF.resolve("fd").resolve(Integer.toString(fd));
        OutputFile.refuseSystemFile(target, fdPath);
        try {
            return FileChannel.open(fdPath, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw OutputFile.named(target, e);
        }
    }

    /** N for {@code /dev/fd/N}, {@code /proc/self/fd/N}, {@code /proc/thread-self/fd/N} or /proc/PID[/task/TID]/fd/N. */
    private static int descriptorPath(Path p) {
        int n = p.getNameCount();
        if (n < 3 || !p.getName(n - 2).toString().equals("fd") || !p.getFileName().toString().matches("[0-9]{1,9}")) {
            return -1;
        }
        String first = p.getName(0).toString();
        boolean ours = n == 3 && first.equals("dev")
                || first.equals("proc") && (n == 4 && isSelf(p.getName(1).toString())
                || n == 6 && isSelf(p.getName(1).toString()) && p.getName(2).toString().equals("task"));
        return ours ? Integer.parseInt(p.getFileName().toString()) : -1;
    }

    private static boolean isSelf(String s) {
        return s.equals("self") || s.equals("thread-self") || s.equals(Long.toString(ProcessHandle.current().pid()));
    }

    /** {@code p} with its first component that is a symbolic link replaced by the link's target; null when none is. */
    private static Path firstLinkResolved(Path p) {
        Path prefix = p.getRoot();
        for (int i = 0; i < p.getNameCount(); i++) {
            prefix = prefix.resolve(p.getName(i));
            if (Files.isSymbolicLink(prefix)) {
                try {
                    Path resolved = prefix.getParent().resolve(Files.readSymbolicLink(prefix)).normalize();
                    return i + 1 < p.getNameCount() ? resolved.resolve(p.subpath(i + 1, p.getNameCount())) : resolved;
                } catch (IOException | RuntimeException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
