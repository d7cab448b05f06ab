package org.ntk4j.io;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Tensor;

/**
 * The dictionary of a {@code .npy} header, parsed as the Python literal it is (NumPy reads it with
 * {@code ast.literal_eval}) and held to what NumPy itself requires: exactly the keys {@code descr},
 * {@code fortran_order} and {@code shape}, a string, a bool and a tuple of non-negative ints. A regular expression
 * would take the first {@code 'shape'} it finds, even one nested in another value; this parser cannot.
 */
record NpyHeader(boolean float32, ByteOrder order, int[] shape) {
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");
    /** Nesting deeper than this is not a header NumPy writes (and must not exhaust the stack). */
    private static final int MAX_DEPTH = 8;

    /** Values widened to double: how many bytes one element takes in the file. */
    int width() {
        return float32 ? 4 : 8;
    }

    /** The element count; Long.MAX_VALUE / 8 stands for "more bytes than any file holds". */
    long count() {
        try {
            return Tensor.count(shape);
        } catch (InvalidInputException e) {
            return Long.MAX_VALUE / 8;
        }
    }

    /** The element count, checked to fit one Java array (reading into the heap; mapping has no such limit). */
    int arrayCount(String name) throws NpyFormatException {
        long n = count();
        if (n > Integer.MAX_VALUE - 8) {
            throw new NpyFormatException(name, "shape " + shapeString(shape) + " has more values than one array holds;"
                    + " map the file instead (Npy.map)");
        }
        return (int) n;
    }

    static String shapeString(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    static NpyHeader parse(String text, String name) throws NpyFormatException {
        Parser p = new Parser(text, name);
        p.skipSpace();
        if (!p.peek('{')) {
            throw p.error("header is not a dictionary");
        }
        Object value = p.value(0);
        p.skipSpace();
        if (p.pos < text.length()) {
            throw p.error("unexpected text after the header dictionary");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> dict = (Map<String, Object>) value;
        for (String k : dict.keySet()) {
            if (!KEYS.contains(k)) {
                throw new NpyFormatException(name, "header has key '" + k + "'; a .npy header has exactly 'descr',"
                        + " 'fortran_order' and 'shape'");
            }
        }
        for (String k : KEYS) {
            if (!dict.containsKey(k)) {
                throw new NpyFormatException(name, "header has no '" + k + "'");
            }
        }
        boolean float32;
        ByteOrder order;
        if (!(dict.get("descr") instanceof String descr)) {
            Object d = dict.get("descr");
            throw new NpyFormatException(name, "dtype " + show(d) + " is not supported"
                    + (d instanceof List<?> ? " (a structured array)" : "") + "; save a plain float32 or float64 array");
        }
        switch (descr) {
            case "<f4", "=f4" -> { float32 = true; order = ByteOrder.LITTLE_ENDIAN; }
            case ">f4" -> { float32 = true; order = ByteOrder.BIG_ENDIAN; }
            case "<f8", "=f8" -> { float32 = false; order = ByteOrder.LITTLE_ENDIAN; }
            case ">f8" -> { float32 = false; order = ByteOrder.BIG_ENDIAN; }
            default -> throw new NpyFormatException(name, "dtype '" + descr
                    + "' is not supported; convert to float32 or float64 (e.g. x.astype(np.float32))");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new NpyFormatException(name, "'fortran_order' is " + show(dict.get("fortran_order")) + ", not True or False");
        }
        if (fortran) {
            throw new NpyFormatException(name, "array is in Fortran order; save it in C order (np.ascontiguousarray)");
        }
        if (!(dict.get("shape") instanceof Tuple t)) {
            throw new NpyFormatException(name, "'shape' is " + show(dict.get("shape")) + ", not a tuple of ints");
        }
        int[] shape = new int[t.items().size()];
        for (int i = 0; i < shape.length; i++) {
            Object d = t.items().get(i);
            if (d instanceof BigInt b) {
                throw new NpyFormatException(name, "'shape' has dimension " + b.digits() + " (must be 0 … "
                        + Integer.MAX_VALUE + ")");
            }
            if (!(d instanceof Long v)) {
                throw new NpyFormatException(name, "'shape' has " + show(d) + ", not an int");
            }
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new NpyFormatException(name, "'shape' has dimension " + v + " (must be 0 … " + Integer.MAX_VALUE + ")");
            }
            shape[i] = (int) (long) v;
        }
        return new NpyHeader(float32, order, shape);
    }

    private static String show(Object v) {
        if (v instanceof String s) {
            return "'" + s + "'";
        }
        if (v instanceof Tuple t) {
            return "a tuple of " + t.items().size();
        }
        if (v instanceof List<?> l) {
            return "a list of " + l.size();
        }
        if (v instanceof Map<?, ?>) {
            return "a dictionary";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof BigInt b) {
            return b.digits();
        }
        return v == NONE ? "None" : String.valueOf(v);
    }

    /** A Python tuple (a list is a different type to NumPy: 'shape' must be a tuple). */
    record Tuple(List<Object> items) {
    }

    /** An int too large for a long (no shape can have it). */
    record BigInt(String digits) {
    }

    /** Python's None. */
    private static final Object NONE = new Object();

    /**
     * Recursive descent over the literals a header could contain: dicts, tuples, lists, strings, ints (with the
     * Python 2 'L' suffix old NumPy wrote), floats, True, False, None.
     */
    private static final class Parser {
        private final String s;
        private final String name;
        private int pos;

        Parser(String s, String name) {
            this.s = s;
            this.name = name;
        }

        NpyFormatException error(String what) {
            return new NpyFormatException(name, "malformed .npy header (" + what + " at character " + pos + "): "
                    + abbreviate(s.strip()));
        }

        private static String abbreviate(String t) {
            return t.length() <= 120 ? t : t.substring(0, 117) + "...";
        }

        void skipSpace() {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\n' || s.charAt(pos) == '\t'
                    || s.charAt(pos) == '\r')) {
                pos++;
            }
        }

        boolean peek(char c) {
            return pos < s.length() && s.charAt(pos) == c;
        }

        void expect(char c) throws NpyFormatException {
            skipSpace();
            if (!peek(c)) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        Object value(int depth) throws NpyFormatException {
            if (depth > MAX_DEPTH) {
                throw error("nested too deeply");
            }
            skipSpace();
            if (pos >= s.length()) {
                throw error("header ends early");
            }
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> dict(depth);
                case '(' -> tupleOrGroup(depth);
                case '[' -> sequence(']', depth).items();
                case '\'', '"' -> string();
                default -> atom();
            };
        }

        private Map<String, Object> dict(int depth) throws NpyFormatException {
            pos++;
            Map<String, Object> m = new LinkedHashMap<>();
            skipSpace();
            while (!peek('}')) {
                skipSpace();
                if (!peek('\'') && !peek('"')) {
                    throw error("a key must be a string");
                }
                String key = string();
                expect(':');
                Object v = value(depth + 1);
                if (m.containsKey(key)) {
                    throw new NpyFormatException(name, "header has key '" + key + "' twice");
                }
                m.put(key, v);
                skipSpace();
                if (peek(',')) {
                    pos++;
                    skipSpace();
                } else if (!peek('}')) {
                    throw error("expected ',' or '}'");
                }
            }
            pos++;
            return m;
        }

        /** Items between brackets, and whether a comma followed the last one. */
        private record Items(List<Object> items, boolean trailingComma) {
        }

        private Items sequence(char close, int depth) throws NpyFormatException {
            pos++;
            List<Object> items = new ArrayList<>();
            skipSpace();
            boolean comma = false;
            while (!peek(close)) {
                items.add(value(depth + 1));
                skipSpace();
                comma = peek(',');
                if (comma) {
                    pos++;
                    skipSpace();
                } else if (!peek(close)) {
                    throw error("expected ',' or '" + close + "'");
                }
            }
            pos++;
            return new Items(items, comma);
        }

        /** (a, b), (a,) and () are tuples; (a) is just a, as in Python. */
        private Object tupleOrGroup(int depth) throws NpyFormatException {
            Items items = sequence(')', depth);
            if (items.items().size() == 1 && !items.trailingComma()) {
                return items.items().get(0);
            }
            return new Tuple(items.items());
        }

        private String string() throws NpyFormatException {
            char quote = s.charAt(pos++);
            StringBuilder sb = new StringBuilder();
            while (pos < s.length() && s.charAt(pos) != quote) {
                char c = s.charAt(pos++);
                if (c == '\\') {
                    if (pos >= s.length()) {
                        break;
                    }
                    c = s.charAt(pos++);
                }
                if (c == '\n') {
                    throw error("line break inside a string");
                }
                sb.append(c);
            }
            if (pos >= s.length()) {
                throw error("unterminated string");
            }
            pos++;
            return sb.toString();
        }

        private Object atom() throws NpyFormatException {
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || "+-._".indexOf(s.charAt(pos)) >= 0)) {
                pos++;
            }
            String t = s.substring(start, pos);
            switch (t) {
                case "True" -> {
                    return Boolean.TRUE;
                }
                case "False" -> {
                    return Boolean.FALSE;
                }
                case "None" -> {
                    return NONE;
                }
                default -> {
                    // below
                }
            }
            String digits = t.endsWith("L") || t.endsWith("l") ? t.substring(0, t.length() - 1) : t;
            if (digits.matches("[+-]?[0-9]{1,18}")) {
                return Long.parseLong(digits);
            }
            if (digits.matches("[+-]?[0-9]+")) {
                return new BigInt(digits);
            }
            if (t.matches("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?")) {
                return Double.parseDouble(t);
            }
            pos = start;
            throw error(t.isEmpty() ? "unexpected '" + s.charAt(pos) + "'" : "unexpected '" + t + "'");
        }
    }

    @Override
    public String toString() {
        return (float32 ? "float32 " : "float64 ") + shapeString(shape);
    }
}
