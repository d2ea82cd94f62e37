// Lowering of channels-last images for convolutions computed as matrix products, and
// pooling, forward and backward. Plain loops in a fixed order (pooling's 2x2 windows also in
// AVX-512 vectors that compute each lane as the loops do): the same bits on every CPU.
#ifndef CONVOLUTION_H
#define CONVOLUTION_H
#include <stddef.h>

/// The geometry of a window over channels-last images `[images, height, width, channels]`.
typedef struct {
  size_t images, height, width, channels;
  size_t window, stride, padding;
  size_t out_height, out_width;
} conv_geometry;

/// lowered[(n, oy, ox), (ky, kx, c)] = image[n, oy*stride - padding + ky, ox*stride - padding + kx, c]
/// (0 outside the image): `[images * out_height * out_width, window * window * channels]`.
void conv_lower(const float *image, float *lowered, conv_geometry g);

/// The transpose of `conv_lower`: image = 0, then every lowered element added back to the
/// pixel it was copied from, rows in order.
void conv_lower_transpose(const float *lowered, float *image, conv_geometry g);

/// Max (`average` = 0) or mean (`average` = 1) of each channel over each window (padding 0):
/// `pool_forward_loops`' bits, in AVX-512 or AVX2 vectors for 2x2 windows of stride 2 where the
/// CPU has them and MNIST_MPI_MAX_ISA allows them.
void pool_forward(const float *image, float *pooled, conv_geometry g, int average);

/// image_delta = 0, then each pooled delta added to the window's first largest input (max) or
/// spread evenly over the window (average): `pool_backward_loops`' bits, in AVX-512 or AVX2 vectors for
/// 2x2 windows of stride 2 where the CPU has them and MNIST_MPI_MAX_ISA allows them.
void pool_backward(const float *image, const float *pooled_delta, float *image_delta, conv_geometry g, int average);

/// `pool_forward` and `pool_backward` with instruction sets up to `level` (0 the loops, 1 AVX2,
/// 2 AVX-512: `isa_level`), narrowed to the CPU's: for tests that check each path against the loops.
void pool_forward_at(int level, const float *image, float *pooled, conv_geometry g, int average);
void pool_backward_at(int level, const float *image, const float *pooled_delta, float *image_delta,
                      conv_geometry g, int average);

/// The plain loops of `pool_forward` and `pool_backward`, for any window (the vectors' reference).
void pool_forward_loops(const float *image, float *pooled, conv_geometry g, int average);
void pool_backward_loops(const float *image, const float *pooled_delta, float *image_delta, conv_geometry g, int average);

#endif
