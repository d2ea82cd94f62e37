// 2x2 pooling with stride 2 (LeNet-5's and most networks' pooling) in AVX-512 or AVX2 vectors
// over a pixel's channels: the general loops' comparisons and additions, in their order, lane
// by lane, so the same bits. Private to pool_forward and pool_backward (convolution.c).
#ifndef POOLING_2X2_H
#define POOLING_2X2_H
#include "convolution.h"
#include "instruction_sets.h"

/// The vectors that can run `g` with instruction sets up to `allowed`: ISA_AVX512 or ISA_AVX2
/// for a 2x2 window of stride 2, ISA_BASELINE (the loops) otherwise.
isa_level pool2x2_level(conv_geometry g, isa_level allowed);

/// pool_forward for `g` in the vectors of `level` (ISA_AVX512 or ISA_AVX2, from `pool2x2_level`).
void pool2x2_forward(isa_level level, const float *image, float *pooled, conv_geometry g, int average);

/// pool_backward for `g` in the vectors of `level`: every input pixel of a window written once
/// (`0.0f + x`, the value the general loop's addition to 0 gives), the rest cleared.
void pool2x2_backward(isa_level level, const float *image, const float *pooled_delta, float *image_delta,
                      conv_geometry g, int average);

#endif
