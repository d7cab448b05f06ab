package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Matrix;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Layer;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.model.Shape;
import org.ntk4j.model.UnsupportedLayerException;
import org.ntk4j.testing.NtkCase;

/**
 * The CUDA kernels run MLPs with one activation and one σ_w, σ_b: any other layer sequence is refused with the
 * layer named, by every method, never computed as if it were an MLP.
 */
@AddLifecycleHook(Gpu.class)
class CudaLayersTest {

    @Test
    void aSequenceThatIsNotAUniformMlpIsRefusedNamingTheLayer() {
        Gpu.require();
        Architecture perLayer = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(5, 1.0, 0.1),
                Layer.activation(Activation.RELU), Layer.dense(2, 1.5, 0.1));
        Architecture mixed = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(5, 1.0, 0.1),
                Layer.activation(Activation.RELU), Layer.dense(4, 1.0, 0.1), Layer.activation(Activation.ERF),
                Layer.dense(2, 1.0, 0.1));
        Matrix x = NtkCase.gaussianInputs(3, 3, 1);
        try (CudaBackend cuda = new CudaBackend(Precision.FP32)) {
            UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class,
                    () -> cuda.ntk(Parameters.init(perLayer, 1), x, NtkMode.TRACE, Implementation.STRUCTURED));
            assertEquals(2, e.layerIndex());
            assertTrue(e.getMessage().contains("the cuda backend runs only MLPs"), e.getMessage());
            e = assertThrows(UnsupportedLayerException.class, () -> cuda.forward(Parameters.init(mixed, 1), x));
            assertEquals(3, e.layerIndex());
            assertThrows(UnsupportedLayerException.class, () -> cuda.jacobian(Parameters.init(mixed, 1), x));
            assertThrows(UnsupportedLayerException.class, () -> cuda.prepare(Parameters.init(perLayer, 1)));
            // the backend is still usable for an MLP afterwards
            Architecture mlp = Architecture.builder(3).hidden(5).output(2).build();
            assertEquals(2, cuda.forward(Parameters.init(mlp, 1), x).cols());
        }
    }
}
