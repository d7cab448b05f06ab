package org.ntk4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ntk4j.InvalidInputException;

/** The model as an input shape and a sequence of layers: shapes, parameter layout, validation, the MLP views. */
class ArchitectureTest {

    /** Dense(5, σ_w 1.3, σ_b 0.2), erf, Dense(3, no bias), Dense(2, σ_w 0.7, σ_b 0), tanh, relu, Dense(4, …). */
    static Architecture mixed(Parameterization p) {
        return Architecture.of(Shape.flat(6), p, Layer.dense(5, 1.3, 0.2), Layer.activation(Activation.ERF),
                Layer.denseNoBias(3, 1.1), Layer.dense(2, 0.7, 0.0), Layer.activation(Activation.TANH),
                Layer.activation(Activation.RELU), Layer.dense(4, 1.9, 0.4));
    }

    @Test
    void theMlpShorthandIsTheSequenceDenseActivationDense() {
        Architecture built = Architecture.builder(4).hidden(7, 5).output(3).activation(Activation.TANH).sigmaW(1.5)
                .sigmaB(0.1).parameterization(Parameterization.STANDARD).build();
        Architecture listed = Architecture.of(Shape.flat(4), Parameterization.STANDARD, Layer.dense(7, 1.5, 0.1),
                Layer.activation(Activation.TANH), Layer.dense(5, 1.5, 0.1), Layer.activation(Activation.TANH),
                Layer.dense(3, 1.5, 0.1));
        assertEquals(listed, built);
        assertEquals(listed.hashCode(), built.hashCode());
        assertEquals(built, Architecture.parseWidths("4,7,5,3").activation(Activation.TANH).sigmaW(1.5).sigmaB(0.1)
                .parameterization(Parameterization.STANDARD).build());
        assertEquals(built, Architecture.widths(4, 7, 5, 3).activation(Activation.TANH).sigmaW(1.5).sigmaB(0.1)
                .parameterization(Parameterization.STANDARD).build());
        assertThrows(InvalidInputException.class, () -> Architecture.widths(4));
        assertThrows(InvalidInputException.class, () -> Architecture.widths(4, 0, 3).build());
        assertTrue(built.isUniformMlp());
        assertEquals(Activation.TANH, built.activation());
        assertEquals(1.5, built.sigmaW());
        assertEquals(0.1, built.sigmaB());
        assertTrue(built.bias());
        assertArrayEquals(new int[] {4, 7, 5, 3}, built.widths());
        assertEquals(3, built.layers());
        assertEquals(4 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3, built.parameterCount());
        assertNotEquals(built, Architecture.builder(4).hidden(7, 5).output(3).activation(Activation.TANH).sigmaW(1.5)
                .sigmaB(0.1).build());
    }

    @Test
    void eachLayerHasItsOwnScalesBiasAndOffsets() {
        Architecture a = mixed(Parameterization.NTK);
        assertEquals(4, a.layers());
        assertArrayEquals(new int[] {6, 5, 3, 2, 4}, a.widths());
        assertArrayEquals(new int[] {0, 2, 3, 6}, new int[] {a.sequenceIndex(0), a.sequenceIndex(1),
                a.sequenceIndex(2), a.sequenceIndex(3)});
        assertArrayEquals(new long[] {3, 5}, a.weightShape(1));
        // [W0 30, b0 5, W1 15, W2 6, b2 2, W3 8, b3 4]: flattening order [W0, b0, W1, b1, …] with b1 absent
        assertEquals(0, a.weightOffset(0));
        assertEquals(30, a.biasOffset(0));
        assertEquals(35, a.weightOffset(1));
        assertEquals(50, a.weightOffset(2));
        assertEquals(56, a.biasOffset(2));
        assertEquals(58, a.weightOffset(3));
        assertEquals(70, a.parameterCount());
        assertFalse(a.hasBias(1));
        assertEquals(0, a.biasCount(1));
        assertEquals(1.3 / Math.sqrt(6), a.weightScale(0));
        assertEquals(1.1 / Math.sqrt(5), a.weightScale(1));
        assertEquals(0.2, a.biasScale(0));
        assertEquals(0.0, a.biasScale(1));
        assertEquals(0.0, a.biasScale(2)); // σ_b = 0 with a bias: the parameter exists, its multiplier is 0
        assertEquals(List.of(Activation.ERF), a.activationsBefore(1));
        assertEquals(List.of(), a.activationsBefore(2));
        assertEquals(List.of(Activation.TANH, Activation.RELU), a.activationsBefore(3));
        assertEquals(List.of(), a.activationsBefore(4));
        Architecture s = mixed(Parameterization.STANDARD);
        assertEquals(1.0, s.weightScale(1));
        assertEquals(1.1 / Math.sqrt(5), s.weightInitStd(1));
        assertEquals(0.4, s.biasInitStd(3));
        for (int i = 0; i < a.sequence().size(); i++) {
            assertEquals(a.inputShape(i + 1 < a.sequence().size() ? i + 1 : i).isFlat(), true);
        }
        assertEquals(Shape.flat(4), a.outputShape(a.sequence().size() - 1));
        Parameters p = Parameters.init(a, 5);
        assertEquals(70, p.toFlat().length);
        assertEquals(null, p.bias(1));
        assertEquals(2, p.bias(2).length);
    }

    @Test
    void theMlpViewsRefuseASequenceWithoutOneValueNamingTheLayer() {
        Architecture a = mixed(Parameterization.NTK);
        assertFalse(a.isUniformMlp());
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class, a::activation);
        assertEquals(2, e.layerIndex());
        assertTrue(e.getMessage().startsWith("layer 2 (dense(3,1.1)) has other σ_w/σ_b than layer 0"), e.getMessage());
        Architecture acts = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(4, 1, 0),
                Layer.activation(Activation.RELU), Layer.dense(4, 1, 0), Layer.activation(Activation.ERF),
                Layer.dense(2, 1, 0));
        e = assertThrows(UnsupportedLayerException.class, acts::sigmaW);
        assertEquals(3, e.layerIndex());
        assertTrue(e.getMessage().contains("layer 3 (erf) is another activation"), e.getMessage());
        Architecture trailing = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(2, 1, 0),
                Layer.activation(Activation.TANH));
        e = assertThrows(UnsupportedLayerException.class, () -> trailing.requireUniformMlp("the cuda backend"));
        assertTrue(e.getMessage().contains("layer 1 (tanh) comes after the last dense layer; the cuda backend runs"),
                e.getMessage());
        Architecture twoDense = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(2, 1, 0),
                Layer.dense(2, 1, 0));
        e = assertThrows(UnsupportedLayerException.class, twoDense::bias);
        assertTrue(e.getMessage().contains("layer 1 (dense(2,1.0,0.0)) is not an activation between"), e.getMessage());
        // a single dense layer is linear: no activation to report
        assertEquals(Activation.IDENTITY, Architecture.builder(3).output(2).activation(Activation.TANH).build()
                .activation());
    }

    @Test
    void invalidSequencesAreRefusedNamingTheLayerAndTheProblem() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Architecture.of(Shape.of(3, 3, 2),
                Parameterization.NTK, Layer.activation(Activation.RELU), Layer.dense(4, 1, 0)));
        assertEquals("layer 1 (dense(4,1.0,0.0)): a dense layer reads a flat input, got 3x3x2; put flatten or gap"
                + " before it", e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Architecture.of(Shape.of(3, 3), Parameterization.NTK,
                Layer.activation(Activation.RELU)));
        assertTrue(e.getMessage().contains("at least one layer with parameters"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Architecture.of(Shape.flat(3), Parameterization.NTK,
                Layer.dense(4, 1, 0), null));
        assertEquals("layer 1 is null", e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Architecture.of(Shape.flat(3), Parameterization.NTK));
        assertTrue(e.getMessage().contains("at least one layer"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Architecture.of(Shape.flat(3), null, Layer.dense(4, 1, 0)));
        assertTrue(e.getMessage().contains("parameterization"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> Layer.dense(0, 1, 0));
        assertThrows(InvalidInputException.class, () -> Layer.dense(2, 0, 0));
        assertThrows(InvalidInputException.class, () -> Layer.dense(2, 1, -0.1));
        assertThrows(InvalidInputException.class, () -> Layer.dense(2, Double.NaN, 0));
        assertThrows(InvalidInputException.class, () -> Layer.activation(null));
        assertThrows(InvalidInputException.class, () -> Shape.of(3, 0));
        assertThrows(InvalidInputException.class, () -> Shape.of());
        assertThrows(InvalidInputException.class, () -> Shape.of(1L << 40, 1L << 40));
        e = assertThrows(InvalidInputException.class, () -> Architecture.of(Shape.flat(3L << 31),
                Parameterization.NTK, Layer.dense(2, 1, 0)));
        assertTrue(e.getMessage().startsWith("layer 0 (dense(2,1.0,0.0)): the input of a dense layer"), e.getMessage());
    }

    @Test
    void theSpecReadsBackToAnEqualArchitecture() {
        Architecture a = mixed(Parameterization.STANDARD);
        assertEquals("6:dense(5,1.3,0.2),erf,dense(3,1.1),dense(2,0.7,0.0),tanh,relu,dense(4,1.9,0.4)", a.spec());
        assertEquals(a, Architecture.parse(a.spec(), Parameterization.STANDARD));
        Architecture odd = Architecture.of(Shape.flat(2), Parameterization.NTK, Layer.dense(3, 0.1 + 0.2, 1e-300));
        assertEquals(odd, Architecture.parse(odd.spec(), Parameterization.NTK));
        assertEquals("Architecture[2:dense(3,0.30000000000000004,1.0E-300) ntk]", odd.toString());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Architecture.parse("6:dense(5,1.0),softmax", Parameterization.NTK));
        assertTrue(e.getMessage().startsWith("layer 1 'softmax': unknown layer"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Architecture.parse("6:dense(5,x)", Parameterization.NTK));
        assertTrue(e.getMessage().startsWith("layer 0 'dense(5,x)'"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Architecture.parse("dense(5,1)", Parameterization.NTK));
        assertTrue(e.getMessage().contains("needs the input shape"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Architecture.parse("6:linear(5,1)", Parameterization.NTK));
        assertTrue(e.getMessage().startsWith("layer 0 'linear(5,1)'"), e.getMessage());
        assertEquals(Shape.of(28, 28, 1), Shape.parse("28x28x1"));
        assertEquals(28L * 28, Shape.parse("28x28x1").size());
        assertEquals("28x28x1", Shape.of(28, 28, 1).toString());
        assertTrue(Arrays.equals(new long[] {28, 28, 1}, Shape.of(28, 28, 1).dims()));
    }
}
