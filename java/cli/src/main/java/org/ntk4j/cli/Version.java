package org.ntk4j.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar manifest (or "dev" when run from classes). */
public final class Version implements IVersionProvider {
    /** Created by picocli for {@code ntk --version}. */
    public Version() {
    }

    @Override
    public String[] getVersion() {
        String v = Version.class.getPackage().getImplementationVersion();
        return new String[] {"ntk4j " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
    }
}
