package org.ntk4j.experiments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.ntk4j.InvalidInputException;

/** The tables one experiment (or the demo) produced, in order, plus a one-paragraph summary. */
public final class Report {
    private final String name;
    private final List<Table> tables = new ArrayList<>();
    private final StringBuilder summary = new StringBuilder();

    /**
     * An empty report.
     *
     * @param name its name, also the Markdown file's
     */
    public Report(String name) {
        this.name = name;
    }

    /**
     * The report's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Appends a table.
     *
     * @param t the table; kept by reference
     * @return this report
     * @throws InvalidInputException when a table of that name is already there
     */
    public Report add(Table t) {
        for (Table existing : tables) {
            if (existing.name().equals(t.name())) {
                throw new InvalidInputException("report " + name + " already has a table named " + t.name());
            }
        }
        tables.add(t);
        return this;
    }

    /**
     * Appends every table of another report.
     *
     * @param other the other report; its tables are kept by reference
     * @return this report
     */
    public Report addAll(Report other) {
        other.tables.forEach(this::add);
        if (!other.summary.isEmpty()) {
            summary(other.summary());
        }
        return this;
    }

    /**
     * The tables, in order.
     *
     * @return an unmodifiable view
     */
    public List<Table> tables() {
        return Collections.unmodifiableList(tables);
    }

    /**
     * The table of this name.
     *
     * @param tableName the name
     * @return the table
     * @throws InvalidInputException when there is none
     */
    public Table table(String tableName) {
        return tables.stream().filter(t -> t.name().equals(tableName)).findFirst().orElseThrow(
                () -> new InvalidInputException("report " + name + " has no table " + tableName + " (has "
                        + tables.stream().map(Table::name).toList() + ")"));
    }

    /**
     * Appends a line to the summary.
     *
     * @param line the line
     * @return this report
     */
    public Report summary(String line) {
        summary.append(line.strip()).append('\n');
        return this;
    }

    /**
     * The summary so far.
     *
     * @return the lines, newline-separated
     */
    public String summary() {
        return summary.toString();
    }

    /**
     * Markdown: the summary, then every table.
     *
     * @return the Markdown text
     */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder("## ").append(name).append("\n\n");
        if (!summary.isEmpty()) {
            sb.append(summary).append('\n');
        }
        for (Table t : tables) {
            sb.append(t.toMarkdown()).append('\n');
        }
        return sb.toString();
    }

    /**
     * Writes every table as {@code <table>.csv} and the Markdown as {@code <report>.md} into a directory.
     *
     * @param dir the directory, created when missing
     * @throws java.io.UncheckedIOException when a file cannot be written
     */
    public void writeTo(Path dir) {
        try {
            Files.createDirectories(dir);
            for (Table t : tables) {
                t.writeCsv(dir.resolve(t.name() + ".csv"));
            }
            org.ntk4j.internal.io.OutputFile.writeString(dir.resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_") + ".md"), toMarkdown());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + dir, e);
        }
    }
}
