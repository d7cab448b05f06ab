// conv_checks.h — checks of the convolution and pooling kernels (conv_checks.cpp).
#pragma once

#include "kernels.h"

// im2col, col2im, average and global average pooling, flatten, and a conv layer on its patches (forward, data
// gradient, Jacobian block in column chunks, structured term in every mode, TF32 Gram of the blocks), in fp32 and
// fp64, against direct fp64 loops on odd shapes; PASS/FAIL lines and counts through checks.h.
void test_conv_layers(kern::Kernels& k);
