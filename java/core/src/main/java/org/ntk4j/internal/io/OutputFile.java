package org.ntk4j.internal.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.ntk4j.io.NpyFormatException;
import org.ntk4j.io.OutputInUseException;

/**
 * A file that appears complete or not at all, and never replaces anything but a regular file.
 *
 * <p>A regular (or not yet existing) target is written to a uniquely named temporary file in its own folder,
 * flushed to disk, and renamed over the target by {@link #commit()}; until then the old file is untouched, and
 * {@link #close()} without commit (an error, Ctrl-C through a shutdown hook) removes the temporary file. A symbolic
 * link is followed: the file it points to is replaced and the link stays. A target that exists and is not a regular
 * file (a device such as {@code /dev/null}, a FIFO) is written through, never renamed over; so is a name of one of
 * this process's descriptors ({@code /dev/stdout}, {@code /dev/fd/N}, {@code /proc/self/fd/N}), appending, whatever
 * it is open on, and refused when the descriptor is closed or not open for writing. No output ever resolves into
 * the Java runtime's own files.
 *
 * <p>Two writers of the same target do not interleave: the temporary file is locked while it is written, and a
 * second writer that finds a live one refuses with {@link OutputInUseException} (temporary files left by a killed
 * process hold no lock and are removed). Every failure is reported with the target's name, not the temporary one.
 */
public final class OutputFile implements AutoCloseable {
    /** A consumer of the output stream that may fail. */
    @FunctionalInterface
    public interface Body {
        /**
         * Writes the file's content.
         *
         * @param out the stream to write to (buffered; not to be closed)
         * @throws IOException when writing fails
         */
        void write(OutputStream out) throws IOException;
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String MARK = ".ntk4j-";
    /** Targets (real paths) written by this JVM now: file locks do not exclude writers within one process. */
    private static final Set<Path> ACTIVE = ConcurrentHashMap.newKeySet();
    /** Outputs claimed by {@link #claim} and not yet written, by destination. */
    private static final java.util.Map<Path, OutputFile> CLAIMED = new ConcurrentHashMap<>();
    /** Open outputs whose temporary files the shutdown hook removes. */
    private static final Set<OutputFile> OPEN = ConcurrentHashMap.newKeySet();
    /**
     * Temporary names on their way to an open output (created, locked, scanned, reserved: the last can take a while
     * for a large file), which the shutdown hook removes too: a signal in that window left them behind.
     */
    private static final Set<Path> CREATING = ConcurrentHashMap.newKeySet();

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // Only unlink: another thread may still be writing (or have the file mapped) until the JVM halts.
                for (OutputFile f : OPEN) {
                    f.deleteTemporaryQuietly();
                }
                for (Path p : CREATING) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        System.err.println("ntk4j: could not remove the unfinished " + p + " (" + e.getMessage() + ")");
                    }
                }
            }, "ntk4j-output-cleanup"));
        } catch (IllegalStateException e) {
            // first used while the JVM shuts down: close() still removes unfinished files
        }
    }

    private final Path target;
    private final Path destination;
    private final Path temp;
    private final FileChannel channel;
    private volatile boolean committed;
    private volatile boolean closed;
    /** The thread whose next {@link #open} of this target gets this file, for a claimed output; else null. */
    private volatile Thread claimant;

    private OutputFile(Path target, Path destination, Path temp, FileChannel channel) {
        this.target = target;
        this.destination = destination;
        this.temp = temp;
        this.channel = channel;
    }

    /**
     * Opens {@code target} for writing; see the class comment.
     *
     * @param target the file to write
     * @return the open output; commit it, then close it
     * @throws OutputInUseException when another writer is writing the same file
     * @throws java.io.IOException when the folder cannot be written
     */
    public static OutputFile open(Path target) throws IOException {
        return open(target, 0);
    }

    /**
     * Opens {@code target} for writing, reserving {@code size} bytes on disk first for a regular target, so that a
     * full disk is reported here rather than as a fault while a memory-mapped file is filled.
     *
     * @param target the file to write
     * @param size   bytes to reserve
     * @return the open output; commit it, then close it
     * @throws OutputInUseException when another writer is writing the same file
     * @throws java.io.IOException when the folder cannot be written or the disk has no room
     */
    public static OutputFile open(Path target, long size) throws IOException {
        int fd = Descriptors.number(target);
        if (fd >= 0) {
            return new OutputFile(target, null, null, Descriptors.openForWriting(target, fd));
        }
        if (Files.isDirectory(target)) {
            throw new FileSystemException(target.toString(), null, "is a directory");
        }
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            try {
                return new OutputFile(target, null, null, FileChannel.open(target, StandardOpenOption.WRITE));
            } catch (IOException e) {
                throw named(target, e);
            }
        }
        if (!Files.exists(target) && Files.isSymbolicLink(target)) {
            throw new FileSystemException(target.toString(), null, "is a symbolic link to a missing file ("
                    + Files.readSymbolicLink(target) + ")");
        }
        Path destination = destination(target);
        OutputFile claimed = CLAIMED.get(destination);
        if (claimed != null && claimed.claimant == Thread.currentThread() && CLAIMED.remove(destination, claimed)) {
            claimed.claimant = null;
            if (size > 0) {
                zeroFill(claimed.channel, size);
            }
            return claimed;
        }
        if (!ACTIVE.add(destination)) {
            throw new OutputInUseException(target.toString(), "this program is already writing it");
        }
        try {
            return openTemporary(target, destination, size);
        } catch (IOException | RuntimeException | Error e) {
            ACTIVE.remove(destination);
            throw e;
        }
    }

    /**
     * Claims {@code target} for a whole run whose result is written at its end: the temporary file is created and
     * locked now, so that a second writer of the same file is refused at once rather than both running to the end
     * and the last one winning. The calling thread's next {@link #open} (or {@link #write}) of the target writes
     * into the claimed file. Closing the claim gives it up (removing the temporary file) unless it was written;
     * a device or descriptor target is written through at the end and holds nothing now.
     *
     * @param target the file to be written later by this thread
     * @return the claim, to be closed when the run ends
     * @throws OutputInUseException when another writer is writing the same file
     * @throws java.io.IOException when the folder cannot be written
     */
    public static Claim claim(Path target) throws IOException {
        if (Descriptors.number(target) >= 0 || Files.exists(target) && !Files.isRegularFile(target)
                && !Files.isDirectory(target)) {
            return () -> { };
        }
        OutputFile f = open(target);
        f.claimant = Thread.currentThread();
        CLAIMED.put(f.destination, f);
        return f::close;
    }

    /** A claimed output, given up when closed unless written meanwhile. */
    @FunctionalInterface
    public interface Claim extends AutoCloseable {
        /** Gives the claim up: removes the temporary file unless the output was written. */
        @Override
        void close();
    }

    /**
     * Writes a file through {@code body} and commits it; nothing is left behind if {@code body} fails.
     *
     * @param target the file to write
     * @param body   what writes its content
     * @throws java.io.IOException when the file cannot be written (nothing is left behind)
     */
    public static void write(Path target, Body body) throws IOException {
        try (OutputFile f = open(target)) {
            try (OutputStream out = new java.io.BufferedOutputStream(f.stream(), 1 << 16)) {
                body.write(out);
            }
            f.commit();
        }
    }

    /**
     * Text (UTF-8) written as one file.
     *
     * @param target the file to write
     * @param text   its content
     * @throws java.io.IOException when the file cannot be written (nothing is left behind)
     */
    public static void writeString(Path target, CharSequence text) throws IOException {
        write(target, out -> out.write(text.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Whether two paths name the same file — through symbolic links, {@code ..} and hard links; a path that does
     * not exist yet is compared by its real folder and its name. For checking a program's outputs against its
     * inputs and against each other before anything is written.
     *
     * @param a one path
     * @param b another path
     * @return true when both name the same file
     */
    public static boolean sameFile(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
            return canonical(a).equals(canonical(b));
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    private static Path canonical(Path p) throws IOException {
        if (Files.exists(p)) {
            return p.toRealPath();
        }
        Path abs = p.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null || abs.getFileName() == null) {
            return abs;
        }
        return (Files.isDirectory(parent) ? parent.toRealPath() : parent).resolve(abs.getFileName());
    }

    /**
     * The path the caller asked for (what messages name).
     *
     * @return the target
     */
    public Path target() {
        return target;
    }

    /**
     * Whether the output goes to a regular file (temporary file + rename); false when written through to a device.
     *
     * @return true for a regular file
     */
    public boolean isRegularFile() {
        return temp != null;
    }

    /**
     * The channel to write (readable and writable for a regular file, so it can be memory-mapped).
     *
     * @return the channel
     */
    public FileChannel channel() {
        return channel;
    }

    /**
     * A stream onto {@link #channel()} whose failures name the target; closing it does not close the file.
     *
     * @return a new stream
     */
    public OutputStream stream() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                try {
                    while (buf.hasRemaining()) {
                        channel.write(buf);
                    }
                } catch (IOException e) {
                    throw failure(e);
                }
            }
        };
    }

    /**
     * The exception to report for a failure while writing: {@code e}'s reason, naming the target.
     *
     * @param e the failure
     * @return an exception naming the target
     */
    public IOException failure(IOException e) {
        return named(target, e);
    }

    /**
     * Flushes the data to disk and renames the file into place (for a device: closes it).
     *
     * @throws java.io.IOException when the data cannot be flushed or the file renamed
     */
    public void commit() throws IOException {
        if (committed || closed) {
            throw new IllegalStateException(target + " is already " + (committed ? "committed" : "closed"));
        }
        try {
            if (temp != null) {
                channel.force(true);
            }
            channel.close();
            if (temp != null) {
                Files.move(temp, destination, StandardCopyOption.ATOMIC_MOVE);
                syncFolder(destination.getParent());
            }
        } catch (IOException e) {
            throw failure(e);
        }
        committed = true;
    }

    /** Without {@link #commit()}: removes the temporary file; the target stays as it was. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!committed) {
            discardQuietly();
        }
        OPEN.remove(this);
        if (destination != null) {
            CLAIMED.remove(destination, this);
            ACTIVE.remove(destination);
        }
    }

    private void discardQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            // being discarded
        }
        deleteTemporaryQuietly();
    }

    private void deleteTemporaryQuietly() {
        if (temp != null && !committed) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                System.err.println("ntk4j: could not remove the unfinished " + temp + " (" + e.getMessage() + ")");
            }
        }
    }

    /**
     * Refuses an output that resolves into the Java runtime this program runs on (whatever name led there): a file
     * the user did not name.
     */
    static void refuseSystemFile(Path target, Path resolved) throws IOException {
        Path real;
        Path home;
        try {
            real = resolved.toRealPath();
            home = Path.of(System.getProperty("java.home")).toRealPath();
        } catch (IOException | RuntimeException e) {
            return; // nothing there yet, or no runtime folder to compare with
        }
        if (real.startsWith(home)) {
            throw new FileSystemException(target.toString(), null, "resolves to " + real + ", a file of the Java"
                    + " runtime this program runs on; refusing to write it");
        }
    }

    /** Where the finished file goes: the target's real path (links followed), in its real folder. */
    private static Path destination(Path target) throws IOException {
        if (Files.exists(target)) {
            refuseSystemFile(target, target);
            try {
                return target.toRealPath();
            } catch (IOException e) {
                throw named(target, e);
            }
        }
        Path abs = target.toAbsolutePath();
        Path parent = abs.getParent();
        if (parent == null || abs.getFileName() == null) {
            throw new FileSystemException(target.toString(), null, "is not a file name");
        }
        if (!Files.isDirectory(parent)) {
            throw new NoSuchFileException(target.toString(), null, "folder " + parent + " does not exist");
        }
        refuseSystemFile(target, parent);
        return parent.toRealPath().resolve(abs.getFileName());
    }

    private static OutputFile openTemporary(Path target, Path destination, long size) throws IOException {
        Path folder = destination.getParent();
        String name = destination.getFileName().toString();
        String family = hint(name) + MARK + hash(name) + "-";
        String id = HexFormat.of().toHexDigits(RANDOM.nextLong());
        // Created and locked under a name other writers ignore, then renamed into the family they look at: a
        // writer's temporary file is never seen unlocked, so it cannot be taken for a dead one's.
        Path fresh = folder.resolve(family + id + ".new");
        Path temp = folder.resolve(family + id + ".tmp");
        FileChannel ch = null;
        CREATING.add(fresh);
        CREATING.add(temp);
        try {
            boolean reserved = size > 0 && NativeFiles.createReserved(fresh, size, target);
            ch = FileChannel.open(fresh, reserved
                    ? new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE}
                    : new StandardOpenOption[] {StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE});
            if (ch.tryLock() == null) {
                throw new FileSystemException(target.toString(), null, "could not lock a new file in " + folder);
            }
            Files.move(fresh, temp, StandardCopyOption.ATOMIC_MOVE);
            copyPermissions(destination, temp);
            String busy = otherWriter(folder, family, temp);
            if (busy != null) {
                throw new OutputInUseException(target.toString(), "another process is writing it (" + busy
                        + "); wait for it to finish or choose another output");
            }
            if (size > 0 && !reserved) {
                zeroFill(ch, size);
            }
            OutputFile f = new OutputFile(target, destination, temp, ch);
            OPEN.add(f); // before it leaves CREATING: at no moment is the file unknown to the shutdown hook
            return f;
        } catch (IOException | RuntimeException | Error e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            for (Path p : new Path[] {fresh, temp}) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof IOException io) {
                throw named(target, io);
            }
            throw e;
        } finally {
            CREATING.remove(fresh);
            CREATING.remove(temp);
        }
    }

    /**
     * The name of a live temporary file of another writer of the same target, or null. Temporary files nobody holds
     * locked were left by a process that died; they are removed (a {@code .new} file only once it is an hour old:
     * until it is renamed it is unlocked even while its writer lives).
     */
    private static String otherWriter(Path folder, String family, Path mine) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder,
                p -> p.getFileName().toString().startsWith(family))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (p.equals(mine) || !(n.endsWith(".tmp") || n.endsWith(".new") && isOld(p))) {
                    continue;
                }
                try (FileChannel other = FileChannel.open(p, StandardOpenOption.WRITE)) {
                    FileLock l;
                    try {
                        l = other.tryLock();
                    } catch (OverlappingFileLockException e) {
                        l = null;
                    }
                    if (l == null) {
                        return p.getFileName().toString();
                    }
                    Files.deleteIfExists(p);
                } catch (NoSuchFileException e) {
                    // finished or removed meanwhile
                }
            }
        }
        return null;
    }

    private static boolean isOld(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis() < System.currentTimeMillis() - 3_600_000L;
        } catch (IOException e) {
            return false;
        }
    }

    private static void copyPermissions(Path from, Path to) {
        try {
            if (Files.exists(from)) {
                Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // the default permissions of a new file then; not worth failing the write
        }
    }

    /** Writes zeros over the whole size, so that a full disk shows now (when reserving natively is not possible). */
    private static void zeroFill(FileChannel ch, long size) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(size, 1 << 20));
        long pos = 0;
        while (pos < size) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), size - pos));
            pos += ch.write(zeros, pos);
        }
    }

    private static void syncFolder(Path folder) {
        try (FileChannel d = FileChannel.open(folder, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException e) {
            // not every platform syncs a folder; the file itself is on disk
        }
    }

    /** Up to 40 characters of the name, in a portable alphabet: the temporary file's name says whose it is. */
    private static String hint(String name) {
        StringBuilder sb = new StringBuilder(".");
        for (int i = 0; i < name.length() && sb.length() <= 40; i++) {
            char c = name.charAt(i);
            sb.append(c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-') ? c : '_');
        }
        return sb.toString();
    }

    private static String hash(String name) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * {@code e} as a file-system exception about {@code target}, keeping its reason and its kind where it has one.
     *
     * @param target the file the caller was reading or writing
     * @param e      what went wrong, possibly about a temporary or linked name
     * @return an exception that names {@code target}
     */
    public static IOException named(Path target, IOException e) {
        if (e instanceof OutputInUseException || e instanceof NpyFormatException
                || e instanceof FileSystemException f && target.toString().equals(f.getFile())) {
            return e;
        }
        String reason = e instanceof FileSystemException f ? f.getReason() : e.getMessage();
        if (reason == null || reason.isBlank()) {
            reason = e instanceof AccessDeniedException ? "permission denied" : e.getClass().getSimpleName();
        }
        FileSystemException n = e instanceof AccessDeniedException
                ? new AccessDeniedException(target.toString(), null, reason)
                : new FileSystemException(target.toString(), null, reason);
        n.initCause(e);
        return n;
    }
}
