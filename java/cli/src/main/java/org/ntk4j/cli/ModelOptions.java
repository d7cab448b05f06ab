package org.ntk4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.ntk4j.InputLayout;
import org.ntk4j.Matrix;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.model.UnsupportedLayerException;
import picocli.CommandLine.Option;

/** The flags that say which network: a weights file or an architecture plus a seed, and how layers scale. */
final class ModelOptions {
    @Option(names = "--weights", paramLabel = "P.npz",
            description = "Weights as .npz: W0, b0, W1, b1, … with W_l of shape (n_out, n_in) (PyTorch Linear layout)"
                    + " or (out, in, kh, kw) (Conv2d); without a layer --arch, a hidden activation follows every layer"
                    + " but the last. A file saved by ntk4j says how it is used; any other (PyTorch's) needs"
                    + " --parameterization (PyTorch: standard), and a CNN's its layer --arch.")
    Path weights;

    @Option(names = "--arch", paramLabel = "ARCH",
            description = {"Widths input,hidden…,output (e.g. 64,512,512,10), initialised from --seed; or the input shape"
                    + " and the layers (e.g. 28x28x1:conv(32,3x3,same),relu,avgpool(2x2),conv(32,3x3,same,stride=2),"
                    + "relu,gap,dense(10)), each layer with its own σ_w, σ_b. Layers: dense(width[,wStd[,bStd]]),"
                    + " conv(channels,KHxKW[,same|valid|circular][,stride=S|SxT][,wStd[,bStd]]),"
                    + " avgpool(KHxKW[,same|valid|circular][,stride=S|SxT]), gap, flatten, relu, erf, tanh, gelu,"
                    + " identity. With --weights, a layer --arch says how a file without architecture.json is used."})
    String arch;

    @Option(names = "--layout", defaultValue = "nhwc", paramLabel = "nhwc|nchw",
            converter = Converters.LayoutConverter.class,
            description = "How image inputs order their axes: nhwc (N, H, W, C), as neural-tangents, or nchw"
                    + " (N, C, H, W), as PyTorch (converted on reading); (N, H, W) is one channel either way"
                    + " (default: ${DEFAULT-VALUE}).")
    InputLayout layout;

    @Option(names = "--seed", defaultValue = "0", description = "Initialisation seed for --arch (default: ${DEFAULT-VALUE}).")
    long seed;

    // No picocli defaults for the next four: whether a flag was given matters with --weights (a file saved by ntk
    // stores its own settings, and only flags actually given may disagree with them; any other file needs them).
    @Option(names = "--act", paramLabel = "ACT", converter = Converters.ActivationConverter.class,
            completionCandidates = Converters.ActivationCandidates.class,
            description = "Hidden activation: ${COMPLETION-CANDIDATES} (default: relu, or what --weights stores).")
    Activation activation;

    @Option(names = "--parameterization", paramLabel = "ntk|standard",
            converter = Converters.ParameterizationConverter.class,
            description = "ntk: W ~ N(0,1), multiplied by σ_w/√fan-in, biases by σ_b; standard (PyTorch's): W used as"
                    + " stored, biases added as stored (default: ntk with --arch; a --weights file not saved by ntk4j"
                    + " must say).")
    Parameterization parameterization;

    @Option(names = "--wstd", paramLabel = "σ_w", description = "Weight scale σ_w (default: 1.0, or what --weights stores).")
    Double wstd;

    @Option(names = "--bstd", paramLabel = "σ_b|none",
            description = "Bias scale σ_b, or 'none' for no bias parameters at all (default: 0.0 with bias; with"
                    + " --weights, bias presence comes from the file, σ_b from what it stores).")
    String bstd;

    @Option(names = "--save-weights", paramLabel = "P.npz", description = "Also save the weights the command starts from.")
    Path saveWeights;

    private Parameters resolved;

    /** The network, loaded or initialised once. */
    Parameters parameters() throws IOException {
        if (resolved != null) {
            return resolved;
        }
        if (arch != null && arch.contains(":")) {
            resolved = layered();
        } else if ((weights == null) == (arch == null)) {
            throw new UsageError(weights == null ? "say which network: --arch D,H,…,O (with --seed) or --weights P.npz"
                    : "give either --weights or --arch D,H,…,O, not both (a layer --arch may go with --weights)");
        } else {
            resolved = mlp();
        }
        if (saveWeights != null) {
            Inputs.requireWritable(saveWeights);
            ParametersIO.save(resolved, saveWeights);
        }
        return resolved;
    }

    /** A layer --arch: initialised from --seed, or the weights of --weights read with it. */
    private Parameters layered() throws IOException {
        if (activation != null || wstd != null || bstd != null) {
            throw new UsageError("--act, --wstd and --bstd go with --arch D,H,…,O; a layer --arch gives each layer its"
                    + " own (e.g. conv(32,3x3,same,1.5,0.1), dense(10,1.0) without bias)");
        }
        Parameterization p = parameterization != null ? parameterization : Parameterization.NTK;
        Architecture a = Architecture.parse(arch, p);
        if (weights == null) {
            return Parameters.init(a, seed);
        }
        if (parameterization == null && !ParametersIO.describesUse(weights)) {
            throw new UsageError(weights + " has no architecture.json saying how its weights are used: give"
                    + " --parameterization (weights from PyTorch: --parameterization standard)");
        }
        return ParametersIO.load(weights, a);
    }

    /** A --weights file that stores a layer sequence (a CNN, say): the flags may only repeat what it says. */
    private Parameters storedSequence() throws IOException {
        Parameters p = ParametersIO.load(weights);
        if (activation != null || wstd != null || bstd != null) {
            throw new UsageError(weights + " stores " + p.architecture().spec() + ", each layer with its own σ_w, σ_b;"
                    + " --act, --wstd and --bstd go with MLPs (leave them out)");
        }
        if (parameterization != null && parameterization != p.architecture().parameterization()) {
            throw new UsageError(weights + " was saved with --parameterization " + p.architecture().parameterization()
                    .id() + "; --parameterization " + parameterization.id() + " would make the same weights another"
                    + " network");
        }
        return p;
    }

    /** The MLP of --arch D,H,…,O with --act, --wstd and --bstd, or of --weights. */
    private Parameters mlp() throws IOException {
        boolean noBias = bstd != null && bstd.trim().equalsIgnoreCase("none");
        double sigmaB = 0.0;
        if (bstd != null && !noBias) {
            try {
                sigmaB = Converters.parseNumber(bstd);
            } catch (NumberFormatException e) {
                throw new UsageError("--bstd '" + bstd + "' is neither a number nor 'none'");
            }
        }
        if (wstd != null && !(wstd > 0 && Double.isFinite(wstd))) {
            throw new UsageError("--wstd must be a positive finite number, got " + wstd);
        }
        if (!(sigmaB >= 0 && Double.isFinite(sigmaB))) {
            throw new UsageError("--bstd must be a non-negative finite number or 'none', got " + bstd);
        }
        if (weights != null) {
            Optional<ParametersIO.Settings> stored;
            try {
                stored = ParametersIO.settings(weights);
            } catch (UnsupportedLayerException e) { // a saved layer sequence, not an MLP: it says everything itself
                return storedSequence();
            }
            if (stored.isPresent()) {
                requireAgreement(stored.get(), sigmaB, noBias);
            }
            ParametersIO.Settings s = stored.orElse(new ParametersIO.Settings(Activation.RELU, Parameterization.NTK, 1.0,
                    0.0, true));
            Parameters p = ParametersIO.load(weights, ParametersIO.MlpUse.of(
                            activation != null ? activation : s.activation(),
                            parameterization != null ? parameterization : s.parameterization())
                    .withSigmaW(wstd != null ? wstd : s.sigmaW())
                    .withSigmaB(bstd != null && !noBias ? sigmaB : s.sigmaB()));
            if (noBias && p.architecture().bias()) {
                throw new UsageError(weights + " has biases (b0, …) but --bstd none says there are none");
            }
            if (!p.architecture().bias() && bstd != null && !noBias) {
                throw new UsageError(weights + " has no biases (no b0) but --bstd " + bstd + " asks for them;"
                        + " drop --bstd or use --bstd none");
            }
            if (stored.isEmpty() && parameterization == null) {
                // Weights alone do not say how they are used; guessing ntk4j's defaults made PyTorch's weights
                // another network (every weight rescaled, every bias multiplied by σ_b = 0) without a word.
                throw new UsageError(weights + " has no architecture.json saying how its weights are used: give"
                        + " --parameterization (weights from PyTorch: --parameterization standard; --act if not relu)");
            }
            if (stored.isEmpty() && p.architecture().bias() && parameterization == Parameterization.NTK && bstd == null) {
                throw new UsageError(weights + " has biases, and the ntk parameterization multiplies them by σ_b: give"
                        + " --bstd (0 ignores them)");
            }
            return p;
        } else {
            Architecture.Builder b = Architecture.parseWidths(arch)
                    .activation(activation != null ? activation : Activation.RELU)
                    .parameterization(parameterization != null ? parameterization : Parameterization.NTK)
                    .sigmaW(wstd != null ? wstd : 1.0);
            if (noBias) {
                b.noBias();
            } else {
                b.sigmaB(sigmaB);
            }
            return Parameters.init(b.build(), seed);
        }
    }

    /** Flags given with --weights must agree with the settings the file stores: otherwise it is another network. */
    private void requireAgreement(ParametersIO.Settings stored, double sigmaB, boolean noBias) {
        StringBuilder given = new StringBuilder();
        if (activation != null && activation != stored.activation()) {
            given.append(" --act ").append(activation.id());
        }
        if (parameterization != null && parameterization != stored.parameterization()) {
            given.append(" --parameterization ").append(parameterization.id());
        }
        if (wstd != null && Double.compare(wstd, stored.sigmaW()) != 0) {
            given.append(" --wstd ").append(wstd);
        }
        if (bstd != null && stored.bias() && !noBias && Double.compare(sigmaB, stored.sigmaB()) != 0) {
            given.append(" --bstd ").append(bstd.trim());
        }
        if (!given.isEmpty()) {
            throw new UsageError(weights + " was saved with --act " + stored.activation().id() + " --parameterization "
                    + stored.parameterization().id() + " --wstd " + stored.sigmaW() + " --bstd "
                    + (stored.bias() ? String.valueOf(stored.sigmaB()) : "none") + ";" + given
                    + " would make the same weights another network (leave the flag out to use the file's)");
        }
    }

    Architecture architecture() throws IOException {
        return parameters().architecture();
    }

    /** Spark's executors read the rows as stored: a layout converted on reading would be ignored there. */
    void requireStoredLayout() {
        if (layout != InputLayout.NHWC) {
            throw new UsageError("--layout " + layout.id() + " converts inputs as this process reads them; with --spark"
                    + " the executors read rows as stored: give (N, H·W·C) rows in NHWC order");
        }
    }

    /** The examples of an input file, as the network reads them (images in --layout). */
    Matrix examples(Path file, String role) throws IOException {
        return Inputs.examples(file, architecture().inputShape(), layout, role);
    }
}
