package org.ntk4j.cuda;

/**
 * A device (or pinned host) allocation did not fit. Everything the failed call allocated has been freed; the backend
 * stays usable, and a smaller problem or a lower {@code ntk4j.cuda.memoryFraction} can succeed.
 */
public class CudaOutOfMemoryException extends CudaException {
    private final long requestedBytes;

    public CudaOutOfMemoryException(String call, long requestedBytes, int code, String errorName) {
        super(call + " of " + requestedBytes + " bytes failed: " + errorName + " (" + code + ")", code, errorName, true);
        this.requestedBytes = requestedBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }
}
