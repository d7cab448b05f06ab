package org.ntk4j.spark;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.ntk4j.BackendOptions;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelKind;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The kernels ntk4j computes, as a serializable description: the empirical NTK or NNGP of one network (its
 * architecture and every parameter) by an implementation in a precision, or the infinite-width NTK or NNGP of an
 * architecture ({@link #withKind}); on an executor it computes through core's {@link org.ntk4j.KernelFunction}. On an
 * executor the empirical kernel runs on the best backend there: CUDA when Spark's resource scheduling gave the task
 * a GPU ({@code spark.task.resource.gpu.amount}), else the CPU with {@code spark.task.cpus} threads — unless a
 * device was forced. Distributed jobs broadcast it, so each executor deserializes the parameters once.
 */
public final class KernelSpec implements SerializableKernel {
    private static final long serialVersionUID = 1L;

    /** The architecture as ParametersIO's architecture.json writes it: the one serialised form of a network. */
    private final String architecture;
    /** Every parameter in the order of {@link Parameters#toFlat()}; null for the infinite-width kernel. */
    private final double[] flatParameters;
    /** The NTK or the NNGP. */
    private final KernelKind kind;
    /** The kernel's mode. */
    private final NtkMode mode;
    /** The precision the backend computes in. */
    private final Precision precision;
    /** The implementation the backend uses. */
    private final Implementation implementation;
    /** Where it runs: auto, cpu, cuda or reference; "analytic" for the infinite-width kernel. */
    private final String device;
    /** The backend's settings ({@link BackendOptions#asOptions()}) when given typed; empty otherwise. */
    private final LinkedHashMap<String, String> options;
    private transient Parameters parameters;
    private transient Architecture arch;

    private KernelSpec(Architecture a, double[] flat, KernelKind kind, NtkMode mode, Precision precision,
                       Implementation impl, String device, Map<String, String> options) {
        this.architecture = ParametersIO.architectureJson(a);
        this.arch = a;
        this.flatParameters = flat;
        this.kind = kind;
        this.mode = mode;
        this.precision = precision;
        this.implementation = impl;
        this.device = device;
        this.options = new LinkedHashMap<>(options);
    }

    /**
     * The empirical NTK of {@code params} on the best backend of each task: CUDA where the task was given a GPU, else
     * the CPU.
     *
     * @param params    the network; its parameters are copied, so later changes to it are not seen
     * @param mode      the kernel's mode
     * @param precision the backend's precision; tiles are stored as float64 only for fp64
     * @param impl      the implementation the backend uses
     * @return the description, ready to broadcast
     */
    public static KernelSpec empirical(Parameters params, NtkMode mode, Precision precision, Implementation impl) {
        return empirical(params, mode, precision, impl, "auto");
    }

    /**
     * The empirical NTK of {@code params} on the backend these typed settings belong to, with them, as
     * {@link org.ntk4j.Ntk.Builder#backend(BackendOptions)} takes them: e.g.
     * {@code CpuOptions.defaults().withBlas(Blas.JAVA)} on every executor.
     *
     * @param params    the network; its parameters are copied, so later changes to it are not seen
     * @param mode      the kernel's mode
     * @param precision the backend's precision; tiles are stored as float64 only for fp64
     * @param impl      the implementation the backend uses
     * @param settings  the backend and its settings
     * @return the description, ready to broadcast
     * @throws InvalidInputException when {@code settings} is null
     */
    public static KernelSpec empirical(Parameters params, NtkMode mode, Precision precision, Implementation impl,
                                       BackendOptions settings) {
        if (settings == null) {
            throw new InvalidInputException("the backend's settings must be given");
        }
        return new KernelSpec(params.architecture(), params.toFlat(), KernelKind.NTK, mode, precision, impl,
                settings.backend(), settings.asOptions());
    }

    /**
     * The empirical NTK of {@code params} on a backend named as {@link org.ntk4j.Ntk.Builder#backend(String)} names
     * it: {@code device} is auto (GPU where the task has one, else CPU), cpu, cuda or reference (the fp64 oracle).
     *
     * @param params    the network; its parameters are copied, so later changes to it are not seen
     * @param mode      the kernel's mode
     * @param precision the backend's precision (ignored for the reference device, which is always fp64); tiles are
     *                  stored as float64 only for fp64
     * @param impl      the implementation the backend uses
     * @param device    auto, cpu, cuda or reference, in any case and with surrounding spaces
     * @return the description, ready to broadcast
     * @throws InvalidInputException when {@code device} is none of the four
     */
    public static KernelSpec empirical(Parameters params, NtkMode mode, Precision precision, Implementation impl,
                                       String device) {
        if (device == null) {
            throw new InvalidInputException("device must be auto, cpu, cuda or reference, got none");
        }
        String d = device.trim().toLowerCase(Locale.ROOT);
        if (!d.equals("auto") && !d.equals("cpu") && !d.equals("cuda") && !d.equals("reference")) {
            throw new InvalidInputException("device must be auto, cpu, cuda or reference, got '" + device + "'");
        }
        return new KernelSpec(params.architecture(), params.toFlat(), KernelKind.NTK, mode,
                d.equals("reference") ? Precision.FP64 : precision, impl, d, Map.of());
    }

    /**
     * The infinite-width NTK Θ^L ⊗ I_O of the architecture, in fp64 (tiles stored as float64 or float32).
     *
     * @param arch    the architecture; its fields are copied into the spec
     * @param mode    the kernel's mode
     * @param float32 whether tiles are stored as float32 (the values are computed in fp64 either way)
     * @return the description, ready to broadcast
     */
    public static KernelSpec analytic(Architecture arch, NtkMode mode, boolean float32) {
        return new KernelSpec(arch, null, KernelKind.NTK, mode, float32 ? Precision.FP32 : Precision.FP64,
                Implementation.AUTO, "analytic", Map.of());
    }

    /**
     * The same description for another kernel of the same network: the NNGP (the empirical one, f_a(x)·f_b(x'), or
     * Σ^L ⊗ I_O at infinite width) instead of the NTK, or back.
     *
     * @param k the kernel
     * @return a new description (this one is unchanged)
     * @throws InvalidInputException when k is null
     */
    public KernelSpec withKind(KernelKind k) {
        if (k == null) {
            throw new InvalidInputException("kernel kind must be given");
        }
        return new KernelSpec(architecture(), flatParameters, k, mode, precision, implementation, device, options);
    }

    /**
     * Which kernel: the NTK or the NNGP.
     *
     * @return the kind
     */
    public KernelKind kind() {
        return kind;
    }

    /**
     * Whether this is the infinite-width kernel (no parameters).
     *
     * @return true for {@link #analytic}, false for {@link #empirical}
     */
    public boolean isAnalytic() {
        return flatParameters == null;
    }

    /**
     * The network's architecture, read from the description shipped with the spec (once per deserialized copy).
     *
     * @return an architecture equal to the one given at creation
     */
    public synchronized Architecture architecture() {
        if (arch == null) {
            arch = ParametersIO.architecture(architecture);
        }
        return arch;
    }

    /**
     * The network (rebuilt once per deserialized copy, i.e. once per executor for a broadcast spec).
     *
     * @return the parameters, shared by every call on this copy: not to be changed
     * @throws IllegalStateException for the infinite-width kernel
     */
    public synchronized Parameters parameters() {
        if (isAnalytic()) {
            throw new IllegalStateException("the infinite-width kernel has no parameters");
        }
        if (parameters == null) {
            Parameters p = Parameters.zeros(architecture());
            p.setFlat(flatParameters);
            parameters = p;
        }
        return parameters;
    }

    @Override
    public Tensor kernel(Matrix x, NtkMode m) {
        return local().kernel(x, m);
    }

    @Override
    public Tensor kernel(Matrix x1, Matrix x2, NtkMode m) {
        return local().kernel(x1, x2, m);
    }

    /** The kernel here: the infinite-width one, or the empirical one on this task's backend. */
    private org.ntk4j.KernelFunction local() {
        if (isAnalytic()) {
            return AnalyticKernel.of(architecture()).kernelFunction(kind);
        }
        TaskContext task = TaskContext.get();
        int threads = task == null ? 0 : Math.max(1, task.cpus());
        return ExecutorBackends.get(backendHere(task), options, precision, threads).kernelFunction(parameters(), kind,
                implementation);
    }

    /** The backend for a task: a forced device, else CUDA when the task was given a GPU, else the CPU. */
    String backendHere(TaskContext task) {
        if (!device.equals("auto")) {
            return device;
        }
        if (task == null) {
            return "auto";
        }
        return task.resourcesJMap().containsKey("gpu") ? "cuda" : "cpu";
    }

    @Override
    public NtkMode mode() {
        return mode;
    }

    @Override
    public int outputDim() {
        return architecture().outputDim();
    }

    @Override
    public int inputDim() {
        return architecture().inputDim();
    }

    @Override
    public boolean float32() {
        return precision != Precision.FP64;
    }

    /**
     * The precision the kernel is computed in (fp64 for the reference device; for the infinite-width kernel, fp32
     * only says that tiles are stored as float32).
     *
     * @return the precision
     */
    public Precision precision() {
        return precision;
    }

    @Override
    public String description() {
        Architecture a = architecture();
        String model = a.spec() + " " + a.parameterization().id();
        String m = mode.name().toLowerCase(Locale.ROOT);
        return isAnalytic() ? "infinite-width " + m + " " + kind.name() + " of " + model + " (fp64, stored "
                + (float32() ? "float32)" : "float64)")
                : "empirical " + m + " " + kind.name() + " of " + model + ", " + precision.name().toLowerCase(Locale.ROOT) + ", "
                        + implementation.name().toLowerCase(Locale.ROOT) + ", device " + device
                        + (options.isEmpty() ? "" : " " + options);
    }

    @Override
    public void digest(MessageDigest md) {
        md.update(description().getBytes(StandardCharsets.UTF_8));
        md.update(architecture.getBytes(StandardCharsets.UTF_8));
        if (flatParameters != null) {
            ByteBuffer p = ByteBuffer.allocate(8 * 4096);
            for (int i = 0; i < flatParameters.length; i++) {
                if (!p.hasRemaining()) {
                    md.update(p.array(), 0, p.position());
                    p.clear();
                }
                p.putDouble(flatParameters[i]);
            }
            md.update(p.array(), 0, p.position());
        }
    }
}
