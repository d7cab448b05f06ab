package org.ntk4j.internal.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.Charset;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reserving disk space for a file through {@code posix_fallocate} (Linux, through the FFM API), so that a full
 * disk fails when the file is created instead of as a SIGBUS when a page of its memory map is first written.
 * Without native access, or elsewhere, callers fall back to writing zeros.
 */
@SuppressWarnings("restricted") // the FFM downcalls into libc are the point of this class
final class NativeFiles {
    private static final int O_WRONLY = 1;
    private static final int O_CREAT = 0x40;
    private static final int O_EXCL = 0x80;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EINTR = 4;
    private static final int ENOSPC = 28;
    private static final int EFBIG = 27;
    private static final int EDQUOT = 122;

    private static final MethodHandle OPEN;
    private static final MethodHandle FALLOCATE;
    private static final MethodHandle CLOSE;

    static {
        MethodHandle open = null;
        MethodHandle fallocate = null;
        MethodHandle close = null;
        boolean linux = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                && System.getProperty("os.arch", "").matches("amd64|x86_64|aarch64");
        if (linux && NativeFiles.class.getModule().isNativeAccessEnabled()) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                open = linker.downcallHandle(libc.find("open").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
                fallocate = linker.downcallHandle(libc.find("posix_fallocate").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_LONG));
                close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            } catch (RuntimeException e) {
                open = null;
            }
        }
        OPEN = open;
        FALLOCATE = fallocate;
        CLOSE = close;
    }

    private NativeFiles() {
    }

    /**
     * Creates {@code file} (which must not exist) with {@code size} bytes reserved. Returns false, creating nothing,
     * where this cannot be done natively (the caller then creates the file and writes zeros). A full disk or quota
     * throws, naming {@code target}, and leaves no file.
     */
    static boolean createReserved(Path file, long size, Path target) throws IOException {
        if (OPEN == null) {
            return false;
        }
        int err;
        try (Arena arena = Arena.ofConfined()) {
            Charset cs = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
            if (!cs.newEncoder().canEncode(file.toString())) {
                return false; // the name's bytes would differ from Java's; let Java create the file
            }
            MemorySegment name = arena.allocateFrom(file.toString(), cs);
            int fd = (int) OPEN.invokeExact(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd < 0) {
                return false; // the Java call that follows reports why, in its own words
            }
            do {
                err = (int) FALLOCATE.invokeExact(fd, 0L, size);
            } while (err == EINTR);
            int closed = (int) CLOSE.invokeExact(fd);
            if (err == 0 && closed == 0) {
                return true;
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
        Files.deleteIfExists(file);
        return switch (err) {
            case ENOSPC, EDQUOT -> throw new FileSystemException(target.toString(), null,
                    "No space left on device (" + size + " bytes needed)");
            case EFBIG -> throw new FileSystemException(target.toString(), null,
                    "file too large (" + size + " bytes) for this file system");
            default -> false; // not supported here (EOPNOTSUPP, EINVAL, …): zeros are written instead
        };
    }
}
