package org.ntk4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ntk4j.Backend;
import org.ntk4j.cuda.CudaBackend;
import org.ntk4j.cuda.CudaDevice;

/** Extra lines about a backend's device for {@code ntk devices}: for CUDA, the GPU, its memory and the kernels. */
final class DeviceInfo {
    /** Where the core build packages the CUDA kernels. */
    static final String FATBIN = "/org/ntk4j/cuda/ntk4j_kernels.fatbin";

    private DeviceInfo() {
    }

    static List<String> details(Backend backend) {
        List<String> lines = new ArrayList<>();
        if (backend instanceof CudaBackend cuda) {
            CudaDevice dev = cuda.device();
            lines.add("gpu      " + dev.describe());
            long[] mem = dev.memoryInfo();
            lines.add(String.format(Locale.ROOT, "memory   %s free of %s", Converters.formatBytes(mem[0]),
                    Converters.formatBytes(mem[1])));
            lines.add("kernels  loaded (" + kernelImage() + ")");
        }
        return lines;
    }

    /** The packaged kernel image's name and size, or why there is none. */
    static String kernelImage() {
        try (InputStream in = DeviceInfo.class.getResourceAsStream(FATBIN)) {
            if (in == null) {
                return "no kernel image in this build";
            }
            return "ntk4j_kernels.fatbin, " + Converters.formatBytes(in.readAllBytes().length);
        } catch (IOException e) {
            return "kernel image unreadable: " + e.getMessage();
        }
    }
}
