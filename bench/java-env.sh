# Sourced by the bench scripts: builds benchmarks.jar and finds the JDK 25 the way ./mvnw and ./ntk do
# (JAVA_HOME, then /usr/lib/jvm/* and the usual folders). MVN_ARGS (e.g. "-o") is passed to Maven.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/.mvn/jdk.sh"

build_bench() {
    (cd "$ROOT" && ./mvnw -q -B ${MVN_ARGS:-} -pl bench -am package -DskipTests)
}

JDK_HOME=$(ntk4j_find_jdk) || { echo "$NTK4J_NO_JDK_MESSAGE" >&2; exit 1; }
JAVA_BIN="$JDK_HOME/bin/java"
JVM_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
BENCH_JAR="$ROOT/bench/target/benchmarks.jar"
