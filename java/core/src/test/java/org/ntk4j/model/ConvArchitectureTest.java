package org.ntk4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ntk4j.InvalidInputException;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.io.ParametersIO;

/** Convolutional layers in the model: the window geometry, shapes, parameter layout, grammar and refusals. */
class ConvArchitectureTest {

    /** 7x6x3 → conv(4, 3x3, same, stride 2) → relu → avgpool(2x2) → conv(5, 1x1, σ_w 1.5, no bias) → gap → dense(3). */
    static final String SMALL = "7x6x3:conv(4,3x3,same,stride=2,1.3,0.2),relu,avgpool(2x2),conv(5,1x1,valid,1.5),gap,"
            + "dense(3,0.9,0.1)";

    @Test
    void paddingFollowsXlasSameRuleWrapsWhenCircularAndFitsWhenValid() {
        // SAME: ⌈n/s⌉ positions, total padding max((out−1)·s + k − n, 0), half (rounded down) before
        assertEquals(3, Padding.SAME.outputSize(6, 3, 2));
        assertEquals(0, Padding.SAME.padBefore(6, 3, 2)); // total 1: none before, one after
        assertEquals(4, Padding.SAME.outputSize(7, 3, 2));
        assertEquals(1, Padding.SAME.padBefore(7, 3, 2)); // total 2
        assertEquals(2, Padding.SAME.padBefore(5, 5, 1)); // total 4
        assertEquals(5, Padding.SAME.outputSize(5, 5, 1));
        assertEquals(2, Padding.VALID.outputSize(5, 3, 2));
        assertEquals(0, Padding.VALID.padBefore(5, 3, 2));
        assertEquals(3, Padding.CIRCULAR.outputSize(5, 3, 2));
        // n = 4, k = 3, s = 1: one padded entry on each side
        assertEquals(-1, Padding.SAME.source(0, 0, 4, 3, 1));
        assertEquals(3, Padding.CIRCULAR.source(0, 0, 4, 3, 1));
        assertEquals(0, Padding.CIRCULAR.source(3, 2, 4, 3, 1));
        assertEquals(-1, Padding.SAME.source(3, 2, 4, 3, 1));
        assertEquals(2, Padding.SAME.source(2, 1, 4, 3, 1));
        assertEquals(4, Padding.VALID.source(2, 2, 5, 3, 1));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Padding.VALID.outputSize(2, 3, 1));
        assertTrue(e.getMessage().contains("a window of 3 does not fit an axis of 2"), e.getMessage());
    }

    @Test
    void shapesParametersAndScalesOfASmallCnn() {
        Architecture a = Architecture.parse(SMALL, Parameterization.NTK);
        assertEquals(Shape.of(4, 3, 4), a.outputShape(0));
        assertEquals(Shape.of(2, 1, 4), a.outputShape(2));
        assertEquals(Shape.of(2, 1, 5), a.outputShape(3));
        assertEquals(Shape.flat(5), a.outputShape(4));
        assertEquals(3, a.outputDim());
        assertEquals(7 * 6 * 3, a.inputDim());
        assertEquals(3, a.layers());
        assertArrayEquals(new long[] {4, 3, 3, 3}, a.weightShape(0));
        assertArrayEquals(new long[] {5, 4, 1, 1}, a.weightShape(1));
        assertArrayEquals(new long[] {3, 5}, a.weightShape(2));
        assertEquals(108, a.biasOffset(0));
        assertEquals(112, a.weightOffset(1));
        assertEquals(false, a.hasBias(1));
        assertEquals(132, a.weightOffset(2));
        assertEquals(132 + 15 + 3, a.parameterCount());
        assertEquals(27, a.fanIn(0));
        assertEquals(4, a.fanIn(1));
        assertEquals(5, a.fanIn(2));
        assertEquals(1.3 / Math.sqrt(27), a.weightScale(0));
        assertEquals(0.2, a.biasScale(0));
        assertEquals(1.5 / Math.sqrt(4), a.weightScale(1));
        assertEquals(0.0, a.biasScale(1));
        assertEquals(108L * 4 * 3 + 20 * 2 + 15, a.forwardMultiplyAdds());
        assertEquals(4, a.conv(0).channels());
        assertThrows(UnsupportedLayerException.class, () -> a.conv(2));
        assertThrows(UnsupportedLayerException.class, () -> a.dense(0));
        Architecture s = Architecture.parse(SMALL, Parameterization.STANDARD);
        assertEquals(1.0, s.weightScale(0));
        assertEquals(1.0, s.biasScale(0));
        assertEquals(1.3 / Math.sqrt(27), s.weightInitStd(0));
        assertEquals(0.2, s.biasInitStd(0));
    }

    @Test
    void convWeightsInitialiseRowByRowInPyTorchLayout() {
        Architecture a = Architecture.parse(SMALL, Parameterization.STANDARD);
        Parameters p = Parameters.init(a, 11);
        double[] row = new double[27];
        for (int o = 0; o < 4; o++) {
            double b = Parameters.initialRow(a, 11, 0, o, row);
            for (int k = 0; k < 27; k++) {
                assertEquals(row[k], p.weights(0)[o * 27 + k]);
            }
            assertEquals(b, p.bias(0)[o]);
        }
        // a wide conv layer's standard init has the variance σ_w²/fan_in
        Architecture wide = Architecture.parse("5x5x64:conv(512,3x3,valid,2.0),flatten,dense(1)",
                Parameterization.STANDARD);
        double[] w = Parameters.init(wide, 3).weights(0);
        double ss = 0;
        for (double v : w) {
            ss += v * v;
        }
        assertEquals(4.0 / (64 * 9), ss / w.length, 0.02 * 4.0 / (64 * 9));
    }

    @Test
    void theGrammarReadsEveryKindAndTheSpecAndJsonRoundTrip() {
        Architecture a = Architecture.parse("28x28x1:conv(32,3x3,same),relu,conv(32,3,same,stride=2),relu,"
                + "avgpool(2x2),conv(8,5x3,circular,stride=1x2,2.0),avgpool(3x3,same,stride=1),gap,dense(10)",
                Parameterization.NTK);
        List<Layer> expected = List.of(
                Layer.conv(32, new Window(3, 3, 1, 1, Padding.SAME), 1.0, 0.0), Layer.activation(Activation.RELU),
                Layer.conv(32, new Window(3, 3, 2, 2, Padding.SAME), 1.0, 0.0), Layer.activation(Activation.RELU),
                Layer.avgPool(new Window(2, 2, 2, 2, Padding.VALID)),
                Layer.convNoBias(8, new Window(5, 3, 1, 2, Padding.CIRCULAR), 2.0),
                Layer.avgPool(new Window(3, 3, 1, 1, Padding.SAME)), Layer.globalAvgPool(), Layer.dense(10, 1.0, 0.0));
        assertEquals(expected, a.sequence());
        assertEquals("28x28x1:conv(32,3x3,same,stride=1,1.0,0.0),relu,conv(32,3x3,same,stride=2,1.0,0.0),relu,"
                + "avgpool(2x2,valid,stride=2),conv(8,5x3,circular,stride=1x2,2.0),avgpool(3x3,same,stride=1),gap,"
                + "dense(10,1.0,0.0)", a.spec());
        assertEquals(a, Architecture.parse(a.spec(), Parameterization.NTK));
        assertEquals(a, ParametersIO.architecture(ParametersIO.architectureJson(a)));
        Architecture flat = Architecture.parse("4x3x2:flatten,dense(2)", Parameterization.STANDARD);
        assertEquals(flat, ParametersIO.architecture(ParametersIO.architectureJson(flat)));
        assertEquals(24, flat.fanIn(0));
    }

    @Test
    void aBadTokenIsNamedWithTheGrammar() {
        String[][] cases = {
                {"8x8x1:conv(4,3x3,sideways),gap,dense(2)", "layer 0 'conv(4,3x3,sideways)': unknown padding 'sideways'"},
                {"8x8x1:conv(4,3y3),gap,dense(2)", "layer 0 'conv(4,3y3)': '3y3' is not a number"},
                {"8x8x1:conv(4),gap,dense(2)", "layer 0 'conv(4)': conv needs channels,KHxKW"},
                {"8x8x1:conv(4,3x3,1.0,same),gap,dense(2)", "layer 0 'conv(4,3x3,1.0,same)': 'same' out of place"},
                {"8x8x1:avgpool(2x2,1.0),gap,dense(2)", "layer 0 'avgpool(2x2,1.0)': '1.0' is one argument too many"},
                {"8x8x1:maxpool(2x2),gap,dense(2)", "layer 0 'maxpool(2x2)': unknown layer 'maxpool'"},
                {"8x8x1:relu,gapp,dense(2)", "layer 1 'gapp': unknown layer"},
                {"8x8x1:conv(0,3x3),gap,dense(2)", "layer 0 'conv(0,3x3)': a conv layer's channel count"},
                {"8x8x1:conv(2,3x3,stride=0),gap,dense(2)", "layer 0 'conv(2,3x3,stride=0)': strides must be"},
                {"8x8x1:gap,dense(2,1.0,0.0,3)", "layer 1 'dense(2,1.0,0.0,3)': dense takes width[,wStd[,bStd]]"},
                {"8x8x1:conv(4,3x3,same,gap,dense(2)", "layer 0 'conv(4,3x3,same,gap,dense(2)': unbalanced parentheses"},
                {"8x8x1:conv(4,3x3)),gap,dense(2)", "layer 0 'conv(4,3x3))': unbalanced parentheses"},
        };
        for (String[] c : cases) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> Architecture.parse(c[0], Parameterization.NTK), c[0]);
            assertTrue(e.getMessage().startsWith(c[1]), e.getMessage());
            assertTrue(e.getMessage().endsWith(
                    "or an activation (relu, erf, tanh, gelu, identity)"), e.getMessage());
            assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
        }
    }

    @Test
    void shapesThatDoNotFitAreRefusedNamingTheLayer() {
        String[][] cases = {
                {"8x8x1:conv(4,3x3),dense(2)", "layer 1 (dense(2,1.0,0.0)): a dense layer reads a flat input, got"
                        + " 6x6x4; put flatten or gap before it"},
                {"64:conv(4,3x3),gap,dense(2)", "layer 0 (conv(4,3x3,valid,stride=1,1.0,0.0)): a conv layer reads an"
                        + " image HxWxC, got 64"},
                {"4x5x2:avgpool(5x5),gap,dense(2)", "layer 0 (avgpool(5x5,valid,stride=5)): an avgpool layer with a"
                        + " 5x5 window reads 4x5x2: a window of 5 does not fit an axis of 4 without padding (valid); use same or"
                        + " circular padding or a smaller window"},
                {"8x8x1:conv(4,3x3),gap,gap,dense(2)", "layer 2 (gap): a gap layer reads an image HxWxC, got 4"},
                {"8x8x1:conv(4,3x3)", "layer 0 (conv(4,3x3,valid,stride=1,1.0,0.0)): the network's output must be"
                        + " flat (O), got 6x6x4"},
        };
        for (String[] c : cases) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> Architecture.parse(c[0], Parameterization.NTK), c[0]);
            assertEquals(c[1], e.getMessage());
        }
    }

    @Test
    void backendsWithoutTheLayersRefuseThemNamingTheLayer() {
        Architecture a = Architecture.parse(SMALL, Parameterization.NTK);
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class,
                () -> a.chainActivations("the cpu backend"));
        assertEquals(0, e.layerIndex());
        assertTrue(e.getMessage().startsWith("layer 0 (conv(4,3x3,same,stride=2,1.3,0.2)) is neither a dense layer"
                + " nor an activation; the cpu backend runs"), e.getMessage());
        Architecture flat = Architecture.parse("4x3x2:relu,flatten,dense(2)", Parameterization.NTK);
        e = assertThrows(UnsupportedLayerException.class, () -> flat.chainActivations("the cuda backend"));
        assertEquals(1, e.layerIndex());
        assertTrue(e.getMessage().contains("(flatten) is neither a dense layer nor an activation; the cuda backend"),
                e.getMessage());
        e = assertThrows(UnsupportedLayerException.class, () -> AnalyticKernel.of(a));
        assertEquals(0, e.layerIndex());
        assertTrue(e.getMessage().contains("has no infinite-width map"), e.getMessage());
        e = assertThrows(UnsupportedLayerException.class, () -> AnalyticKernel.of(Architecture.parse(
                "4x3x2:flatten,dense(2)", Parameterization.NTK)));
        assertTrue(e.getMessage().startsWith("layer 0 (flatten) has no infinite-width map"), e.getMessage());
        assertThrows(UnsupportedLayerException.class, a::activation);
    }
}
