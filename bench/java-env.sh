# Sourced by the bench scripts: builds benchmarks.jar and finds a JDK >= 25 (JAVA, JAVA_HOME, /usr/lib/jvm).
# MVN_ARGS (e.g. "-o") is passed to Maven.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

find_java() {
    local j v
    for j in "${JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
             /usr/lib/jvm/*/bin/java java; do
        [ -n "$j" ] && command -v "$j" >/dev/null 2>&1 || continue
        v=$("$j" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
        if [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
            echo "$j"
            return 0
        fi
    done
    echo "no JDK >= 25 found (set JAVA or JAVA_HOME)" >&2
    return 1
}

build_bench() {
    (cd "$ROOT" && ./mvnw -q -B ${MVN_ARGS:-} -pl bench -am package -DskipTests)
}

JAVA_BIN=$(find_java)
JVM_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
BENCH_JAR="$ROOT/bench/target/benchmarks.jar"
