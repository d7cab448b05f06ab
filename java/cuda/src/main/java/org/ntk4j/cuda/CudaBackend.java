package org.ntk4j.cuda;

import java.util.List;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Backend;
import org.ntk4j.spi.BackendConfig;

/**
 * The CUDA backend: the kernels of {@code cuda/} driven through {@link CudaDriver}.
 *
 * <p>Work is split to fit a device memory budget (the configured memory budget, else the option
 * {@code memoryFraction}, default 0.8, of the free memory when the call starts): the NTK over tiles of x1 × x2
 * examples, the Jacobian and the Jacobian contraction also over column chunks of P, the forward pass and the gradient
 * over tiles of examples. Tiles are also capped so that every grid stays within the device's limits (δ has O rows per
 * example). Every device allocation of a call is freed when the call ends, normally or by an exception (best effort:
 * after a device fault each free is still attempted and the fault is what the caller sees); an allocation that does
 * not fit throws {@link CudaOutOfMemoryException} and the backend stays usable.
 *
 * <p>Precision: FP32 and FP64 run the SIMT kernels in that precision. In FP32 (and TF32) no fp32 sum runs over more
 * than {@code SLICE_K} terms: the Gram and structured kernels add their fp32 slices, the split-K partials, the P
 * chunks and the layers in fp64 (their outputs are fp64), and results are rounded to fp32 once, at the end, like the
 * CPU backend's. TF32 stores fp32 and uses the TF32 tensor-core Gram kernel for the Jacobian contraction; the
 * structured path has no TF32 variant and runs in fp32 (its Gram products are small), which is at least as accurate
 * as requested.
 *
 * <p>Prepared models ({@link #createPreparedModel}) keep W, Wᵀ, b, the starting parameters, the gradient and one
 * grow-only workspace on the device between calls; a gradient-descent step moves only the inputs in and the loss out.
 *
 * <p>Options (see {@link CudaProvider}): {@code gram=cublas} makes the Jacobian contraction use cuBLAS (found through
 * {@link Cublas}, or the file named by {@code cublasPath}) instead of the own Gram kernel, for comparison;
 * {@code poison=true} fills every output buffer with NaN before a kernel writes it (a testing aid).
 *
 * <p>This class holds the configuration and each call's lifetime; {@link CudaMemoryPlanner} sizes the work to the
 * budget, {@link CudaTiler} cuts the NTK into tiles and {@link CudaOperations} runs the kernels on a model on the
 * device ({@link DeviceNet}), walking its layers ({@link DeviceLayer}: one class per layer kind).
 */
public final class CudaBackend extends Backend {
    private final CudaDevice dev;
    private final Precision precision;
    private final KernelLaunches.Elem elem;
    private final CudaMemoryPlanner memory;
    private final CudaOperations ops;
    private final CudaTiler tiler;
    private final String cublasPath;

    /** Opens the device found by the availability probe with the defaults in this precision. */
    public CudaBackend(Precision precision) {
        this(CudaDevice.open(), BackendConfig.of(precision));
    }

    CudaBackend(CudaDevice dev, Precision precision) {
        this(dev, BackendConfig.of(precision));
    }

    /** On this device, with the options of {@link CudaProvider}; the device is closed with the backend. */
    CudaBackend(CudaDevice dev, BackendConfig config) {
        config.requireOnly("cuda", "device", "memoryFraction", "gram", "poison", "cublasPath");
        this.dev = dev;
        this.precision = config.precision();
        this.elem = precision == Precision.FP64 ? KernelLaunches.Elem.F64 : KernelLaunches.Elem.F32;
        double memoryFraction = config.doubleOption("memoryFraction", 0.8, Double.MIN_VALUE, 1);
        boolean useCublas = config.choiceOption("gram", "native", "native", "cublas").equals("cublas");
        boolean poison = config.booleanOption("poison", false);
        String path = config.option("cublasPath", null);
        if (path != null && path.isBlank()) {
            throw new InvalidInputException("option cublasPath must name a file, got an empty value");
        }
        this.cublasPath = path;
        this.memory = new CudaMemoryPlanner(dev, memoryFraction, config.memoryBudget());
        this.ops = new CudaOperations(dev, elem, precision == Precision.TF32, memory, useCublas, path, poison);
        this.tiler = new CudaTiler(ops, memory);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return "cuda " + precision.name().toLowerCase() + " (" + dev.describe() + ", " + dev.driver().description() + ")";
    }

    @Override
    public Precision precision() {
        return precision;
    }

    /** The device, for benchmarks and tests. */
    public CudaDevice device() {
        return dev;
    }

    /** The cuBLAS library file named by the {@code cublasPath} option, or null (search the usual places). */
    String cublasPath() {
        return cublasPath;
    }

    /** Caps the device memory one call may use (bytes; negative: the default fraction of free memory). */
    synchronized void setMemoryBudget(long bytes) {
        memory.setBudget(bytes);
    }

    /** Fills every output buffer with NaN before a kernel writes it (a testing aid; costs one pass per buffer). */
    synchronized void setPoisonOutputs(boolean on) {
        ops.setPoisonOutputs(on);
    }

    /** The operations on a model on the device (for prepared models). */
    CudaOperations operations() {
        return ops;
    }

    /** The NTK's tiling (for prepared models). */
    CudaTiler tiler() {
        return tiler;
    }

    // ---------------------------------------------------------------------------------------------------
    // Backend: each call uploads the parameters and works in a workspace of its own
    // ---------------------------------------------------------------------------------------------------

    /** A call's work on its own copy of the parameters and its own workspace. */
    private interface Work<R> {
        R run(DeviceNet net, Workspace ws, long avail, long modelBytes);
    }

    private <R> R withModel(Parameters params, Work<R> work) {
        // the layers first: a sequence the kernels cannot run is refused before anything is sized or allocated
        long modelBytes = CudaMemoryPlanner.netElements(params.architecture(), true) * elem.bytes;
        Workspace ws = ops.newWorkspace();
        long avail = memory.working(ws, modelBytes, false);
        if (avail <= 0) { // refused before anything is allocated or uploaded
            throw memory.tooBig("the model's parameters (W, Wᵀ, b)", modelBytes, modelBytes);
        }
        DeviceNet net = null;
        Throwable failure = null;
        try {
            net = ops.newNet(params.architecture(), true).load(params);
            return work.run(net, ws, avail, modelBytes);
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            Release r = new Release(failure);
            r.close(List.of(ws));
            if (net != null) {
                r.close(List.of(net));
            }
            if (failure == null) {
                r.rethrow();
            }
        }
    }

    @Override
    protected synchronized Matrix computeForward(Parameters params, Matrix x) {
        return withModel(params, (net, ws, avail, mb) -> ops.forwardOn(net, ws, avail, mb, x));
    }

    @Override
    protected synchronized LossGradient computeMseLossGradient(Parameters params, Matrix x, Matrix y) {
        Architecture a = params.architecture();
        if (a.parameterCount() > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the gradient has " + a.parameterCount()
                    + " entries, more than one array holds");
        }
        return withModel(params, (net, ws, avail, mb) -> {
            DeviceLayer.Grad g = ops.gradBuffers(ws, net);
            long gradBytes = a.parameterCount() * elem.bytes;
            double loss = ops.gradientOn(net, ws, avail - gradBytes, mb + gradBytes, g, x, y, 0);
            return new LossGradient(loss, ops.downloadGradient(net, g));
        });
    }

    @Override
    protected synchronized Matrix computeJacobian(Parameters params, Matrix x) {
        return withModel(params, (net, ws, avail, mb) -> ops.jacobianOn(net, ws, avail, mb, x));
    }

    @Override
    protected synchronized Tensor computeKernel(Parameters params, Matrix x1, Matrix x2r, boolean symmetric,
                                                NtkMode mode, Implementation impl) {
        return withModel(params, (net, ws, avail, mb) -> tiler.ntk(net, ws, avail, mb, x1, x2r, symmetric, mode, impl));
    }

    @Override
    protected PreparedModel createPreparedModel(Parameters params) {
        return CudaPreparedModel.of(this, params);
    }

    @Override
    protected PreparedModel createPreparedModel(Architecture arch, long seed) {
        return CudaPreparedModel.initial(this, arch, seed);
    }

    /** For prepared models: the working bytes of a call on a resident model of {@code residentBytes}. */
    synchronized long workingForResident(Workspace ws, long residentBytes) {
        return memory.working(ws, residentBytes, true);
    }

    /** Wraps a prepared model's call: the backend's open check and call accounting, and its lock. */
    <R> R call(java.util.function.Supplier<R> body) {
        enter();
        try {
            synchronized (this) {
                return body.get();
            }
        } finally {
            exit();
        }
    }

    @Override
    protected synchronized void release() {
        Release r = new Release();
        r.run(ops::close);
        r.run(dev::close);
        r.rethrow();
    }
}
