package org.ntk4j.cli;

import java.util.Locale;
import org.ntk4j.Ntk;
import org.ntk4j.Implementation;
import org.ntk4j.Precision;
import org.ntk4j.model.Parameters;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** Where and how the kernel is computed: --device, --precision, --impl. */
final class ComputeOptions {

    /** The --impl choices: the library's implementations plus the reference oracle and the infinite-width limit. */
    enum Impl {
        AUTO, JACOBIAN, STRUCTURED, REFERENCE, ANALYTIC;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    enum Device {
        AUTO, CPU, CUDA
    }

    static final class ImplConverter implements ITypeConverter<Impl> {
        @Override
        public Impl convert(String s) {
            String k = s.trim().toLowerCase(Locale.ROOT);
            return switch (k) {
                case "auto" -> Impl.AUTO;
                case "jacobian", "jacobian_contraction", "jc" -> Impl.JACOBIAN;
                case "structured" -> Impl.STRUCTURED;
                case "reference" -> Impl.REFERENCE;
                case "analytic", "infinite" -> Impl.ANALYTIC;
                default -> throw new TypeConversionException(
                        "unknown implementation '" + s + "' (expected auto, jacobian, structured, reference or analytic)");
            };
        }
    }

    static final class DeviceConverter implements ITypeConverter<Device> {
        @Override
        public Device convert(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "auto" -> Device.AUTO;
                case "cpu" -> Device.CPU;
                case "cuda", "gpu" -> Device.CUDA;
                default -> throw new TypeConversionException("unknown device '" + s + "' (expected auto, cpu or cuda)");
            };
        }
    }

    @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|cuda", converter = DeviceConverter.class,
            description = "Where to compute: auto takes the GPU when one is usable, else the CPU (default: ${DEFAULT-VALUE}).")
    Device device;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|fp64|tf32",
            converter = Converters.PrecisionConverter.class,
            description = "Arithmetic precision; the output file is float64 for fp64, float32 otherwise (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(names = "--impl", defaultValue = "auto", paramLabel = "IMPL", converter = ImplConverter.class,
            description = "auto | jacobian (build J, Θ = J·Jᵀ) | structured (layer-wise Grams) | reference (plain fp64"
                    + " oracle, slow) | analytic (the infinite-width kernel) (default: ${DEFAULT-VALUE}).")
    Impl impl;

    /** Whether results are written as float32. */
    boolean float32Output() {
        return precision != Precision.FP64;
    }

    /** The backend's provider name for these flags. */
    String backendName() {
        if (impl == Impl.REFERENCE) {
            return "reference";
        }
        return switch (device) {
            case AUTO -> Ntk.AUTO;
            case CPU -> "cpu";
            case CUDA -> "cuda";
        };
    }

    Implementation implementation() {
        return switch (impl) {
            case JACOBIAN -> Implementation.JACOBIAN_CONTRACTION;
            case STRUCTURED -> Implementation.STRUCTURED;
            default -> Implementation.AUTO;
        };
    }

    /** Opens the backend these flags ask for (not for --impl analytic). */
    Ntk openBackend() {
        return Ntk.builder().backend(backendName()).precision(precision).open();
    }

    /** The kernel these flags describe, for this network. */
    KernelSource kernelSource(Parameters params) {
        if (impl == Impl.ANALYTIC) {
            return KernelSource.analytic(params.architecture());
        }
        return KernelSource.empirical(openBackend(), params, implementation(), impl == Impl.REFERENCE);
    }
}
