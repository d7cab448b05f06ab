package org.ntk4j.dynamics;

import org.ntk4j.InvalidInputException;

/**
 * A kernel computed from finite inputs and parameters holds Inf or NaN: something overflowed (inputs or weight
 * scales too large for the precision). A property of the inputs, so a bad-input exception.
 */
public class NonFiniteKernelException extends InvalidInputException {
    public NonFiniteKernelException(String what) {
        super(what + " is not finite (an overflow): rescale the inputs or the weight scales, or use fp64");
    }
}
