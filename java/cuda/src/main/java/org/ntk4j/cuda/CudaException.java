package org.ntk4j.cuda;

import org.ntk4j.NtkException;

/** A CUDA driver call failed; the message names the call and the CUDA error (e.g. CUDA_ERROR_INVALID_VALUE). */
public class CudaException extends NtkException {
    private final int code;
    private final String errorName;

    public CudaException(String call, int code, String errorName) {
        super(call + " failed: " + errorName + " (" + code + ")");
        this.code = code;
        this.errorName = errorName;
    }

    protected CudaException(String message, int code, String errorName, boolean raw) {
        super(message);
        this.code = code;
        this.errorName = errorName;
    }

    /** The CUresult value. */
    public int code() {
        return code;
    }

    /** The CUresult name, e.g. CUDA_ERROR_OUT_OF_MEMORY. */
    public String errorName() {
        return errorName;
    }
}
