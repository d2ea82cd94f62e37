// COneDNN: oneDNN matrix products for NeuralNet, loaded at run time.
//
// libdnnl.so.2 is opened with dlopen on first use, so the mnist-mpi binary runs (with OpenBLAS)
// where oneDNN is not installed, and the cluster images need no extra library. The header
// <oneapi/dnnl/dnnl.h> of oneDNN 2.x (Debian's libdnnl-dev) is needed at build time only for the
// types; without it every function below reports that oneDNN was not built in.
//
// One primitive per product shape, made once: C[m, n] = op(A)[m, k] · op(B)[k, n] (+ bias[n]),
// then an optional element-wise activation, all in one pass (oneDNN post-ops). A and B may be
// float32 or bfloat16 (then accumulated in float32); C float32 or bfloat16.
#ifndef ONEDNN_KERNELS_H
#define ONEDNN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Element types of the operands.
typedef enum { ONEDNN_F32 = 0, ONEDNN_BF16 = 1 } onednn_type;

/// The activation applied to C after the bias (a oneDNN eltwise post-op).
typedef enum {
  ONEDNN_NO_ACTIVATION = 0,
  ONEDNN_LOGISTIC = 1,
  ONEDNN_TANH = 2,
  ONEDNN_RELU = 3,
} onednn_activation;

typedef struct onednn_matmul onednn_matmul;

/// Opens libdnnl.so.2 and makes the CPU engine and stream (once per process; later calls return
/// the first result). Returns 0, or -1 with a one-line reason in `message`.
int onednn_load(char *message, size_t capacity);

/// "2.6.3"-style version of the loaded library (after a successful onednn_load).
const char *onednn_version(void);

/// The instruction set oneDNN's kernels use here, e.g. "avx512_core_bf16".
const char *onednn_isa(void);

/// 1 when the CPU computes bfloat16 natively (AVX512_BF16 or AMX) as oneDNN sees it.
int onednn_native_bf16(void);

/// Sets the OpenMP threads of oneDNN's kernels (oneDNN 2.x from Debian runs on OpenMP).
void onednn_set_threads(int count);

/// A primitive for one shape. `transpose_a`: A is stored [k, m]; `transpose_b`: B is stored
/// [n, k]; every matrix row-major and dense. `with_bias`: a float32 bias[n] is added.
/// `accumulate`: C = C + A·B (oneDNN's sum post-op) instead of C = A·B.
/// Returns 0, or -1 with the reason in `message`.
int onednn_matmul_create(onednn_matmul **out, int64_t m, int64_t n, int64_t k,
                         int transpose_a, int transpose_b, onednn_type a_type,
                         onednn_type b_type, onednn_type c_type, int with_bias,
                         onednn_activation activation, int accumulate, char *message, size_t capacity);

/// Runs the product on the given buffers (sizes as at creation; bias ignored without one).
/// Returns 0, or oneDNN's status.
int onednn_matmul_run(onednn_matmul *matmul, const void *a, const void *b, const float *bias, void *c);

/// oneDNN's name for the implementation it chose, e.g. "brg:avx512_core".
const char *onednn_matmul_implementation(const onednn_matmul *matmul);

void onednn_matmul_destroy(onednn_matmul *matmul);

/// A convolution over channels-last images `[images, height, width, channels]` by `filters`
/// square `kernel`s (weights `[kernel, kernel, channels, filters]`, "hwio"), float32.
typedef struct {
  int64_t images, height, width, channels, filters, out_height, out_width, kernel, stride, padding;
} onednn_convolution_shape;

typedef struct onednn_convolution onednn_convolution;

/// The forward primitive (bias and `activation` fused), and with `training` the weight-gradient
/// one and, with `input_gradient`, the input-gradient one; weights reordered to the formats
/// oneDNN prefers on each call. With `bfloat16` the products read bfloat16 (the caller's float32
/// images, weights and deltas rounded by reorders into the primitives' own buffers) and write
/// float32 outputs and gradients; the interface stays float32. Returns 0, or -1 with the reason
/// in `message`.
int onednn_convolution_create(onednn_convolution **out, const onednn_convolution_shape *shape,
                              onednn_activation activation, int training, int input_gradient, int bfloat16,
                              char *message, size_t capacity);

/// dst = activation(src * weights + bias). Returns 0, or oneDNN's status.
int onednn_convolution_forward(onednn_convolution *convolution, const float *src, const float *weights,
                               const float *bias, float *dst);

/// diff_src = the gradient of the input from diff_dst (before any activation of the layer below).
int onednn_convolution_backward_data(onednn_convolution *convolution, const float *diff_dst, const float *weights,
                                     float *diff_src);

/// diff_weights (hwio) = the weights' gradient, or += it (`accumulate`: the finished gradient added).
int onednn_convolution_backward_weights(onednn_convolution *convolution, const float *src, const float *diff_dst,
                                        float *diff_weights, int accumulate);

/// oneDNN's names for the implementations, e.g. "brgconv:avx512_core, ...".
const char *onednn_convolution_implementation(const onednn_convolution *convolution);

void onednn_convolution_destroy(onednn_convolution *convolution);

/// A pooling over channels-last images `[images, height, width, channels]`: square `window`s
/// every `stride` pixels, no padding (out = (in - window) / stride + 1), float32.
typedef struct {
  int64_t images, height, width, channels, out_height, out_width, window, stride;
} onednn_pooling_shape;

typedef struct onednn_pooling onednn_pooling;

/// oneDNN's pooling primitives, forward (for training: keeping max pooling's workspace) and with
/// `training` backward. Returns 0, or -1 with the reason in `message`.
int onednn_pooling_create(onednn_pooling **out, const onednn_pooling_shape *shape, int average, int training,
                          char *message, size_t capacity);

/// dst = the pooled src. Returns 0, or oneDNN's status.
int onednn_pooling_forward(onednn_pooling *pooling, const float *src, float *dst);

/// diff_src = the gradient of the input from diff_dst (the last forward's workspace for max pooling).
int onednn_pooling_backward(onednn_pooling *pooling, const float *diff_dst, float *diff_src);

/// oneDNN's names for the implementations, e.g. "jit:avx512_core, jit:avx512_core".
const char *onednn_pooling_implementation(const onednn_pooling *pooling);

void onednn_pooling_destroy(onednn_pooling *pooling);

/// dst[i] = bfloat16(src[i]), rounded to nearest even (NaN stays NaN).
void onednn_to_bf16(const float *src, uint16_t *dst, size_t count);

/// The backward step through a hidden layer's activation in bfloat16 training:
/// gradient[i] *= f'(output[i]) with the derivative taken from the bfloat16 activation output
/// (logistic a(1-a), tanh 1-a², relu a > 0), then gradient_bf16[i] = bfloat16(gradient[i]).
void onednn_activation_backward_bf16(float *gradient, const uint16_t *output, uint16_t *gradient_bf16,
                                     size_t count, onednn_activation activation);

#endif
