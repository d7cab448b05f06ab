package org.ntk4j.experiments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ntk4j.InvalidInputException;

/**
 * A small table of experiment results: a name, named columns, rows of numbers or text, and string metadata (axis
 * labels, plot hints, units, how a quantity was measured). Long ("tidy") layout: a series is the set of rows sharing
 * a key column's value, e.g. one curve per width. Writable as CSV (full double precision) and Markdown (4
 * significant digits).
 *
 * <p>Plot hints a table may carry in its metadata, for a plotting front end: {@code plot.x}, {@code plot.y}
 * (comma-separated columns), {@code plot.series} (the key column), {@code plot.logx}/{@code plot.logy}
 * ("true"), {@code plot.title}, {@code plot.xlabel}/{@code plot.ylabel} (axis titles).
 */
public final class Table {
    private final String name;
    private final List<String> columns;
    private final List<Object[]> rows = new ArrayList<>();
    private final Map<String, String> meta = new LinkedHashMap<>();

    /**
     * An empty table.
     *
     * @param name    its name, also its CSV file's
     * @param columns the column names (copied)
     * @throws InvalidInputException when the name or the columns are missing
     */
    public Table(String name, String... columns) {
        if (name == null || name.isBlank() || columns.length == 0) {
            throw new InvalidInputException("a table needs a name and at least one column");
        }
        if (new LinkedHashSet<>(List.of(columns)).size() != columns.length) {
            throw new InvalidInputException("table " + name + " has duplicate column names: " + List.of(columns));
        }
        this.name = name;
        this.columns = List.of(columns);
    }

    /**
     * The table's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The column names.
     *
     * @return an unmodifiable list
     */
    public List<String> columns() {
        return columns;
    }

    /**
     * The number of rows.
     *
     * @return the count
     */
    public int rowCount() {
        return rows.size();
    }

    /**
     * Appends a row: one value per column, each a Number or a String.
     *
     * @param values the row (the array is copied)
     * @return this table
     * @throws InvalidInputException when the count does not match or a value is neither number nor text
     */
    public Table add(Object... values) {
        if (values.length != columns.size()) {
            throw new InvalidInputException("table " + name + " has " + columns.size() + " columns, the row has "
                    + values.length + " values");
        }
        Object[] row = new Object[values.length];
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            if (v instanceof Integer || v instanceof Long || v instanceof Short) {
                row[i] = ((Number) v).longValue();
            } else if (v instanceof Number num) {
                row[i] = num.doubleValue();
            } else if (v instanceof String s) {
                row[i] = s;
            } else {
                throw new InvalidInputException("table " + name + ", column " + columns.get(i) + ": "
                        + (v == null ? "null" : v.getClass().getSimpleName()) + " is neither a number nor text");
            }
        }
        rows.add(row);
        return this;
    }

    /**
     * Sets a metadata entry (insertion order is kept).
     *
     * @param key   the entry's name
     * @param value its value
     * @return this table
     */
    public Table meta(String key, String value) {
        meta.put(key, value);
        return this;
    }

    /**
     * The metadata, in insertion order.
     *
     * @return an unmodifiable view
     */
    public Map<String, String> meta() {
        return Collections.unmodifiableMap(meta);
    }

    /**
     * The cell at (row, column).
     *
     * @param row    the row, in [0, rowCount)
     * @param column the column's name
     * @return the Number or String stored
     */
    public Object get(int row, String column) {
        return rows.get(row)[index(column)];
    }

    /**
     * A numeric column as doubles (text cells are an error).
     *
     * @param column the column's name
     * @return a new array, one value per row
     */
    public double[] numbers(String column) {
        int c = index(column);
        double[] out = new double[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            if (!(rows.get(r)[c] instanceof Number num)) {
                throw new InvalidInputException("column " + column + " of " + name + " holds text at row " + r);
            }
            out[r] = num.doubleValue();
        }
        return out;
    }

    /**
     * The distinct values of a column in first-seen order (series keys).
     *
     * @param column the column's name
     * @return a new list
     */
    public List<Object> distinct(String column) {
        int c = index(column);
        LinkedHashSet<Object> s = new LinkedHashSet<>();
        for (Object[] r : rows) {
            s.add(r[c]);
        }
        return new ArrayList<>(s);
    }

    /**
     * The rows whose column equals the value (numbers compared by value), as a new table with the same metadata.
     *
     * @param column the column's name
     * @param value  the value to match
     * @return a new table
     */
    public Table where(String column, Object value) {
        int c = index(column);
        Table t = new Table(name, columns.toArray(new String[0]));
        t.meta.putAll(meta);
        for (Object[] r : rows) {
            if (same(r[c], value)) {
                t.rows.add(r);
            }
        }
        return t;
    }

    /**
     * This table under another name: the same rows and metadata, in a new table.
     *
     * @param newName the copy's name
     * @return a new table
     * @throws InvalidInputException when the name is blank
     */
    public Table renamed(String newName) {
        Table t = new Table(newName, columns.toArray(new String[0]));
        t.meta.putAll(meta);
        t.rows.addAll(rows);
        return t;
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        return a.equals(b);
    }

    private int index(String column) {
        int c = columns.indexOf(column);
        if (c < 0) {
            throw new InvalidInputException("table " + name + " has no column '" + column + "' (columns: " + columns + ")");
        }
        return c;
    }

    /**
     * CSV with a header row; doubles in full precision, text quoted when needed. Metadata is not included.
     *
     * @return the CSV text
     */
    public String toCsv() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.join(",", columns.stream().map(Table::csvText).toList())).append('\n');
        for (Object[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(r[i] instanceof String s ? csvText(s) : r[i].toString());
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String csvText(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    /**
     * A Markdown section: heading, metadata as a list, then the table (numbers to 4 significant digits).
     *
     * @return the Markdown text
     */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder("### ").append(meta.getOrDefault("title", name)).append("\n\n");
        for (Map.Entry<String, String> e : meta.entrySet()) {
            if (!e.getKey().equals("title") && !e.getKey().startsWith("plot.")) {
                sb.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            }
        }
        if (meta.size() > 0) {
            sb.append('\n');
        }
        sb.append("| ").append(String.join(" | ", columns)).append(" |\n|");
        sb.append(" --- |".repeat(columns.size())).append('\n');
        for (Object[] r : rows) {
            sb.append('|');
            for (Object v : r) {
                sb.append(' ').append(format(v)).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String format(Object v) {
        if (v instanceof Double d) {
            if (d == Math.rint(d) && Math.abs(d) < 1e6) {
                return String.valueOf(d.longValue());
            }
            return String.format(Locale.ROOT, "%.4g", d);
        }
        return v.toString().replace("|", "\\|");
    }

    /**
     * Writes {@link #toCsv()} to a file.
     *
     * @param file the file, replaced
     * @throws java.io.UncheckedIOException when it cannot be written
     */
    public void writeCsv(Path file) {
        try {
            org.ntk4j.internal.io.OutputFile.writeString(file, toCsv());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public String toString() {
        return "Table[" + name + ", " + columns.size() + " columns, " + rows.size() + " rows]";
    }
}
