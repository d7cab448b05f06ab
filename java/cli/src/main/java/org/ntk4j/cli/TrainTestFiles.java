package org.ntk4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The files of a train-then-predict command (ntk predict, ntk regress): training data, test inputs, predictions. */
final class TrainTestFiles {
    @Option(names = "--x", required = true, paramLabel = "X.npy", description = "Training inputs (N, d).")
    Path xFile;

    @Option(names = "--y", required = true, paramLabel = "Y.npy", description = "Training targets (N, O).")
    Path yFile;

    @Option(names = "--x-test", required = true, paramLabel = "XT.npy", description = "Test inputs (N_test, d).")
    Path xTestFile;

    @Option(names = "--y-test", paramLabel = "YT.npy",
            description = "Test targets (N_test, O), to report the error and the accuracy.")
    Path yTestFile;

    @Option(names = "--out", required = true, paramLabel = "PRED.npy", description = "Predictions (N_test, O).")
    Path outFile;
}
