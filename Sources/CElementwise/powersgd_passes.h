// PowerSGD's passes' loops, compiled once per instruction set: clones.h includes this file three
// times with EW_TARGET and EW_FN set for AVX-512, AVX2 and the baseline (no include guard).
EW_TARGET static void EW_FN(psgd_encode_p)(float *restrict g, const float *restrict e, const float *restrict qt,
    float *restrict p, size_t rows, size_t cols, size_t rank) {
  for (size_t i = 0; i < rows; i++) {
    float *restrict row = g + i * cols;
    const float *restrict error = e + i * cols;
    for (size_t j = 0; j < cols; j++) row[j] += error[j];
    for (size_t k = 0; k < rank; k++) p[i * rank + k] = lane_dot(row, qt + k * cols, cols);
  }
}

EW_TARGET static void EW_FN(psgd_encode_q)(const float *restrict m, const float *restrict p, float *restrict qt,
    size_t rows, size_t cols, size_t rank) {
  for (size_t n = 0; n < rank * cols; n++) qt[n] = 0.0f;
  for (size_t i = 0; i < rows; i++) {
    const float *restrict row = m + i * cols;
    for (size_t k = 0; k < rank; k++) {
      const float weight = p[i * rank + k];
      float *restrict column = qt + k * cols;
      for (size_t j = 0; j < cols; j++) column[j] += row[j] * weight;
    }
  }
}

EW_TARGET static void EW_FN(psgd_decode)(float *restrict m, float *restrict e, const float *restrict p,
    const float *restrict qt, size_t rows, size_t cols, size_t rank, float share) {
  float approximation[CHUNK];
  for (size_t i = 0; i < rows; i++) {
    for (size_t start = 0; start < cols; start += CHUNK) {
      const size_t count = cols - start < CHUNK ? cols - start : CHUNK;
      float *restrict row = m + i * cols + start;
      float *restrict error = e + i * cols + start;
      const float first = p[i * rank];  // rank >= 1
      for (size_t j = 0; j < count; j++) approximation[j] = first * qt[start + j];
      for (size_t k = 1; k < rank; k++) {
        const float weight = p[i * rank + k];
        const float *restrict column = qt + k * cols + start;
        for (size_t j = 0; j < count; j++) approximation[j] += weight * column[j];
      }
      for (size_t j = 0; j < count; j++) {
        error[j] = row[j] - approximation[j] * share;
        row[j] = approximation[j];
      }
    }
  }
}
