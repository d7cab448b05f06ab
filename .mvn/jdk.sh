# Sourced by ./mvnw and ./ntk (POSIX sh): finds a JDK >= 25 where the build's toolchains plugin looks for one,
# so both can say in one line what is missing instead of failing later.

# Major version of a java executable (0 when it does not run).
ntk4j_java_major() {
  ntk4j_v=$("$1" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1)
  case "$ntk4j_v" in '' | *[!0-9]*) echo 0 ;; *) echo "$ntk4j_v" ;; esac
}

# Prints the home of the newest JDK >= 25: JAVA_HOME when it is one, else the newest under the usual folders.
ntk4j_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(ntk4j_java_major "$JAVA_HOME/bin/java")" -ge 25 ]; then
    echo "$JAVA_HOME"
    return 0
  fi
  ntk4j_best=
  ntk4j_best_v=0
  for ntk4j_d in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* \
      "${HOME:-/nonexistent}"/.jdks/*; do
    [ -x "$ntk4j_d/bin/java" ] && [ -x "$ntk4j_d/bin/javac" ] || continue
    ntk4j_dv=$(ntk4j_java_major "$ntk4j_d/bin/java")
    if [ "$ntk4j_dv" -ge 25 ] && [ "$ntk4j_dv" -gt "$ntk4j_best_v" ]; then
      ntk4j_best=$ntk4j_d
      ntk4j_best_v=$ntk4j_dv
    fi
  done
  [ -n "$ntk4j_best" ] && echo "$ntk4j_best"
}

NTK4J_NO_JDK_MESSAGE="ntk4j needs a JDK 25 or newer (none in JAVA_HOME or /usr/lib/jvm): install one, e.g. Temurin 25 or openjdk-25-jdk"
