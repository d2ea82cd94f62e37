// The element-wise passes, one clone per instruction set (see elementwise.h and clones.h): plain
// loops (elementwise_passes.h) that clang vectorises for each target; `fp contract(off)` keeps
// every clone's rounding identical.
#include "elementwise.h"
#include "clones.h"

#define EW_PASSES "elementwise_passes.h"
#include "clones_instantiate.h"

const char *ew_instruction_set(void) { return isa_name(isa_allowed()); }

void ew_add(float *restrict a, const float *restrict b, size_t count) {
  EW_PICK(ew_add)(a, b, count);
}

void ew_add_chain(float *restrict out, const float *const *ins, size_t n, size_t count) {
  EW_PICK(ew_add_chain)(out, ins, n, count);
}

void ew_relu_backward(float *restrict gradient, const float *restrict outputs, size_t count) {
  EW_PICK(ew_relu_backward)(gradient, outputs, count);
}

void ew_sigmoid_backward(float *restrict gradient, const float *restrict outputs, size_t count) {
  EW_PICK(ew_sigmoid_backward)(gradient, outputs, count);
}

void ew_tanh_backward(float *restrict gradient, const float *restrict outputs, size_t count) {
  EW_PICK(ew_tanh_backward)(gradient, outputs, count);
}

void ew_adam(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, size_t count,
             float scale, float decay, float beta1, float beta2, float epsilon, float step_size, float inverse_root2) {
  EW_PICK(ew_adam)(p, g, m, v, count, scale, decay, beta1, beta2, epsilon, step_size, inverse_root2);
}

void ew_momentum(float *restrict p, const float *restrict g, float *restrict v, size_t count, float scale,
                 float decay, float mu, float learning_rate) {
  EW_PICK(ew_momentum)(p, g, v, count, scale, decay, mu, learning_rate);
}

void ew_nesterov(float *restrict p, const float *restrict g, float *restrict v, size_t count, float scale,
                 float decay, float mu, float learning_rate) {
  EW_PICK(ew_nesterov)(p, g, v, count, scale, decay, mu, learning_rate);
}

void ew_sgd_decay(float *restrict p, const float *restrict g, size_t count, float scale, float decay,
                  float learning_rate) {
  EW_PICK(ew_sgd_decay)(p, g, count, scale, decay, learning_rate);
}

void ew_scale_bytes(const uint8_t *restrict from, float *restrict to, size_t count, float scale) {
  EW_PICK(ew_scale_bytes)(from, to, count, scale);
}

void ew_prefetch_rows(const uint8_t *base, const int32_t *indices, size_t rows, size_t row_bytes) {
  for (size_t r = 0; r < rows; r++) {
    const uint8_t *row = base + (size_t)indices[r] * row_bytes;
    // Every 64-byte line the row touches.
    for (size_t line = 0; line < row_bytes; line += 64) __builtin_prefetch(row + line, 0, 3);
    if (row_bytes > 0) __builtin_prefetch(row + row_bytes - 1, 0, 3);
  }
}
