package org.ntk4j.cli;

import org.ntk4j.Precision;
import org.ntk4j.model.Architecture;

/** The infinite-width NTK as a {@link KernelSource}. */
final class AnalyticKernel {
    private AnalyticKernel() {
    }

    static KernelSource open(Architecture arch, Precision precision) {
        throw new UsageError("--impl analytic is not available in this build");
    }
}
