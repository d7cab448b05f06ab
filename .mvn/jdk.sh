# Sourced by ./mvnw and ./ntk (POSIX sh): finds the JDK the build is tested with (major version 25, the toolchain
# range [25,26) in pom.xml), so both can say in one line what is missing instead of failing later.

# The tested major version; keep in step with the toolchains plugin's <version> in pom.xml.
NTK4J_JDK_MAJOR=25

# Major version of a java executable (0 when it does not run).
ntk4j_java_major() {
  ntk4j_v=$("$1" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1)
  case "$ntk4j_v" in '' | *[!0-9]*) echo 0 ;; *) echo "$ntk4j_v" ;; esac
}

# The folders a JDK is looked for in, JAVA_HOME first.
ntk4j_jdk_candidates() {
  for ntk4j_d in "${JAVA_HOME:-/nonexistent}" /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* \
      "${HOME:-/nonexistent}"/.sdkman/candidates/java/* "${HOME:-/nonexistent}"/.jdks/*; do
    [ -x "$ntk4j_d/bin/java" ] && [ -x "$ntk4j_d/bin/javac" ] && echo "$ntk4j_d"
  done
  return 0
}

# Prints the home of a JDK 25: JAVA_HOME when it is one, else the first under the usual folders.
ntk4j_find_jdk() {
  ntk4j_jdk_candidates | {
    while IFS= read -r ntk4j_d; do
      if [ "$(ntk4j_java_major "$ntk4j_d/bin/java")" -eq "$NTK4J_JDK_MAJOR" ]; then
        echo "$ntk4j_d"
        exit 0
      fi
    done
    exit 1
  }
}

NTK4J_NO_JDK_MESSAGE="ntk4j needs a JDK 25 (none in JAVA_HOME or /usr/lib/jvm): install one, e.g. Temurin 25 or openjdk-25-jdk"

# Why ntk4j_find_jdk found nothing, in one line: a JDK 25 that is installed (its release file says so) but does not
# start is named with its own first error (a memory limit, a deleted working directory, ...), not called missing.
ntk4j_no_jdk_reason() {
  ntk4j_jdk_candidates | {
    while IFS= read -r ntk4j_d; do
      grep -q "^JAVA_VERSION=\"$NTK4J_JDK_MAJOR[.\"]" "$ntk4j_d/release" 2>/dev/null || continue
      # The most specific line: not the JVM's generic heading, not a stack frame; log decorations dropped.
      ntk4j_e=$("$ntk4j_d/bin/java" -version 2>&1 | grep -v -e '^Error occurred during initialization of VM' \
        -e '^[[:space:]]*at ' -e '^[[:space:]]*$' | head -n 1 | sed 's/^\(\[[^]]*\]\)*[[:space:]]*//')
      ntk4j_limit=$(ulimit -v 2>/dev/null || echo unlimited)
      ntk4j_hint=""
      [ "$ntk4j_limit" != unlimited ] && ntk4j_hint=" (the virtual memory limit, ulimit -v, is $ntk4j_limit KiB: the JVM needs more)"
      echo "the JDK $NTK4J_JDK_MAJOR in $ntk4j_d does not start: ${ntk4j_e:-no message}$ntk4j_hint"
      exit 0
    done
    echo "$NTK4J_NO_JDK_MESSAGE"
  }
}
