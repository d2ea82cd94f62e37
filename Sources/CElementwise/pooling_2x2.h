// 2x2 pooling with stride 2 (LeNet-5's and most networks' pooling) in AVX-512 vectors over a
// pixel's channels: the general loops' comparisons and additions, in their order, lane by lane,
// so the same bits. Private to pool_forward and pool_backward (convolution.c).
#ifndef POOLING_2X2_H
#define POOLING_2X2_H
#include "convolution.h"

/// Whether the vectors below can run `g` here: a 2x2 window, stride 2, and a CPU with AVX-512.
int pool2x2_applies(conv_geometry g);

/// pool_forward for `g` where `pool2x2_applies(g)`.
void pool2x2_forward(const float *image, float *pooled, conv_geometry g, int average);

/// pool_backward for `g` where `pool2x2_applies(g)`: every input pixel of a window written once
/// (`0.0f + x`, the value the general loop's addition to 0 gives), the rest cleared.
void pool2x2_backward(const float *image, const float *pooled_delta, float *image_delta, conv_geometry g, int average);

#endif
