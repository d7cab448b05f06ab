package org.ntk4j.cli;

import java.util.Locale;
import org.ntk4j.Implementation;
import org.ntk4j.KernelKind;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.model.Parameters;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** How a kernel is computed: --device and --precision, plus --impl (the library's implementations or the limit). */
final class ComputeOptions extends DeviceOptions {

    /** The --impl choices: the library's implementations plus the infinite-width limit. */
    enum Impl {
        AUTO, JACOBIAN, STRUCTURED, ANALYTIC;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final class ImplConverter implements ITypeConverter<Impl> {
        @Override
        public Impl convert(String s) {
            String k = s.trim().toLowerCase(Locale.ROOT);
            return switch (k) {
                case "auto" -> Impl.AUTO;
                case "jacobian", "jacobian_contraction", "jc" -> Impl.JACOBIAN;
                case "structured" -> Impl.STRUCTURED;
                case "analytic", "infinite" -> Impl.ANALYTIC;
                case "reference" -> throw new TypeConversionException(
                        "the fp64 reference is a backend: use --device reference");
                default -> throw new TypeConversionException(
                        "unknown implementation '" + s + "' (expected auto, jacobian, structured or analytic)");
            };
        }
    }

    @Option(names = "--impl", defaultValue = "auto", paramLabel = "IMPL", converter = ImplConverter.class,
            description = "auto | jacobian (build J, Θ = J·Jᵀ) | structured (layer-wise Grams) | analytic (the"
                    + " infinite-width kernel) (default: ${DEFAULT-VALUE}).")
    Impl impl;

    /** Whether the kernel is the fp64 reference's, which builds each example's whole Jacobian. */
    boolean reference() {
        return device == Device.REFERENCE;
    }

    Implementation implementation() {
        return switch (impl) {
            case JACOBIAN -> Implementation.JACOBIAN_CONTRACTION;
            case STRUCTURED -> Implementation.STRUCTURED;
            default -> Implementation.AUTO;
        };
    }

    /**
     * f₀, the outputs at initialisation that training starts from, for each batch of inputs: the network's own for
     * the empirical kernel (linearised training fits y − f₀ and adds f₀ back), zero for the infinite-width kernel
     * (the mean over the ensemble of initialisations).
     */
    Matrix[] initialOutputs(Parameters params, Matrix... inputs) {
        Matrix[] f0 = new Matrix[inputs.length];
        if (impl == Impl.ANALYTIC) {
            for (int i = 0; i < inputs.length; i++) {
                f0[i] = Matrix.zeros(inputs[i].rows(), params.architecture().outputDim());
            }
            return f0;
        }
        try (Ntk b = openBackend()) {
            for (int i = 0; i < inputs.length; i++) {
                f0[i] = b.forward(params, inputs[i]);
            }
        }
        return f0;
    }

    /** The kernel of this kind these flags describe, for this network. */
    KernelSource kernelSource(Parameters params, KernelKind kind) {
        if (impl == Impl.ANALYTIC) {
            return KernelSource.analytic(params.architecture(), kind, float32Output());
        }
        return KernelSource.empirical(openBackend(), params, kind, implementation(), reference());
    }
}
