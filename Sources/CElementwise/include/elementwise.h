// CElementwise: the training step's element-wise passes (activation derivatives, optimizer
// updates, pixel scaling) compiled once per instruction set (AVX-512, AVX2, baseline SSE2) and
// picked for the CPU at hand, capped by MNIST_MPI_MAX_ISA (avx512, avx2 or sse2) so that a wide
// machine can run the narrow paths (clones.h). Swift's own build targets baseline x86-64 and
// cannot dispatch by CPU.
//
// Every clone computes the same bits: the file is compiled without floating-point contraction
// (no fused multiply-add) and without reassociation, and the passes are element-wise, so a
// cluster of different CPUs keeps its ranks' parameters identical.
#ifndef CELEMENTWISE_H
#define CELEMENTWISE_H
#include <stddef.h>
#include <stdint.h>

/// The instruction set the dispatcher picks for these passes: "avx512f", "avx2" or "sse2" (the
/// CPU's widest, capped by MNIST_MPI_MAX_ISA).
const char *ew_instruction_set(void);

/// a[i] += b[i] (one addition per element: the same bits in every clone).
void ew_add(float *a, const float *b, size_t count);
/// A chain of additions in one pass: t = ins[0][i], then t = ins[j][i] + t for j = 1 ..< n, then
/// out[i] += t (each intermediate sum rounded as separate additions would round it).
void ew_add_chain(float *out, const float *const *ins, size_t n, size_t count);
/// gradient[i] *= 1 if outputs[i] > 0 else 0 (ReLU's derivative from its output).
void ew_relu_backward(float *gradient, const float *outputs, size_t count);
/// gradient[i] *= outputs[i] * (1 - outputs[i]) (sigmoid).
void ew_sigmoid_backward(float *gradient, const float *outputs, size_t count);
/// gradient[i] *= 1 - outputs[i]^2 (tanh).
void ew_tanh_backward(float *gradient, const float *outputs, size_t count);

/// Adam (PyTorch's form, bias corrections folded in): g = scale g + decay p;
/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g; p -= step m / (sqrt(v) inv_root2 + eps).
void ew_adam(float *p, const float *g, float *m, float *v, size_t count, float scale, float decay,
             float beta1, float beta2, float epsilon, float step_size, float inverse_root2);
/// Momentum SGD: v = mu v + (scale g + decay p); p -= lr v.
void ew_momentum(float *p, const float *g, float *v, size_t count, float scale, float decay, float mu,
                 float learning_rate);
/// Nesterov: gr = scale g + decay p; v = mu v + gr; p -= lr (gr + mu v).
void ew_nesterov(float *p, const float *g, float *v, size_t count, float scale, float decay, float mu,
                 float learning_rate);
/// SGD with weight decay: p -= lr (scale g + decay p).
void ew_sgd_decay(float *p, const float *g, size_t count, float scale, float decay, float learning_rate);

/// to[i] = from[i] * scale (grey levels to floats).
void ew_scale_bytes(const uint8_t *from, float *to, size_t count, float scale);

/// Asks the CPU to bring `rows` rows of `row_bytes` bytes, base + indices[r] * row_bytes, into
/// its caches ahead of use (no effect on results; a hint the CPU may drop).
void ew_prefetch_rows(const uint8_t *base, const int32_t *indices, size_t rows, size_t row_bytes);
#endif
