package org.ntk4j.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.ntk4j.Tensor;
import org.ntk4j.internal.io.OutputFile;

/**
 * NumPy {@code .npz} archives: a zip of {@code name.npy} entries, stored or deflated (np.savez / savez_compressed).
 *
 * <p>{@link #open} reads only the archive's directory; each member is decoded when asked for, so unused members
 * cost nothing. Before a member's array is allocated its size is checked against the archive (a stored member) or
 * the member is inflated once without keeping anything, counting bytes and checking its CRC-32 (a deflated one), so
 * a member that lies about its size, a flipped bit ("corrupt member W0") or a zip bomb is refused first. Deflated
 * members larger than {@value #BOMB_FLOOR_MIB} MiB may expand at most {@value #MAX_EXPANSION}×; honest arrays that
 * compress better than that (mostly zeros) can be saved uncompressed.
 */
public final class Npz {
    static final int BOMB_FLOOR_MIB = 64;
    static final int MAX_EXPANSION = 100;
    private static final long BOMB_FLOOR = (long) BOMB_FLOOR_MIB << 20;
    /** Deflate expands at most ~1032× (a 258-byte match per ~2 bits); more is a lie, whatever the size. */
    private static final long DEFLATE_LIMIT = 1100;

    private Npz() {
    }

    /**
     * Reads every array, in archive order, keyed by name without the {@code .npy} suffix.
     *
     * @param file the .npz file
     * @return an unmodifiable map in archive order
     * @throws NpyFormatException when the file is not a zip of .npy arrays ntk4j reads
     * @throws java.io.IOException when the file cannot be read
     */
    public static Map<String, Tensor> read(Path file) throws IOException {
        try (Archive a = open(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String key : a.names()) {
                if (a.isArray(key)) {
                    out.put(key, a.array(key));
                }
            }
            return Collections.unmodifiableMap(out);
        }
    }

    /**
     * Opens an archive, reading its directory only.
     *
     * @param file the .npz file
     * @return the open archive; close it
     * @throws NpyFormatException when the file is not a zip archive
     * @throws java.io.IOException when the file cannot be read
     */
    public static Archive open(Path file) throws IOException {
        Npy.requireReadableFile(file);
        if (Files.isDirectory(file)) {
            throw new FileSystemException(file.toString(), null, "is a directory, not a .npz file");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new NpyFormatException(file.toString(), "not a .npz archive (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw OutputFile.named(file, e);
        }
        try {
            return new Archive(file, zip);
        } catch (IOException | RuntimeException e) {
            try {
                zip.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** An open archive; members are read on demand. */
    public static final class Archive implements AutoCloseable {
        private final Path file;
        private final ZipFile zip;
        private final Map<String, ZipEntry> members = new LinkedHashMap<>();

        private Archive(Path file, ZipFile zip) throws IOException {
            this.file = file;
            this.zip = zip;
            long length = Files.size(file);
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                String key = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4) : e.getName();
                if (members.put(key, e) != null) {
                    throw new NpyFormatException(file.toString(), "member " + key + " appears twice");
                }
                if (e.getSize() < 0 || e.getCompressedSize() < 0 || e.getCompressedSize() > length) {
                    throw corrupt(key, "its sizes (" + e.getCompressedSize() + " bytes stored of an archive of "
                            + length + ") are impossible");
                }
                if (e.getMethod() == ZipEntry.STORED && e.getCompressedSize() != e.getSize()) {
                    throw corrupt(key, "stored with " + e.getCompressedSize() + " bytes but " + e.getSize() + " declared");
                }
            }
        }

        /**
         * Member names without the {@code .npy} suffix, in archive order.
         *
         * @return an unmodifiable list
         */
        public List<String> names() {
            return new ArrayList<>(members.keySet());
        }

        /**
         * Whether the archive has a member of this name.
         *
         * @param key the name without {@code .npy}
         * @return true when there is one
         */
        public boolean contains(String key) {
            return members.containsKey(key);
        }

        /**
         * Whether a member is a .npy array (by name; np.savez names every array {@code key.npy}).
         *
         * @param key the name without {@code .npy}
         * @return true for an array member
         */
        public boolean isArray(String key) {
            ZipEntry e = members.get(key);
            return e != null && e.getName().endsWith(".npy");
        }

        /**
         * Decodes one array member, checked as the class comment says.
         *
         * @param key the name without {@code .npy}
         * @return the array, its values in a new array
         * @throws NpyFormatException when the member is missing or not an array ntk4j reads
         * @throws java.io.IOException when the file cannot be read
         */
        public Tensor array(String key) throws IOException {
            ZipEntry e = entry(key);
            String name = file + ":" + e.getName();
            long size = verify(key, e);
            try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(e), new CRC32())) {
                Tensor a = Npy.read(in, name, size);
                if (in.read() >= 0) {
                    throw corrupt(key, "it holds more than the " + size + " bytes the archive says");
                }
                if (in.getChecksum().getValue() != e.getCrc()) {
                    throw corrupt(key, "CRC-32 mismatch");
                }
                return a;
            } catch (ZipException | EOFException ex) {
                throw corrupt(key, "damaged data: " + reason(ex));
            }
        }

        /** The raw bytes of a small member (at most {@code max} bytes), CRC-checked. */
        byte[] bytes(String key, int max) throws IOException {
            ZipEntry e = entry(key);
            if (e.getSize() > max) {
                throw corrupt(key, e.getSize() + " bytes, more than the " + max + " expected");
            }
            long size = verify(key, e);
            try (InputStream in = zip.getInputStream(e)) {
                byte[] b = in.readNBytes((int) size);
                if (b.length != size) {
                    throw corrupt(key, "it holds " + b.length + " of the " + size + " bytes the archive says");
                }
                return b;
            } catch (ZipException | EOFException ex) {
                throw corrupt(key, "damaged data: " + reason(ex));
            }
        }

        private ZipEntry entry(String key) throws NpyFormatException {
            ZipEntry e = members.get(key);
            if (e == null) {
                throw new NpyFormatException(file.toString(), "has no member " + key + " (it has " + members.keySet() + ")");
            }
            return e;
        }

        /**
         * Proves a member's declared size before anything of that size is allocated: stored members were checked
         * against the archive's length when it was opened; a deflated one is inflated once into a small buffer,
         * counting its bytes and checking its CRC-32. Returns the size.
         */
        private long verify(String key, ZipEntry e) throws IOException {
            long size = e.getSize();
            if (e.getMethod() != ZipEntry.DEFLATED) {
                return size;
            }
            long stored = Math.max(1, e.getCompressedSize());
            if (size / stored > DEFLATE_LIMIT) {
                throw corrupt(key, "it declares " + size + " bytes from " + e.getCompressedSize() + " compressed, more than"
                        + " deflate can expand");
            }
            if (size > BOMB_FLOOR && size / stored >= MAX_EXPANSION) {
                throw new NpyFormatException(file.toString(), String.format(Locale.ROOT, "member %s would expand %d×"
                                + " (%d → %d bytes); refusing it as a likely zip bomb (honest arrays this repetitive can"
                                + " be saved uncompressed, np.savez)", key, size / stored, e.getCompressedSize(), size));
            }
            CRC32 crc = new CRC32();
            byte[] buf = new byte[8192];
            long total = 0;
            try (InputStream in = zip.getInputStream(e)) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    total += n;
                    if (total > size) {
                        throw corrupt(key, "it inflates to more than the " + size + " bytes the archive says");
                    }
                    crc.update(buf, 0, n);
                }
            } catch (ZipException | EOFException ex) {
                throw corrupt(key, "damaged compressed data: " + reason(ex));
            }
            if (total != size) {
                throw corrupt(key, "it inflates to " + total + " of the " + size + " bytes the archive says");
            }
            if (crc.getValue() != e.getCrc()) {
                throw corrupt(key, "CRC-32 mismatch");
            }
            return size;
        }

        private static String reason(IOException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }

        private NpyFormatException corrupt(String key, String why) {
            return new NpyFormatException(file.toString(), "corrupt member " + key + " (" + why + ")");
        }

        @Override
        public void close() throws IOException {
            zip.close();
        }
    }

    /**
     * Writes the arrays (deflated) in map order: completely, or not at all.
     *
     * @param file   the .npz file, replaced only once it is complete
     * @param arrays the arrays by name (written as name.npy); read, not kept
     * @throws java.io.IOException when the file cannot be written (nothing is left behind)
     */
    public static void write(Path file, Map<String, Tensor> arrays) throws IOException {
        write(file, arrays, Map.of());
    }

    /** Arrays as {@code key.npy} members, then raw members under their own names (e.g. a JSON description). */
    static void write(Path file, Map<String, Tensor> arrays, Map<String, byte[]> raw) throws IOException {
        OutputFile.write(file, out -> {
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
                    zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                    Npy.write(zip, e.getValue());
                    zip.closeEntry();
                }
                for (Map.Entry<String, byte[]> e : raw.entrySet()) {
                    zip.putNextEntry(new ZipEntry(e.getKey()));
                    zip.write(e.getValue());
                    zip.closeEntry();
                }
            }
        });
    }
}
