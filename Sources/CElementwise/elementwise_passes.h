// The element-wise passes' loops, compiled once per instruction set: clones.h includes this file
// three times with EW_TARGET and EW_FN set for AVX-512, AVX2 and the baseline (no include guard).
EW_TARGET static void EW_FN(ew_add)(float *restrict a, const float *restrict b, size_t count) {
  for (size_t i = 0; i < count; i++) a[i] += b[i];
}

EW_TARGET static void EW_FN(ew_add_chain)(float *restrict out, const float *const *ins, size_t n, size_t count) {
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

EW_TARGET static void EW_FN(ew_relu_backward)(float *restrict gradient, const float *restrict outputs, size_t count) {
  for (size_t i = 0; i < count; i++) gradient[i] = outputs[i] <= 0.0f ? 0.0f : gradient[i];
}

EW_TARGET static void EW_FN(ew_sigmoid_backward)(float *restrict gradient, const float *restrict outputs, size_t count) {
  for (size_t i = 0; i < count; i++) gradient[i] *= outputs[i] * (1.0f - outputs[i]);
}

EW_TARGET static void EW_FN(ew_tanh_backward)(float *restrict gradient, const float *restrict outputs, size_t count) {
  for (size_t i = 0; i < count; i++) gradient[i] *= 1.0f - outputs[i] * outputs[i];
}

EW_TARGET static void EW_FN(ew_adam)(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
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

EW_TARGET static void EW_FN(ew_momentum)(float *restrict p, const float *restrict g, float *restrict v, size_t count,
    float scale, float decay, float mu, float learning_rate) {
  for (size_t i = 0; i < count; i++) {
    v[i] = mu * v[i] + scale * g[i] + decay * p[i];
    p[i] -= learning_rate * v[i];
  }
}

EW_TARGET static void EW_FN(ew_nesterov)(float *restrict p, const float *restrict g, float *restrict v, size_t count,
    float scale, float decay, float mu, float learning_rate) {
  for (size_t i = 0; i < count; i++) {
    float gradient = scale * g[i] + decay * p[i];
    v[i] = mu * v[i] + gradient;
    p[i] -= learning_rate * (gradient + mu * v[i]);
  }
}

EW_TARGET static void EW_FN(ew_sgd_decay)(float *restrict p, const float *restrict g, size_t count, float scale, float decay,
    float learning_rate) {
  for (size_t i = 0; i < count; i++) p[i] -= learning_rate * (scale * g[i] + decay * p[i]);
}

EW_TARGET static void EW_FN(ew_scale_bytes)(const uint8_t *restrict from, float *restrict to, size_t count, float scale) {
  for (size_t i = 0; i < count; i++) to[i] = (float)from[i] * scale;
}
