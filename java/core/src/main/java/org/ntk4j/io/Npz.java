package org.ntk4j.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** NumPy {@code .npz} archives: a zip of {@code name.npy} entries, stored or deflated (np.savez / savez_compressed). */
public final class Npz {
    private Npz() {
    }

    /**
     * Reads every array, in archive order, keyed by name without the {@code .npy} suffix.
     *
     * @param file the .npz file
     * @return an unmodifiable map in archive order
     * @throws NpyFormatException when the file is not a zip of .npy arrays
     * @throws java.io.IOException when the file cannot be read or written
     */
    public static Map<String, NpyArray> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "no such file");
        }
        Map<String, NpyArray> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                String key = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4) : e.getName();
                try (InputStream in = zip.getInputStream(e)) {
                    out.put(key, Npy.read(in, file + ":" + e.getName()));
                }
            }
        } catch (ZipException e) {
            throw new NpyFormatException(file + ": not a .npz archive (" + e.getMessage() + ")");
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Writes the arrays (deflated) in map order.
     *
     * @param file   the .npz file, replaced
     * @param arrays the arrays by name (written as name.npy); read, not kept
     * @throws java.io.IOException when the file cannot be read or written
     */
    public static void write(Path file, Map<String, NpyArray> arrays) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            for (Map.Entry<String, NpyArray> e : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                OutputStream unclosable = new java.io.FilterOutputStream(zip) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() {
                        // the entry, not the archive, ends here
                    }
                };
                Npy.write(unclosable, e.getValue());
                zip.closeEntry();
            }
        }
    }
}
