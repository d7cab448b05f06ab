package org.ntk4j;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Backend;
import org.ntk4j.spi.BackendConfig;
import org.ntk4j.spi.BackendProvider;
import org.ntk4j.spi.Validation;

/**
 * The entry point: empirical NTKs, forward passes, Jacobians and MSE gradients of a dense network on the best
 * backend available, or the one asked for.
 *
 * <pre>{@code
 * Architecture arch = Architecture.builder(64).hidden(512, 512).output(10).build();
 * Parameters params = Parameters.init(arch, 42);
 * try (Ntk ntk = Ntk.open()) {                               // CUDA if a GPU is usable, else CPU; fp32
 *     Tensor k = ntk.kernel(params, x, NtkMode.TRACE);        // Θ(x, x), (N, N)
 * }
 * try (Ntk ntk = Ntk.builder().backend("cpu").precision(Precision.FP64).threads(4).open()) { ... }
 * }</pre>
 *
 * <p>Backends come from {@link BackendProvider}s found by {@link ServiceLoader}: ntk4j-core brings {@code "cpu"}
 * and {@code "reference"} (the fp64 oracle), ntk4j-cuda brings {@code "cuda"}. {@code "auto"} (the default) takes
 * the available provider of highest rank. An instance holds threads and native or device memory until
 * {@link #close()}; calls may come from several threads.
 *
 * <p>Arrays: inputs are read during the call and never kept; results are new objects the caller owns.
 */
public final class Ntk implements AutoCloseable {
    /** The backend name that picks the best available backend. */
    public static final String AUTO = "auto";

    private final Backend backend;

    private Ntk(Backend backend) {
        this.backend = backend;
    }

    /**
     * Opens the best available backend in fp32 with its default settings ({@code builder().open()}).
     *
     * @return an open instance; close it when done
     * @throws BackendUnavailableException when no backend can run here
     */
    public static Ntk open() {
        return builder().open();
    }

    /**
     * A builder with the defaults: backend {@code "auto"}, fp32, all cores, the backend's default memory budget.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Every backend found on the class path or module path, highest rank first, with whether it can run here.
     *
     * @return an unmodifiable list
     */
    public static List<BackendInfo> backends() {
        return providers().stream().map(BackendInfo::new).toList();
    }

    /** The providers found, highest rank first: the SPI stays behind {@link #backends()} and {@link Builder#open()}. */
    private static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, Ntk.class.getClassLoader()).forEach(list::add);
        if (list.isEmpty()) {
            // On the module path a caller's layer may hold the providers: ask the context loader too.
            ServiceLoader.load(BackendProvider.class).forEach(list::add);
        }
        list.sort(Comparator.comparingInt(BackendProvider::rank).reversed().thenComparing(BackendProvider::name));
        return list;
    }

    /**
     * The backend's name, e.g. {@code "cpu"} or {@code "cuda"} (never {@code "auto"}).
     *
     * @return the provider name of the backend in use
     */
    public String backendName() {
        return backend.name();
    }

    /**
     * A one-line description of the backend, e.g. "cpu fp32 (OpenBLAS 0.3.31, Vector API, 2 threads)".
     *
     * @return the description, for logs and reports
     */
    public String description() {
        return backend.description();
    }

    /**
     * The precision this instance computes in.
     *
     * @return the precision asked for when it was opened
     */
    public Precision precision() {
        return backend.precision();
    }

    /**
     * The empirical NTK Θ(x, x) in {@code mode}, exactly symmetric, by {@link Implementation#AUTO}.
     *
     * @param params the network
     * @param x      the inputs, (N, d)
     * @param mode   which values: (N, N, O, O), (N, N) or (N, N, O)
     * @return a new tensor in the mode's shape (see {@link KernelLayout} for the layout), stored as the backend's
     *         precision computes: float32 for fp32 and tf32 (half the memory of float64), float64 for fp64
     * @throws InvalidInputException  when the inputs do not match the network, contain NaN or ∞, or the result would
     *                                not fit one array
     * @throws BackendClosedException after {@link #close()}
     */
    public Tensor kernel(Parameters params, Matrix x, NtkMode mode) {
        return backend.kernel(params, x, mode, Implementation.AUTO);
    }

    /**
     * The empirical NTK Θ(x, x) in {@code mode}, exactly symmetric, by the given implementation.
     *
     * @param params         the network
     * @param x              the inputs, (N, d)
     * @param mode           which values: (N, N, O, O), (N, N) or (N, N, O)
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException  when an argument is invalid (see {@link #kernel(Parameters, Matrix, NtkMode)})
     * @throws BackendClosedException after {@link #close()}
     */
    public Tensor kernel(Parameters params, Matrix x, NtkMode mode, Implementation implementation) {
        return backend.kernel(params, x, mode, implementation);
    }

    /**
     * The empirical NTK Θ(x1, x2) in {@code mode} by {@link Implementation#AUTO}. The same instance twice is the
     * symmetric {@link #kernel(Parameters, Matrix, NtkMode)}.
     *
     * @param params the network
     * @param x1     the first inputs, (N1, d)
     * @param x2     the second inputs, (N2, d)
     * @param mode   which values: (N1, N2, O, O), (N1, N2) or (N1, N2, O)
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException  when an argument is invalid (see {@link #kernel(Parameters, Matrix, NtkMode)})
     * @throws BackendClosedException after {@link #close()}
     */
    public Tensor kernel(Parameters params, Matrix x1, Matrix x2, NtkMode mode) {
        return backend.kernel(params, x1, x2, mode, Implementation.AUTO);
    }

    /**
     * The empirical NTK Θ(x1, x2) in {@code mode} by the given implementation.
     *
     * @param params         the network
     * @param x1             the first inputs, (N1, d)
     * @param x2             the second inputs, (N2, d)
     * @param mode           which values: (N1, N2, O, O), (N1, N2) or (N1, N2, O)
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException  when an argument is invalid (see {@link #kernel(Parameters, Matrix, NtkMode)})
     * @throws BackendClosedException after {@link #close()}
     */
    public Tensor kernel(Parameters params, Matrix x1, Matrix x2, NtkMode mode, Implementation implementation) {
        return backend.kernel(params, x1, x2, mode, implementation);
    }

    /**
     * The full Θ(x, x) as the (N·O)×(N·O) matrix with Θ_ab(x_i, x_j) at row i·O + a, column j·O + b (see
     * {@link KernelLayout}), exactly symmetric, by {@link Implementation#AUTO}: the form linear algebra wants, without
     * reordering a (N, N, O, O) tensor.
     *
     * @param params the network
     * @param x      the inputs, (N, d)
     * @return a new (N·O, N·O) matrix
     * @throws InvalidInputException  when an argument is invalid (see {@link #kernel(Parameters, Matrix, NtkMode)})
     * @throws BackendClosedException after {@link #close()}
     */
    public Matrix kernelMatrix(Parameters params, Matrix x) {
        return backend.kernelMatrix(params, x, Implementation.AUTO);
    }

    /**
     * {@link #kernelMatrix(Parameters, Matrix)} by the given implementation.
     *
     * @param params         the network
     * @param x              the inputs, (N, d)
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new (N·O, N·O) matrix
     * @throws InvalidInputException  when an argument is invalid
     * @throws BackendClosedException after {@link #close()}
     */
    public Matrix kernelMatrix(Parameters params, Matrix x, Implementation implementation) {
        return backend.kernelMatrix(params, x, implementation);
    }

    /**
     * The full Θ(x1, x2) as the (N1·O)×(N2·O) matrix of {@link #kernelMatrix(Parameters, Matrix)}.
     *
     * @param params the network
     * @param x1     the first inputs, (N1, d)
     * @param x2     the second inputs, (N2, d)
     * @return a new (N1·O, N2·O) matrix
     * @throws InvalidInputException  when an argument is invalid
     * @throws BackendClosedException after {@link #close()}
     */
    public Matrix kernelMatrix(Parameters params, Matrix x1, Matrix x2) {
        return backend.kernelMatrix(params, x1, x2, Implementation.AUTO);
    }

    /**
     * {@link #kernelMatrix(Parameters, Matrix, Matrix)} by the given implementation.
     *
     * @param params         the network
     * @param x1             the first inputs, (N1, d)
     * @param x2             the second inputs, (N2, d)
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new (N1·O, N2·O) matrix
     * @throws InvalidInputException  when an argument is invalid
     * @throws BackendClosedException after {@link #close()}
     */
    public Matrix kernelMatrix(Parameters params, Matrix x1, Matrix x2, Implementation implementation) {
        return backend.kernelMatrix(params, x1, x2, implementation);
    }

    /**
     * The empirical NNGP Σ(x, x): the products of the network's outputs f_a(x_i)·f_b(x_j) (neural-tangents'
     * {@code empirical_nngp_fn}), laid out by mode as the NTK is — full (N, N, O, O), trace (N, N) the mean over
     * outputs of f_a(x_i)·f_a(x_j), diagonal (N, N, O) — exactly symmetric. The outputs come from this backend's
     * forward pass (in its precision); their products are formed in fp64. Over random initialisations its mean is
     * the infinite-width NNGP ({@link org.ntk4j.analytic.AnalyticKernel#nngp}) as the widths grow.
     *
     * @param params the network
     * @param x      the inputs, (N, d)
     * @param mode   which values: (N, N, O, O), (N, N) or (N, N, O)
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException  when an argument is invalid (see {@link #kernel(Parameters, Matrix, NtkMode)})
     * @throws BackendClosedException after {@link #close()}
     */
    public Tensor nngp(Parameters params, Matrix x, NtkMode mode) {
        Validation.requireNtkArguments(params, x, x, mode, Implementation.AUTO);
        Matrix f = backend.forward(params, x);
        return EmpiricalNngp.of(f, f, mode);
    }

    /**
     * The empirical NNGP Σ(x1, x2) = f_a(x1_i)·f_b(x2_j) in {@code mode}'s layout; see
     * {@link #nngp(Parameters, Matrix, NtkMode)}. The same instance twice is the symmetric form.
     *
     * @param params the network
     * @param x1     the first inputs, (N1, d)
     * @param x2     the second inputs, (N2, d)
     * @param mode   which values: (N1, N2, O, O), (N1, N2) or (N1, N2, O)
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException  when an argument is invalid (see {@link #kernel(Parameters, Matrix, NtkMode)})
     * @throws BackendClosedException after {@link #close()}
     */
    public Tensor nngp(Parameters params, Matrix x1, Matrix x2, NtkMode mode) {
        Validation.requireNtkArguments(params, x1, x2, mode, Implementation.AUTO);
        Matrix f1 = backend.forward(params, x1);
        return EmpiricalNngp.of(f1, x2 == x1 ? f1 : backend.forward(params, x2), mode);
    }

    /**
     * The empirical NTK or NNGP of {@code params} on this backend as a {@link KernelFunction}: its {@code kernel}
     * calls are {@link #kernel(Parameters, Matrix, Matrix, NtkMode, Implementation)} or
     * {@link #nngp(Parameters, Matrix, Matrix, NtkMode)}. It uses this {@code Ntk} (close that when done, not the
     * function).
     *
     * @param params         the network; kept by reference, so do not change it while the function is in use
     * @param kind           the NTK or the NNGP
     * @param implementation how the NTK is computed ({@link Implementation#AUTO} lets the backend choose); the NNGP
     *                       ignores it
     * @return the kernel function
     * @throws InvalidInputException when an argument is missing or the parameters are invalid
     */
    public KernelFunction kernelFunction(Parameters params, KernelKind kind, Implementation implementation) {
        Validation.requireParameters(params);
        if (kind == null || implementation == null) {
            throw new InvalidInputException("kernel kind and implementation must be given");
        }
        Architecture arch = params.architecture();
        String what = "empirical " + kind.name() + " on " + backend.description();
        return KernelFunction.of(kind, arch.inputDim(), arch.outputDim(), what, (x1, x2, mode) ->
                kind == KernelKind.NTK ? backend.kernel(params, x1, x2, mode, implementation) : nngp(params, x1, x2, mode));
    }

    /**
     * The network's outputs f(x).
     *
     * @param params the network
     * @param x      the inputs, (N, d)
     * @return a new (N, O) matrix
     * @throws InvalidInputException  when the inputs do not match the network or contain NaN or ∞
     * @throws BackendClosedException after {@link #close()}
     */
    public Matrix forward(Parameters params, Matrix x) {
        return backend.forward(params, x);
    }

    /**
     * The per-example Jacobian, row n·O + a = ∂f_a(x_n)/∂θ in the parameter order of {@link Parameters}; see
     * {@link Backend#jacobian}.
     *
     * @param params the network
     * @param x      the inputs, (N, d)
     * @return a new (N·O, P) matrix
     * @throws InvalidInputException  when an argument is invalid or N·O·P values do not fit one array
     * @throws BackendClosedException after {@link #close()}
     */
    public Matrix jacobian(Parameters params, Matrix x) {
        return backend.jacobian(params, x);
    }

    /**
     * The MSE loss ½·mean((f(x) − y)²) over all N·O entries and its gradient; see {@link Backend#mseLossGradient}.
     *
     * @param params the network
     * @param x      the inputs, (N, d)
     * @param y      the targets, (N, O)
     * @return the loss and a new gradient array of P values
     * @throws InvalidInputException  when an argument is invalid
     * @throws BackendClosedException after {@link #close()}
     */
    public LossGradient mseLossGradient(Parameters params, Matrix x, Matrix y) {
        return backend.mseLossGradient(params, x, y);
    }

    /**
     * The parameters (copied) held by the backend for repeated forward passes, gradients, kernels and in-place
     * gradient steps without converting or uploading them each time; see {@link PreparedModel}. Close the model
     * before this {@code Ntk}.
     *
     * @param params the network; copied, so later changes to it do not reach the model
     * @return an open model; close it when done
     * @throws BackendClosedException after {@link #close()}
     */
    public PreparedModel prepare(Parameters params) {
        return backend.prepare(params);
    }

    /**
     * The initial parameters {@code Parameters.init(arch, seed)} prepared where the backend keeps models — on a GPU
     * generated layer by layer, never whole on the host, so this works for layers too large for host arrays (see
     * {@link Backend#prepare(Architecture, long)}).
     *
     * @param arch the network's shape
     * @param seed the initialization seed
     * @return the prepared model; close it to free what the backend holds for it
     */
    public PreparedModel prepare(Architecture arch, long seed) {
        return backend.prepare(arch, seed);
    }

    /** Releases the backend; calls already running finish first. Idempotent. */
    @Override
    public void close() {
        backend.close();
    }

    /** {@code Ntk[}the backend's description{@code ]}. */
    @Override
    public String toString() {
        return "Ntk[" + backend.description() + "]";
    }

    /** How to open an {@link Ntk}: which backend, in which precision, with which settings. */
    public static final class Builder {
        private String backend = AUTO;
        private Precision precision = Precision.FP32;
        private int threads;
        private long memoryBudget;
        private final Map<String, String> options = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * The backend by provider name ({@code "auto"}, {@code "cpu"}, {@code "cuda"}, {@code "reference"}, or any
         * other provider's), any case. Default {@code "auto"}.
         *
         * @param name the provider name
         * @return this builder
         */
        public Builder backend(String name) {
            if (name == null || name.isBlank()) {
                throw new InvalidInputException("backend name must be given (e.g. auto, cpu, cuda, reference)");
            }
            this.backend = name.trim().toLowerCase(Locale.ROOT);
            return this;
        }

        /**
         * The backend that typed settings belong to, with those settings (they replace any of the same names given
         * before through {@link #option}), e.g. {@code backend(CpuOptions.defaults().withBlas(Blas.JAVA))}.
         *
         * @param settings the backend's settings
         * @return this builder
         * @throws InvalidInputException when settings is null
         */
        public Builder backend(BackendOptions settings) {
            if (settings == null) {
                throw new InvalidInputException("backend settings must be given");
            }
            backend(settings.backend());
            options.putAll(settings.asOptions());
            return this;
        }

        /**
         * The arithmetic precision: FP32 (default), FP64, or TF32 (CUDA only).
         *
         * @param precision the precision
         * @return this builder
         */
        public Builder precision(Precision precision) {
            if (precision == null) {
                throw new InvalidInputException("precision must be given");
            }
            this.precision = precision;
            return this;
        }

        /**
         * Worker threads for backends that use the CPU (default: all cores).
         *
         * @param threads at least 1, at most 32767
         * @return this builder
         */
        public Builder threads(int threads) {
            this.threads = BackendConfig.requireThreads(threads);
            return this;
        }

        /**
         * The working-memory budget: how much memory the backend may use for one call's intermediate results (default:
         * the backend's; the CPU backend takes the smaller of 1 GiB and a quarter of the maximum heap).
         *
         * @param bytes the budget in bytes, positive
         * @return this builder
         */
        public Builder memoryBudget(long bytes) {
            if (bytes < 1) {
                throw new InvalidInputException("memory budget must be positive, got " + bytes);
            }
            this.memoryBudget = bytes;
            return this;
        }

        /**
         * A backend-specific option in string form, e.g. {@code option("blas", "java")} for the CPU backend, as the
         * CLI passes them; {@link #backend(BackendOptions)} takes them typed. A backend refuses options it does not
         * know when it is opened (under {@code "auto"}, the chosen backend decides). README lists each backend's
         * options.
         *
         * @param key   the option's name, e.g. {@code "blas"}
         * @param value its value, e.g. {@code "java"}
         * @return this builder
         */
        public Builder option(String key, String value) {
            if (key == null || key.isBlank() || value == null) {
                throw new InvalidInputException("an option needs a key and a value");
            }
            options.put(key.trim(), value);
            return this;
        }

        /**
         * Opens the backend. Throws {@link BackendUnavailableException} naming the reason when the asked-for backend
         * (or, for {@code "auto"}, every backend) cannot run here, and {@link InvalidInputException} for an unknown
         * backend name or option.
         *
         * @return an open instance; close it when done
         */
        public Ntk open() {
            BackendConfig config = new BackendConfig(precision, threads, memoryBudget, options);
            List<BackendProvider> all = providers();
            StringBuilder reasons = new StringBuilder();
            boolean known = false;
            for (BackendProvider p : all) {
                boolean candidate = backend.equals(AUTO) ? p.autoSelectable() : p.name().equals(backend);
                if (!candidate) {
                    continue;
                }
                known = true;
                String why = p.unavailableReason();
                if (why == null) {
                    return new Ntk(p.open(config));
                }
                reasons.append(reasons.isEmpty() ? "" : "; ").append(p.name()).append(": ").append(why);
            }
            if (!known && !backend.equals(AUTO)) {
                List<String> names = new ArrayList<>();
                all.forEach(p -> names.add(p.name()));
                throw new InvalidInputException("unknown backend '" + backend + "' (available here: auto, "
                        + String.join(", ", names) + ")");
            }
            throw new BackendUnavailableException("no " + backend + " backend can run here"
                    + (reasons.isEmpty() ? " (none is on the class path)" : " (" + reasons + ")"));
        }
    }
}
