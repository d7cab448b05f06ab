# Sourced by ./mvnw and ./ntk (POSIX sh): finds the JDK the build is tested with (major version 25, the toolchain
# range [25,26) in pom.xml), so both can say in one line what is missing instead of failing later.

# The tested major version; keep in step with the toolchains plugin's <version> in pom.xml.
NTK4J_JDK_MAJOR=25

# Major version of a java executable (0 when it does not run).
ntk4j_java_major() {
  ntk4j_v=$("$1" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1)
  case "$ntk4j_v" in '' | *[!0-9]*) echo 0 ;; *) echo "$ntk4j_v" ;; esac
}

# Prints the home of a JDK 25: JAVA_HOME when it is one, else the first under the usual folders.
ntk4j_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] \
      && [ "$(ntk4j_java_major "$JAVA_HOME/bin/java")" -eq "$NTK4J_JDK_MAJOR" ]; then
    echo "$JAVA_HOME"
    return 0
  fi
  for ntk4j_d in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* \
      "${HOME:-/nonexistent}"/.jdks/*; do
    [ -x "$ntk4j_d/bin/java" ] && [ -x "$ntk4j_d/bin/javac" ] || continue
    if [ "$(ntk4j_java_major "$ntk4j_d/bin/java")" -eq "$NTK4J_JDK_MAJOR" ]; then
      echo "$ntk4j_d"
      return 0
    fi
  done
  return 1
}

NTK4J_NO_JDK_MESSAGE="ntk4j needs a JDK 25 (none in JAVA_HOME or /usr/lib/jvm): install one, e.g. Temurin 25 or openjdk-25-jdk"
