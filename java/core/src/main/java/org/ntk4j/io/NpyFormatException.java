package org.ntk4j.io;

import java.io.IOException;

/**
 * A file that is not a NumPy array or archive ntk4j can read (wrong magic, header, dtype, order, shape, length or
 * checksum). The message starts with the file's name and says what was found; {@link #file()} is that name. What
 * the message quotes from the file is made printable (control characters escaped) and cut to a few hundred
 * characters: a hostile file must not write escape sequences to a terminal or flood a log.
 */
public class NpyFormatException extends IOException {
    private final String file;

    /** {@code file} names the file (or "archive:member"); {@code problem} says what is wrong with it. */
    public NpyFormatException(String file, String problem) {
        super(file + ": " + printable(problem));
        this.file = file;
    }

    private static final int MAX_PROBLEM = 400;

    static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_PROBLEM + 8));
        int i = 0;
        for (; i < s.length() && sb.length() < MAX_PROBLEM; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                sb.append(String.format(java.util.Locale.ROOT, "\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return i < s.length() ? sb.append("...").toString() : sb.toString();
    }

    /** The file (or "archive:member") the problem is in. */
    public String file() {
        return file;
    }
}
