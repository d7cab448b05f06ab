package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Layer;
import org.ntk4j.model.Padding;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.model.Shape;
import org.ntk4j.model.UnsupportedLayerException;
import org.ntk4j.model.Window;
import org.ntk4j.testing.LayerSequences;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.NtkCases;

/**
 * The CUDA backend on layer sequences: dense chains that are not MLPs (per-layer σ_w/σ_b and bias, mixed
 * activations, dense after dense) against the reference as the battery checks MLPs; other sequences refused with the
 * layer named, by every method, never computed as if they were a chain.
 */
@AddLifecycleHook(Gpu.class)
class CudaLayersTest {

    @AfterContainer
    static void closeAll() {
        CudaBackendTest.closeAll();
    }

    @Provide
    Arbitrary<NtkCase> sequences() {
        return NtkCases.layerSequences(LayerSequences.Form.DENSE_CHAIN);
    }

    @Property(tries = 15)
    void denseChainKernelsMatchTheReference(@ForAll("sequences") NtkCase c) {
        CudaBackendTest.checkNtk(c);
    }

    @Property(tries = 10)
    void denseChainForwardJacobianAndGradientMatchTheReference(@ForAll("sequences") NtkCase c) {
        CudaBackendTest.checkForwardJacobianAndGradient(c);
    }

    @Example
    void aSequenceThatIsNotADenseChainIsRefusedNamingTheLayer() {
        Gpu.require();
        Architecture trailing = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(5, 1.0, 0.1),
                Layer.activation(Activation.RELU), Layer.dense(2, 1.5, 0.1), Layer.activation(Activation.TANH));
        Architecture twoActivations = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(5, 1.0, 0.1),
                Layer.activation(Activation.RELU), Layer.activation(Activation.ERF), Layer.dense(2, 1.0, 0.1));
        Matrix x = NtkCase.gaussianInputs(3, 3, 1);
        CudaBackend cuda = CudaBackendTest.backend(Precision.FP32);
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class,
                () -> cuda.kernel(Parameters.init(trailing, 1), x, NtkMode.TRACE, Implementation.STRUCTURED));
        assertEquals(3, e.layerIndex());
        assertTrue(e.getMessage().contains("comes after the last dense layer; the cuda backend runs"), e.getMessage());
        e = assertThrows(UnsupportedLayerException.class, () -> cuda.forward(Parameters.init(twoActivations, 1), x));
        assertEquals(2, e.layerIndex());
        assertThrows(UnsupportedLayerException.class, () -> cuda.jacobian(Parameters.init(trailing, 1), x));
        assertThrows(UnsupportedLayerException.class, () -> cuda.prepare(Parameters.init(twoActivations, 1)));
        // the backend is still usable afterwards
        Architecture mlp = Architecture.builder(3).hidden(5).output(2).build();
        assertEquals(2, cuda.forward(Parameters.init(mlp, 1), x).cols());
    }

    @Example
    void imageLayersAreRefusedNamingTheLayerUntilTheyHaveKernels() {
        Gpu.require();
        Window w = new Window(3, 3, 1, 1, Padding.SAME);
        Architecture cnn = Architecture.of(Shape.of(5, 4, 2), Parameterization.NTK, Layer.conv(3, w, 1.0, 0.1),
                Layer.activation(Activation.RELU), Layer.avgPool(w), Layer.globalAvgPool(), Layer.dense(2, 1.0, 0.1));
        Matrix x = NtkCase.gaussianInputs(2, 40, 1);
        CudaBackend cuda = CudaBackendTest.backend(Precision.FP64);
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class,
                () -> cuda.kernel(Parameters.init(cnn, 1), x, NtkMode.TRACE, Implementation.STRUCTURED));
        assertEquals(0, e.layerIndex());
        assertTrue(e.getMessage().startsWith("layer 0 (conv(") && e.getMessage().contains("has no CUDA implementation"),
                e.getMessage());
        e = assertThrows(UnsupportedLayerException.class, () -> cuda.prepare(cnn, 1));
        assertEquals(0, e.layerIndex());
        Architecture flat = Architecture.of(Shape.of(5, 4, 2), Parameterization.NTK, Layer.flatten(),
                Layer.dense(2, 1.0, 0.1));
        e = assertThrows(UnsupportedLayerException.class, () -> cuda.forward(Parameters.init(flat, 1), x));
        assertEquals(0, e.layerIndex());
        assertTrue(e.getMessage().contains("flatten") && e.getMessage().contains("has no CUDA implementation"),
                e.getMessage());
        // the backend is still usable afterwards
        assertEquals(2, cuda.forward(Parameters.init(Architecture.builder(40).hidden(5).output(2).build(), 1), x).cols());
    }
}
