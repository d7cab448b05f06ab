package org.ntk4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import picocli.CommandLine.Option;

/** The flags that say which network: saved parameters or an architecture plus a seed, and how layers scale. */
final class ModelOptions {
    @Option(names = "--params", paramLabel = "P.npz",
            description = "Parameters as .npz: W0, b0, W1, b1, … with W_l of shape (n_out, n_in) (PyTorch Linear layout);"
                    + " a hidden activation follows every layer but the last. Use instead of --arch.")
    Path params;

    @Option(names = "--arch", paramLabel = "D,H,…,O",
            description = "Widths input,hidden…,output (e.g. 64,512,512,10), initialised from --seed. Use instead of --params.")
    String arch;

    @Option(names = "--seed", defaultValue = "0", description = "Initialisation seed for --arch (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--act", defaultValue = "relu", paramLabel = "ACT", converter = Converters.ActivationConverter.class,
            completionCandidates = Converters.ActivationCandidates.class,
            description = "Hidden activation: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Activation activation;

    @Option(names = "--param", defaultValue = "ntk", paramLabel = "ntk|standard",
            converter = Converters.ParameterizationConverter.class,
            description = "Parameterization: ntk (W ~ N(0,1), scaled by σ_w/√fan-in) or standard (default: ${DEFAULT-VALUE}).")
    Parameterization parameterization;

    @Option(names = "--wstd", defaultValue = "1.0", paramLabel = "σ_w", description = "Weight scale σ_w (default: ${DEFAULT-VALUE}).")
    double wstd;

    @Option(names = "--bstd", paramLabel = "σ_b|none",
            description = "Bias scale σ_b, or 'none' for no bias parameters at all (default: 0.0 with bias; with --params,"
                    + " bias presence comes from the file).")
    String bstd;

    @Option(names = "--save-params", paramLabel = "P.npz", description = "Also save the parameters the command starts from.")
    Path saveParams;

    private Parameters resolved;

    /** The network, loaded or initialised once. */
    Parameters parameters() throws IOException {
        if (resolved != null) {
            return resolved;
        }
        if ((params == null) == (arch == null)) {
            throw new UsageError(params == null ? "say which network: --arch D,H,…,O (with --seed) or --params P.npz"
                    : "give either --params or --arch, not both");
        }
        boolean noBias = bstd != null && bstd.trim().equalsIgnoreCase("none");
        double sigmaB = 0.0;
        if (bstd != null && !noBias) {
            try {
                sigmaB = Double.parseDouble(bstd.trim());
            } catch (NumberFormatException e) {
                throw new UsageError("--bstd '" + bstd + "' is neither a number nor 'none'");
            }
        }
        if (params != null) {
            Parameters p = ParametersIO.load(params, activation, parameterization, wstd, sigmaB);
            if (noBias && p.architecture().bias()) {
                throw new UsageError(params + " has biases (b0, …) but --bstd none says there are none");
            }
            if (!p.architecture().bias() && bstd != null && !noBias) {
                throw new UsageError(params + " has no biases (no b0) but --bstd " + bstd + " asks for them;"
                        + " drop --bstd or use --bstd none");
            }
            resolved = p;
        } else {
            Architecture.Builder b = Architecture.parseWidths(arch).activation(activation).parameterization(parameterization)
                    .sigmaW(wstd);
            if (noBias) {
                b.noBias();
            } else {
                b.sigmaB(sigmaB);
            }
            Architecture a = b.build();
            resolved = Parameters.init(a, seed);
        }
        if (saveParams != null) {
            Inputs.requireWritable(saveParams);
            ParametersIO.save(resolved, saveParams);
        }
        return resolved;
    }

    Architecture architecture() throws IOException {
        return parameters().architecture();
    }
}
