package org.ntk4j.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.ntk4j.NtkException;
import org.ntk4j.KernelKind;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Parameterization;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Lower-case option values with one-line messages for the ones not understood. */
final class Converters {
    private Converters() {
    }

    private static <T> T convert(java.util.function.Function<String, T> f, String s) {
        try {
            return f.apply(s);
        } catch (NtkException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    static final class ActivationConverter implements ITypeConverter<Activation> {
        @Override
        public Activation convert(String s) {
            return Converters.convert(Activation::parse, s);
        }
    }

    static final class ActivationCandidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("relu", "erf", "tanh", "gelu", "identity").iterator();
        }
    }

    static final class ParameterizationConverter implements ITypeConverter<Parameterization> {
        @Override
        public Parameterization convert(String s) {
            return Converters.convert(Parameterization::parse, s);
        }
    }

    static final class LayoutConverter implements ITypeConverter<org.ntk4j.InputLayout> {
        @Override
        public org.ntk4j.InputLayout convert(String s) {
            return Converters.convert(org.ntk4j.InputLayout::parse, s);
        }
    }

    static final class PrecisionConverter implements ITypeConverter<Precision> {
        @Override
        public Precision convert(String s) {
            return Converters.convert(Precision::parse, s);
        }
    }

    static final class ModeConverter implements ITypeConverter<NtkMode> {
        @Override
        public NtkMode convert(String s) {
            return Converters.convert(NtkMode::parse, s);
        }
    }

    static final class KindConverter implements ITypeConverter<KernelKind> {
        @Override
        public KernelKind convert(String s) {
            return Converters.convert(KernelKind::parse, s);
        }
    }

    /**
     * A decimal number as people write it (1e-3, .5, -2, 1E+6; Infinity and NaN are left to each option's range
     * check). Java's own parser also takes {@code 1e-3d}, {@code 10f} and hexadecimal, which are typos here.
     *
     * @throws NumberFormatException when {@code s} is not such a number
     */
    static double parseNumber(String s) {
        String t = s.trim();
        if (!DECIMAL.matcher(t).matches()) {
            throw new NumberFormatException("'" + s + "' is not a number");
        }
        return Double.parseDouble(t);
    }

    private static final java.util.regex.Pattern DECIMAL =
            java.util.regex.Pattern.compile("[+-]?((\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?|Infinity|NaN)");

    /** Options that take a number, through {@link #parseNumber}. */
    static final class NumberConverter implements ITypeConverter<Double> {
        @Override
        public Double convert(String s) {
            try {
                return parseNumber(s);
            } catch (NumberFormatException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Byte sizes such as 2g, 512m, 64k or a plain number of bytes. */
    static final class ByteSizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String s) {
            return parseBytes(s);
        }
    }

    static long parseBytes(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ib")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        long mult = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k' -> mult = 1L << 10;
                case 'm' -> mult = 1L << 20;
                case 'g' -> mult = 1L << 30;
                case 't' -> mult = 1L << 40;
                default -> mult = 1;
            }
        }
        String num = mult == 1 ? t : t.substring(0, t.length() - 1);
        double v;
        try {
            v = parseNumber(num);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + s + "' is not a size (e.g. 2g, 512m, 64k)");
        }
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new TypeConversionException("'" + s + "' is not a positive size (e.g. 2g, 512m, 64k)");
        }
        double bytes = v * mult;
        if (bytes < 1) {
            throw new TypeConversionException("'" + s + "' is less than one byte (a plain number counts bytes; e.g. 512m)");
        }
        if (bytes > 1L << 50) {
            throw new TypeConversionException("'" + s + "' is more memory than any machine has (at most 1024t)");
        }
        return (long) bytes;
    }

    /**
     * File names as typed, with the ways a name can be unusable said plainly: empty ({@code --x=}), ending with
     * {@code /} (a folder's name, where a file is meant), not valid UTF-8 under a UTF-8 locale (Java cannot name such
     * a file byte for byte there: it would read or write a different name; the launcher switches to an ISO-8859-1
     * locale for such names where the machine has one), or not representable in the locale's character set (a
     * non-UTF-8 locale and a non-ASCII name).
     */
    static final class PathConverter implements ITypeConverter<Path> {
        @Override
        public Path convert(String s) {
            if (s.endsWith("/") && !s.isEmpty()) {
                throw new TypeConversionException("'" + s + "' ends with '/', which names a folder; give a file name");
            }
            return path(s);
        }
    }

    /** Folder names (--out DIR): a trailing {@code /} is part of how folders are written. */
    static final class FolderConverter implements ITypeConverter<Path> {
        @Override
        public Path convert(String s) {
            return path(s);
        }
    }

    private static Path path(String s) {
        if (s.isEmpty()) {
            throw new TypeConversionException("empty file name");
        }
        if (s.indexOf('\uFFFD') >= 0 && "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding"))) {
            throw new TypeConversionException("'" + s + "' is not a valid UTF-8 name, and Java names files in UTF-8"
                    + " here: it would read or write a different file; rename it to a UTF-8 name, or install an"
                    + " ISO-8859-1 locale (e.g. localedef -i C -f ISO-8859-1 C.ISO-8859-1), under which ./ntk passes"
                    + " such names byte for byte");
        }
        try {
            if (s.indexOf('\uFFFD') >= 0) { // bytes this locale's character set does not decode
                throw new InvalidPathException(s, "not representable");
            }
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new TypeConversionException("'" + s + "' cannot be a file name here: " + (s.indexOf('\0') >= 0
                    ? "it contains a NUL character" : "this locale's character set ("
                    + System.getProperty("sun.jnu.encoding") + ") cannot represent it; use a UTF-8 locale,"
                    + " e.g. LC_ALL=C.UTF-8"));
        }
    }

    /** Sizes for messages: 1.5 GiB, 640 KiB. */
    static String formatBytes(long b) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? b + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
