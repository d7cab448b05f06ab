package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The launch constants live in {@code cuda/launch_config.h}, which the kernels and the native host include; the Java
 * host mirrors them in {@link KernelLaunches}. This test fails when the two differ (tile sizes, the fp32 slice length, the
 * split-K heuristic's parameters, the grid limit, the Jacobian alignment), and when the kernels stop taking their
 * tiles from the header.
 */
class LaunchConfigTest {
    private static final Path CUDA = Path.of("../../cuda");

    static Map<String, Integer> constants() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(CUDA.resolve("launch_config.h")),
                "no source tree here (the GPU bundle runs the compiled tests only)");
        String h = Files.readString(CUDA.resolve("launch_config.h"));
        Map<String, Integer> out = new LinkedHashMap<>();
        Matcher decl = Pattern.compile("constexpr\\s+int\\s+([^;]+);").matcher(h);
        Pattern item = Pattern.compile("(\\w+)\\s*=\\s*(\\d+)");
        while (decl.find()) {
            Matcher m = item.matcher(decl.group(1));
            while (m.find()) {
                out.put(m.group(1), Integer.parseInt(m.group(2)));
            }
        }
        return out;
    }

    @Test
    void kernelsJavaMirrorsLaunchConfigH() throws Exception {
        Map<String, Integer> c = constants();
        assertTrue(c.size() >= 14, "parsed only " + c + " from launch_config.h");
        for (Map.Entry<String, Integer> e : c.entrySet()) {
            Field f = KernelLaunches.class.getDeclaredField(e.getKey());
            assertEquals(e.getValue().intValue(), f.getInt(null), "KernelLaunches." + e.getKey() + " vs launch_config.h");
        }
        assertEquals(c.get("F32_BM"), KernelLaunches.Elem.F32.bm);
        assertEquals(c.get("F32_BN"), KernelLaunches.Elem.F32.bn);
        assertEquals(c.get("F64_BM"), KernelLaunches.Elem.F64.bm);
        assertEquals(c.get("F64_BN"), KernelLaunches.Elem.F64.bn);
    }

    @Test
    void theEngineAndTheNativeHostTakeTheirConstantsFromTheHeader() throws IOException {
        constants();
        String engine = Files.readString(CUDA.resolve("gemm_nt.cuh"));
        for (String name : new String[] {"ntk_cfg::F32_BM", "ntk_cfg::F64_BM", "ntk_cfg::TF32_BM", "ntk_cfg::BK",
                "ntk_cfg::SLICE_K", "ntk_cfg::THREADS"}) {
            assertTrue(engine.contains(name), "gemm_nt.cuh no longer uses " + name);
        }
        String host = Files.readString(CUDA.resolve("../native/kernels.h"));
        for (String name : new String[] {"ntk_cfg::F32_BM", "ntk_cfg::SLICE_K", "ntk_cfg::SPLIT_MAX",
                "ntk_cfg::SPLIT_MIN_KTILES", "ntk_cfg::SPLIT_BLOCKS_PER_SM", "ntk_cfg::J_LD_ALIGN",
                "ntk_cfg::MAX_GRID_YZ"}) {
            assertTrue(host.contains(name), "native/kernels.h no longer uses " + name);
        }
    }
}
