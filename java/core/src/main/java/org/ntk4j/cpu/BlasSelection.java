package org.ntk4j.cpu;

import org.ntk4j.Blas;
import org.ntk4j.internal.NativeExtraction;
import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import dev.ludovic.netlib.lapack.JavaLAPACK;
import dev.ludovic.netlib.lapack.LAPACK;
import dev.ludovic.netlib.lapack.NativeLAPACK;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The native BLAS and LAPACK this process uses, chosen once per JVM — by measurement, not by name — and bound to
 * dev.ludovic.netlib before anything else touches it.
 *
 * <h2>Candidates</h2>
 * <ul>
 *   <li><b>system</b>: {@code libblas.so.3} (or the library named by {@value #SYSTEM_BLAS_PROPERTY}); it may be
 *       OpenBLAS, MKL or BLIS behind Debian's alternatives — or the netlib <em>reference</em> BLAS that many packages
 *       pull in, which is several times slower;</li>
 *   <li><b>bundled</b>: the OpenBLAS (with LAPACK) shipped in the {@code org.bytedeco:openblas} platform jar,
 *       extracted once to a cache folder ({@value #CACHE_PROPERTY}, default {@code ~/.cache/ntk4j});</li>
 *   <li><b>java</b>: dev.ludovic.netlib's pure-Java BLAS and F2J LAPACK, always there.</li>
 * </ul>
 *
 * <h2>Choice ({@value #PROPERTY} = auto, the default)</h2>
 * When both native libraries load, each runs a few single-threaded 192³ sgemm calls (interleaved, best of 3): the
 * system library is kept when it reaches at least {@value #PREFER_SYSTEM} of the bundled one's rate, else the
 * bundled one is used — so a reference BLAS is never preferred whatever it is called. With one native library, that
 * one; with none, pure Java. The probe costs one load of the bundled library (its first extraction, ~40 MB, once per
 * machine) and 10–100 ms of timing; {@link #probeNanos()} reports it. {@code bundled}, {@code system} and
 * {@code java} force a candidate (for measurements and tests), {@code native} selects as auto (the CPU backends then
 * refuse the pure-Java fallback): the values of {@link Blas}, which the CPU backend's option takes too; the choice holds for the life of the JVM, because
 * netlib binds one native library per process.
 *
 * <p>LAPACK follows the BLAS: from the same library when it is the bundled OpenBLAS, from the system's
 * {@code liblapack.so.3} ({@value #SYSTEM_LAPACK_PROPERTY}) when the system BLAS won (else the bundled one), F2J
 * LAPACK with pure-Java BLAS.
 *
 * <h2>Threads</h2>
 * The chosen library runs single-threaded: the CPU backend's pool owns the cores and splits products itself, so
 * the library's own threads never compete with the pool's (nested threading cost up to a third of the wall time and
 * most of the system time in sched_yield). Host-side LAPACK runs single-threaded too: with two threads OpenBLAS's
 * busy-waiting workers made a 1280² dsyevd cost 1.19 s of CPU instead of 0.70 s under load. {@link #withAllThreads}
 * hands the library all cores for one call (the demo's GEMM ceiling).
 */
public final class BlasSelection {
    /** System property choosing the candidate: {@link Blas#PROPERTY}, with {@link Blas}'s values. */
    public static final String PROPERTY = Blas.PROPERTY;
    /** System property naming the system BLAS library (default {@code libblas.so.3}). */
    public static final String SYSTEM_BLAS_PROPERTY = "ntk4j.blas.system";
    /** System property naming the system LAPACK library (default {@code liblapack.so.3}). */
    public static final String SYSTEM_LAPACK_PROPERTY = "ntk4j.lapack.system";
    /** System property naming the folder the bundled OpenBLAS is extracted to. */
    public static final String CACHE_PROPERTY = NativeExtraction.CACHE_PROPERTY;
    /** The system BLAS is kept when its probe rate is at least this fraction of the bundled one's. */
    public static final double PREFER_SYSTEM = 0.8;

    private static final int PROBE_N = 192;
    private static final int PROBE_ROUNDS = 3;
    private static BlasSelection current;

    private final Blas requested;
    private final NativeLibrary library;
    private final String lapackLocation;
    private final String lapackDescription;
    private final List<String> probes;
    private final List<String> notes;
    private final long probeNanos;
    private final BLAS netlibBlas;
    private LAPACK netlibLapack;
    private final int cores = Runtime.getRuntime().availableProcessors();
    private int allThreadsDepth;

    private BlasSelection(Blas requested, NativeLibrary library, String lapackLocation, String lapackDescription,
                          List<String> probes, List<String> notes, long probeNanos, BLAS netlibBlas,
                          LAPACK netlibLapack) {
        this.requested = requested;
        this.library = library;
        this.lapackLocation = lapackLocation;
        this.lapackDescription = lapackDescription;
        this.probes = Collections.unmodifiableList(probes);
        this.notes = Collections.unmodifiableList(notes);
        this.probeNanos = probeNanos;
        this.netlibBlas = netlibBlas;
        this.netlibLapack = netlibLapack;
    }

    /** This process's selection, made on the first call (see the class comment). */
    public static synchronized BlasSelection current() {
        if (current == null) {
            current = select(System.getProperty(PROPERTY));
        }
        return current;
    }

    /** What was asked for (an unknown value of the property counts as auto): the CPU backends' default. */
    public Blas requested() {
        return requested;
    }

    /** Whether products go to a native library (else pure Java). */
    public boolean nativeBlas() {
        return library != null;
    }

    /** "bundled", "system" or "java". */
    public String origin() {
        return library == null ? "java" : library.origin.name().toLowerCase(Locale.ROOT);
    }

    /** One line: what the BLAS is, where it comes from, where it lives. */
    public String blasDescription() {
        if (library == null) {
            return "pure-Java BLAS (" + netlibBlas.getClass().getSimpleName() + ")";
        }
        return describe(library) + ", " + origin() + " (" + library.location + ")";
    }

    /** One line: what LAPACK is and where it comes from. */
    public String lapackDescription() {
        return lapackDescription;
    }

    /** The probe's measurements, e.g. "system … 61.2 GFLOP/s", one entry per candidate timed. */
    public List<String> probes() {
        return probes;
    }

    /** Why candidates were not used (missing library, slower, …). */
    public List<String> notes() {
        return notes;
    }

    /** Wall time of the selection: loading, extracting, timing. */
    public long probeNanos() {
        return probeNanos;
    }

    /** fp64 BLAS for host-side linear algebra (the chosen library through netlib). */
    public BLAS blas() {
        return netlibBlas;
    }

    /** LAPACK for host-side linear algebra. */
    public synchronized LAPACK lapack() {
        if (netlibLapack == null) {
            netlibLapack = JavaLAPACK.getInstance();
        }
        return netlibLapack;
    }

    /**
     * Runs a host-side BLAS/LAPACK call (e.g. an eigendecomposition) with all cores given to the library, then back to
     * one thread (calls of the CPU backend running meanwhile on other threads see the larger count too: harmless).
     */
    public <T> T withAllThreads(Supplier<T> body) {
        if (library == null || !library.threadControl() || cores == 1) {
            return body.get();
        }
        synchronized (this) {
            if (allThreadsDepth++ == 0) {
                library.setThreads(cores);
            }
        }
        try {
            return body.get();
        } finally {
            synchronized (this) {
                if (--allThreadsDepth == 0) {
                    library.setThreads(1);
                }
            }
        }
    }

    /** The chosen native library, or null for pure Java. */
    NativeLibrary library() {
        return library;
    }

    /** Whether the library's thread count is under control (then it runs single-threaded between calls). */
    boolean singleThreaded() {
        return library != null && library.threadControl();
    }

    @Override
    public String toString() {
        return "BLAS " + blasDescription() + "; LAPACK " + lapackDescription;
    }

    // ---- the selection ----

    private static BlasSelection select(String property) {
        long t0 = System.nanoTime();
        List<String> probes = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Blas choice = Blas.AUTO;
        if (property != null) {
            try {
                choice = Blas.parse(property);
            } catch (org.ntk4j.InvalidInputException e) {
                notes.add(PROPERTY + ": " + e.getMessage() + ": using auto");
            }
        }
        // native selects as auto does; the CPU backends then refuse to fall back to Java
        String requested = choice == Blas.NATIVE ? "auto" : choice.value();
        NativeLibrary system = null;
        NativeLibrary bundled = null;
        String bundledPath = null;
        // Without native access every native call makes the JDK print a warning: ntk4j stays in Java then, and says
        // so in one line (ElementwiseOps.MissingJvmFlags)
        boolean nativeAccess = ElementwiseOps.MissingJvmFlags.nativeAccess();
        if (!nativeAccess && !requested.equals("java")) {
            notes.add("native access is not enabled for ntk4j (--enable-native-access): pure-Java BLAS");
        }
        if (!requested.equals("java") && nativeAccess) {
            if (!requested.equals("bundled")) {
                String name = System.getProperty(SYSTEM_BLAS_PROPERTY, defaultSystemBlas());
                try {
                    system = NativeLibrary.open(NativeLibrary.Origin.SYSTEM, name);
                } catch (RuntimeException e) {
                    notes.add("no system BLAS: " + e.getMessage());
                }
            }
            String resident = requested.equals("system") ? null : openBlasAlreadyGlobal();
            if (resident != null) {
                // Loading a second OpenBLAS beside one in the global scope lets each interpose the other's globals
                // (its core table `gotoblas` among them): unloading the probe then left the resident one with a null
                // table and the next sgemm crashed the JVM. So the bundled library is not even probed.
                notes.add("bundled OpenBLAS not loaded: " + resident + " was loaded into this process before ntk4j"
                        + " chose a BLAS (netlib used before ntk4j?)");
            }
            if (!requested.equals("system") && resident == null) {
                try {
                    bundledPath = BundledOpenBlas.extract().toString();
                    bundled = NativeLibrary.open(NativeLibrary.Origin.BUNDLED, bundledPath);
                } catch (RuntimeException e) {
                    notes.add("no bundled OpenBLAS: " + e.getMessage());
                }
            }
        }
        NativeLibrary chosen = system != null ? system : bundled;
        if (system != null && bundled != null) {
            system.setThreads(1);
            bundled.setThreads(1);
            double s = 0;
            double b = 0;
            for (int r = 0; r < PROBE_ROUNDS; r++) {
                s = Math.max(s, system.gemmGflops(false, PROBE_N, 2));
                b = Math.max(b, bundled.gemmGflops(false, PROBE_N, 2));
            }
            probes.add(String.format(Locale.ROOT, "system %s: %.1f GFLOP/s", describe(system, s, b), s));
            probes.add(String.format(Locale.ROOT, "bundled %s: %.1f GFLOP/s (sgemm %d³ on one thread, best of %d)",
                    describe(bundled), b, PROBE_N, PROBE_ROUNDS));
            if (preferSystem(s, b)) {
                chosen = system;
                notes.add("bundled OpenBLAS not needed: the system BLAS is as fast");
                bundled.close();
                bundled = null;
            } else {
                chosen = bundled;
                notes.add(String.format(Locale.ROOT, "system BLAS %s not used: %.0f%% of the bundled OpenBLAS's rate",
                        system.location, 100 * s / b));
                system.close();
                system = null;
            }
        } else if (chosen != null) {
            probes.add("only " + chosen.origin.name().toLowerCase(Locale.ROOT) + " " + describe(chosen)
                    + " loads: nothing to time");
        }

        // LAPACK follows the BLAS (see the class comment); both are decided before any netlib class is touched:
        // netlib binds its native libraries in its first class initialization, from the properties set here
        String lapackLocation = null;
        String lapackWhat = null;
        if (chosen != null && chosen.origin == NativeLibrary.Origin.BUNDLED) {
            lapackLocation = chosen.location;
            lapackWhat = describe(chosen) + " LAPACK, bundled";
        } else if (chosen != null) {
            String name = System.getProperty(SYSTEM_LAPACK_PROPERTY, defaultSystemLapack());
            if (exportsLapack(name, notes)) {
                lapackLocation = name;
                lapackWhat = "system LAPACK " + name;
            } else {
                try {
                    lapackLocation = bundledPath != null ? bundledPath : BundledOpenBlas.extract().toString();
                    lapackWhat = "bundled OpenBLAS LAPACK";
                } catch (RuntimeException e) {
                    notes.add("no bundled LAPACK: " + e.getMessage());
                }
            }
        }
        if (chosen != null) {
            bindNetlib("blas", chosen.location);
        }
        if (lapackLocation != null) {
            bindNetlib("lapack", lapackLocation);
        }
        BLAS blas = null;
        if (chosen != null) {
            try {
                blas = removingPartialCopies(NativeBLAS::getInstance);
                chosen.setThreads(1);
            } catch (RuntimeException | LinkageError e) {
                notes.add("netlib's JNI binding did not load " + chosen.location + " (" + e + "): pure-Java BLAS");
                chosen.close();
                chosen = null;
            }
        }
        if (blas == null) {
            blas = javaBlas();
        }
        LAPACK lapack = null;
        if (lapackLocation != null) {
            bindNetlib("lapack", lapackLocation);
            try {
                lapack = removingPartialCopies(NativeLAPACK::getInstance);
                lapackWhat += " (" + lapackLocation + ")";
            } catch (RuntimeException | LinkageError e) {
                notes.add("netlib's JNI binding did not load LAPACK from " + lapackLocation + " (" + e + ")");
            }
        }
        if (lapack == null) {
            // fetched on first use (lapack()): netlib's Java LAPACK reaches for its native BLAS when it loads, which
            // without native access makes the JDK warn, so a program that never solves never loads it
            lapackWhat = "F2J LAPACK in Java (F2jLAPACK)";
        }
        return new BlasSelection(choice, chosen, lapackLocation, lapackWhat, probes, notes,
                System.nanoTime() - t0, blas, lapack);
    }

    /**
     * netlib's JNI bindings copy their library into java.io.tmpdir (there is no setting for another folder), and
     * a copy that fails there (a full disk) is left behind half written. A load that failed removes the copies it
     * made: those of its name that were not there before.
     */
    private static <T> T removingPartialCopies(java.util.function.Supplier<T> load) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        java.util.Set<Path> before = netlibCopies(tmp);
        // netlib logs a failed load as two-line warnings on stderr; the selection's notes say it in one place (the
        // backend's description), so its records below SEVERE are held back while it loads
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("dev.ludovic.netlib");
        java.util.logging.Level old = log.getLevel();
        log.setLevel(java.util.logging.Level.SEVERE);
        try {
            return load.get();
        } catch (RuntimeException | LinkageError e) {
            for (Path p : netlibCopies(tmp)) {
                if (!before.contains(p)) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
            }
            throw e;
        } finally {
            log.setLevel(old);
        }
    }

    private static java.util.Set<Path> netlibCopies(Path tmp) {
        try (java.util.stream.Stream<Path> s = Files.list(tmp)) {
            return s.filter(p -> p.getFileName().toString().startsWith("libnetlib"))
                    .collect(java.util.stream.Collectors.toSet());
        } catch (IOException | RuntimeException e) {
            return java.util.Set.of();
        }
    }

    /**
     * Whether an OpenBLAS is already visible in the process's global symbol scope (netlib's JNI binding loads its
     * library that way), asked through {@code dlsym(RTLD_DEFAULT, …)}: its description, or null when there is none or
     * the question cannot be asked (not Linux/macOS, native access disabled).
     */
    @SuppressWarnings("restricted")
    static String openBlasAlreadyGlobal() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("win") || !BlasSelection.class.getModule().isNativeAccessEnabled()) {
            return null;
        }
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
            var dlsym = linker.defaultLookup().find("dlsym");
            if (dlsym.isEmpty()) {
                return null;
            }
            var handle = linker.downcallHandle(dlsym.get(), java.lang.foreign.FunctionDescriptor.of(
                    java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.ADDRESS,
                    java.lang.foreign.ValueLayout.ADDRESS));
            // RTLD_DEFAULT is the null handle on glibc and musl; macOS uses -2
            java.lang.foreign.MemorySegment rtldDefault = os.contains("mac")
                    ? java.lang.foreign.MemorySegment.ofAddress(-2L) : java.lang.foreign.MemorySegment.NULL;
            java.lang.foreign.MemorySegment fn = (java.lang.foreign.MemorySegment) handle.invokeExact(rtldDefault,
                    a.allocateFrom("openblas_get_config"));
            if (fn.address() == 0) {
                return null;
            }
            var config = linker.downcallHandle(fn, java.lang.foreign.FunctionDescriptor.of(
                    java.lang.foreign.ValueLayout.ADDRESS));
            java.lang.foreign.MemorySegment text = (java.lang.foreign.MemorySegment) config.invokeExact();
            String[] words = text.reinterpret(256).getString(0).trim().split("\\s+");
            return words.length > 1 ? "OpenBLAS " + words[1] : "an OpenBLAS";
        } catch (Throwable e) {
            return null;
        }
    }

    /**
     * netlib's pure-Java BLAS. Without jdk.incubator.vector, netlib logs two lines about its Vector API version
     * before it falls back to the plain one; ntk4j says that once itself (ElementwiseOps.MissingJvmFlags), so netlib's
     * logger is quieted for that first call.
     */
    static BLAS javaBlas() {
        if (!ElementwiseOps.MissingJvmFlags.nativeAccess()) {
            // netlib's factory (JavaBLAS.getInstance) first loads its JNI binding, which makes the JDK print four
            // lines of native-access warnings: without native access the Java implementation is taken directly
            // (netlib 3's Java11BLAS, or VectorBLAS with the Vector API; an automatic module opens its packages)
            try {
                java.lang.reflect.Method m = Class.forName(ElementwiseOps.vectorAvailable()
                        ? "dev.ludovic.netlib.blas.VectorBLAS" : "dev.ludovic.netlib.blas.Java11BLAS")
                        .getMethod("getInstance");
                m.setAccessible(true);
                return (BLAS) m.invoke(null);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // another netlib version: its factory, warnings and all
            }
        }
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("dev.ludovic.netlib.blas.InstanceBuilder");
        java.util.logging.Level old = log.getLevel();
        if (!ElementwiseOps.vectorAvailable()) {
            log.setLevel(java.util.logging.Level.SEVERE);
        }
        try {
            return JavaBLAS.getInstance();
        } finally {
            log.setLevel(old);
        }
    }

    /** The rule: the system library unless it is clearly slower than the bundled one (noise margin 20%). */
    static boolean preferSystem(double systemGflops, double bundledGflops) {
        return systemGflops >= PREFER_SYSTEM * bundledGflops;
    }

    /** The vendor's name, or "unidentified BLAS". */
    static String describe(NativeLibrary lib) {
        return lib.vendor != null ? lib.vendor : "unidentified BLAS";
    }

    /** As {@link #describe(NativeLibrary)}, calling an unidentified library that is far slower a reference BLAS. */
    private static String describe(NativeLibrary lib, double rate, double bundledRate) {
        if (lib.vendor == null && rate < 0.35 * bundledRate) {
            return "reference-class BLAS (unidentified, measured slow)";
        }
        return describe(lib);
    }

    private static boolean exportsLapack(String name, List<String> notes) {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            @SuppressWarnings("restricted")
            var lookup = java.lang.foreign.SymbolLookup.libraryLookup(name, a);
            if (lookup.find("dsyevd_").isPresent()) {
                return true;
            }
            notes.add("system LAPACK " + name + " has no dsyevd_");
        } catch (RuntimeException e) {
            notes.add("no system LAPACK " + name + " (" + e.getMessage() + ")");
        }
        return false;
    }

    /**
     * Points netlib's JNI binding (blas or lapack) at a library before its first use. Both properties are set: its
     * JNI library opens {@code nativeLib} (default {@code libblas.so.3}) whatever {@code nativeLibPath} says, which
     * bound the system's library (or failed where there is none) when only the path was given.
     */
    private static void bindNetlib(String which, String location) {
        String base = "dev.ludovic.netlib." + which;
        System.setProperty(base + ".nativeLib", location);
        System.setProperty(base + ".nativeLibPath", location);
    }

    private static String defaultSystemBlas() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return os.contains("mac") ? "libblas.dylib" : os.contains("win") ? "libblas.dll" : "libblas.so.3";
    }

    private static String defaultSystemLapack() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return os.contains("mac") ? "liblapack.dylib" : os.contains("win") ? "liblapack.dll" : "liblapack.so.3";
    }

    /** The OpenBLAS of the {@code org.bytedeco:openblas} platform jar on the class or module path. */
    static final class BundledOpenBlas {
        private static Path extracted;

        private BundledOpenBlas() {
        }

        /** javacpp's platform name of this machine, e.g. linux-x86_64. */
        static String platform() {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            String o = os.contains("mac") ? "macosx" : os.contains("win") ? "windows" : os.contains("linux") ? "linux" : os;
            String a = switch (arch) {
                case "amd64", "x86_64", "x86-64" -> "x86_64";
                case "aarch64", "arm64" -> "arm64";
                default -> arch;
            };
            return o + "-" + a;
        }

        /**
         * The extracted main library (with its runtime beside it), extracting once per machine through
         * {@link NativeExtraction}, so neither a full disk nor concurrent JVMs ever leave or load a partial file.
         */
        static synchronized Path extract() {
            if (extracted != null) {
                return extracted;
            }
            String dir = "org/bytedeco/openblas/" + platform() + "/";
            ClassLoader loader = BlasSelection.class.getClassLoader();
            URL url = loader.getResource(dir);
            if (url == null) {
                throw new IllegalStateException("the org.bytedeco:openblas jar for " + platform()
                        + " is not on the class path");
            }
            if (!url.getProtocol().equals("jar")) {
                throw new IllegalStateException("the bundled OpenBLAS is not in a jar (" + url + ")");
            }
            try {
                JarURLConnection conn = (JarURLConnection) url.openConnection();
                conn.setUseCaches(false);
                try (JarFile jar = conn.getJarFile()) {
                    String version = version(jar);
                    Path target = NativeExtraction.cacheRoot().resolve("openblas-" + version + "-" + platform());
                    Files.createDirectories(target);
                    Path main = null;
                    for (JarEntry e : Collections.list(jar.entries())) {
                        String name = e.getName();
                        if (!name.startsWith(dir) || e.isDirectory()) {
                            continue;
                        }
                        String file = name.substring(dir.length());
                        // the native libraries only: not JavaCPP's JNI wrappers, headers, cmake files
                        if (file.contains("/") || file.startsWith("libjni") || file.startsWith("jni")
                                || file.contains("nolapack") || !isLibrary(file)) {
                            continue;
                        }
                        Path out;
                        try (InputStream in = jar.getInputStream(e)) {
                            out = NativeExtraction.extract(in, e.getSize(), target.resolve(file));
                        }
                        if (file.startsWith("libopenblas") || file.startsWith("openblas")) {
                            main = out;
                        }
                    }
                    if (main == null) {
                        throw new IllegalStateException("no OpenBLAS library in " + conn.getJarFileURL());
                    }
                    extracted = main.toAbsolutePath();
                    return extracted;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("extracting the bundled OpenBLAS failed: " + e.getMessage(), e);
            }
        }

        private static boolean isLibrary(String file) {
            return file.endsWith(".dll") || file.endsWith(".dylib") || file.contains(".so");
        }

        private static String version(JarFile jar) throws IOException {
            JarEntry e = jar.getJarEntry("META-INF/maven/org.bytedeco/openblas/pom.properties");
            if (e != null) {
                Properties p = new Properties();
                try (InputStream in = jar.getInputStream(e)) {
                    p.load(in);
                }
                String v = p.getProperty("version");
                if (v != null && v.matches("[A-Za-z0-9._-]+")) {
                    return v;
                }
            }
            return "unknown-" + Long.toHexString(new java.io.File(jar.getName()).length());
        }
    }
}
