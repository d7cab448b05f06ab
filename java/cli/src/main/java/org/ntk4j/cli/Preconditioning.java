package org.ntk4j.cli;

/** The preconditioner {@code ntk regress --precond} chooses, in process or on Spark ({@link SparkJobs.Regression}). */
public enum Preconditioning {
    /** None: plain conjugate gradients. */
    NONE,
    /** (Θ_ii + λI)⁻¹ on each diagonal block. */
    BLOCK_JACOBI,
    /** A Nyström approximation of Θ + λI from landmark columns. */
    NYSTROM
}
