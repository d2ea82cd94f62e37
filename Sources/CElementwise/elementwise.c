// The element-wise passes, one clone per instruction set (see elementwise.h). Plain loops that
// clang vectorises for each target; `fp contract(off)` keeps every clone's rounding identical.
#include "elementwise.h"
#include "clones.h"

const char *ew_instruction_set(void) {
#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "avx512f";
  if (__builtin_cpu_supports("avx2")) return "avx2";
  return "sse2";
#else
  return "baseline";
#endif
}

EW_CLONES void ew_add(float *restrict a, const float *restrict b, size_t count) {
  for (size_t i = 0; i < count; i++) a[i] += b[i];
}

EW_CLONES void ew_add_chain(float *restrict out, const float *const *ins, size_t n, size_t count) {
  enum { BLOCK = 512 };
  float sum[BLOCK];
  for (size_t start = 0; start < count; start += BLOCK) {
    size_t length = count - start < BLOCK ? count - start : BLOCK;
    const float *restrict first = ins[0] + start;
    for (size_t i = 0; i < length; i++) sum[i] = first[i];
    for (size_t j = 1; j < n; j++) {
      const float *restrict next = ins[j] + start;
      for (size_t i = 0; i < length; i++) sum[i] = next[i] + sum[i];
    }
    float *restrict target = out + start;
    for (size_t i = 0; i < length; i++) target[i] = target[i] + sum[i];
  }
}

EW_CLONES void ew_relu_backward(float *restrict gradient, const float *restrict outputs, size_t count) {
  for (size_t i = 0; i < count; i++) gradient[i] = outputs[i] <= 0.0f ? 0.0f : gradient[i];
}

EW_CLONES void ew_sigmoid_backward(float *restrict gradient, const float *restrict outputs, size_t count) {
  for (size_t i = 0; i < count; i++) gradient[i] *= outputs[i] * (1.0f - outputs[i]);
}

EW_CLONES void ew_tanh_backward(float *restrict gradient, const float *restrict outputs, size_t count) {
  for (size_t i = 0; i < count; i++) gradient[i] *= 1.0f - outputs[i] * outputs[i];
}

EW_CLONES void ew_adam(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                       size_t count, float scale, float decay, float beta1, float beta2, float epsilon,
                       float step_size, float inverse_root2) {
  const float keep1 = 1.0f - beta1, keep2 = 1.0f - beta2;
  for (size_t i = 0; i < count; i++) {
    float gradient = scale * g[i] + decay * p[i];
    float first = beta1 * m[i] + keep1 * gradient;
    float second = beta2 * v[i] + keep2 * gradient * gradient;
    m[i] = first;
    v[i] = second;
    p[i] = p[i] - step_size * first / (__builtin_elementwise_sqrt(second) * inverse_root2 + epsilon);
  }
}

EW_CLONES void ew_momentum(float *restrict p, const float *restrict g, float *restrict v, size_t count,
                           float scale, float decay, float mu, float learning_rate) {
  for (size_t i = 0; i < count; i++) {
    v[i] = mu * v[i] + scale * g[i] + decay * p[i];
    p[i] -= learning_rate * v[i];
  }
}

EW_CLONES void ew_nesterov(float *restrict p, const float *restrict g, float *restrict v, size_t count,
                           float scale, float decay, float mu, float learning_rate) {
  for (size_t i = 0; i < count; i++) {
    float gradient = scale * g[i] + decay * p[i];
    v[i] = mu * v[i] + gradient;
    p[i] -= learning_rate * (gradient + mu * v[i]);
  }
}

EW_CLONES void ew_sgd_decay(float *restrict p, const float *restrict g, size_t count, float scale, float decay,
                            float learning_rate) {
  for (size_t i = 0; i < count; i++) p[i] -= learning_rate * (scale * g[i] + decay * p[i]);
}

EW_CLONES void ew_scale_bytes(const uint8_t *restrict from, float *restrict to, size_t count, float scale) {
  for (size_t i = 0; i < count; i++) to[i] = (float)from[i] * scale;
}

void ew_prefetch_rows(const uint8_t *base, const int32_t *indices, size_t rows, size_t row_bytes) {
  for (size_t r = 0; r < rows; r++) {
    const uint8_t *row = base + (size_t)indices[r] * row_bytes;
    // Every 64-byte line the row touches.
    for (size_t line = 0; line < row_bytes; line += 64) __builtin_prefetch(row + line, 0, 3);
    if (row_bytes > 0) __builtin_prefetch(row + row_bytes - 1, 0, 3);
  }
}
