package org.ntk4j.cli;

import java.util.Locale;
import org.ntk4j.Ntk;
import org.ntk4j.Precision;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** Where and in what precision a command runs: --device (a backend, the fp64 reference included) and --precision. */
class DeviceOptions {

    /** The --device choices: the library's backends by provider name. */
    enum Device {
        AUTO, CPU, CUDA, REFERENCE;

        /** The backend's provider name ({@code Ntk.builder().backend(…)}). */
        String backendName() {
            return this == AUTO ? Ntk.AUTO : name().toLowerCase(Locale.ROOT);
        }
    }

    static final class DeviceConverter implements ITypeConverter<Device> {
        @Override
        public Device convert(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "auto" -> Device.AUTO;
                case "cpu" -> Device.CPU;
                case "cuda", "gpu" -> Device.CUDA;
                case "reference" -> Device.REFERENCE;
                default -> throw new TypeConversionException(
                        "unknown device '" + s + "' (expected auto, cpu, cuda or reference)");
            };
        }
    }

    @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|cuda|reference",
            converter = DeviceConverter.class,
            description = "Where to compute: auto takes the GPU when one is usable, else the CPU; reference is the plain"
                    + " fp64 oracle (slow) (default: ${DEFAULT-VALUE}).")
    Device device;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|fp64|tf32",
            converter = Converters.PrecisionConverter.class,
            description = "Arithmetic precision; the output file is float64 for fp64, float32 otherwise (default: ${DEFAULT-VALUE}).")
    Precision precision;

    /** Whether results are written as float32. */
    boolean float32Output() {
        return precision != Precision.FP64;
    }

    /** Opens the backend these flags ask for. */
    Ntk openBackend() {
        return Ntk.builder().backend(device.backendName()).precision(precision).open();
    }
}
