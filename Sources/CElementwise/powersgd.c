// PowerSGD's passes over a gradient matrix in three reads of it, against about eleven for the
// same algebra through sgemm (which packs its operands and zeroes its output first): measured
// in `mnist-mpi bench compression`. Plain loops, one clone per instruction set; sums over a row
// run in eight fixed lanes combined in a fixed order, sums over rows run in row order, so every
// clone (and every CPU of a cluster) computes the same bits.
#include "powersgd.h"
#include "clones.h"

enum { LANES = 8, CHUNK = 256 };

/// sum over j of a[j] b[j] in eight lanes (lane j mod 8), combined pairwise.
static inline __attribute__((always_inline)) float lane_dot(const float *restrict a, const float *restrict b, size_t count) {
  float lanes[LANES] = {0};
  size_t whole = count - count % LANES;
  for (size_t j = 0; j < whole; j += LANES)
    for (size_t l = 0; l < LANES; l++) lanes[l] += a[j + l] * b[j + l];
  for (size_t j = whole; j < count; j++) lanes[j - whole] += a[j] * b[j];
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

EW_CLONES void psgd_encode_p(float *restrict g, const float *restrict e, const float *restrict qt,
                             float *restrict p, size_t rows, size_t cols, size_t rank) {
  for (size_t i = 0; i < rows; i++) {
    float *restrict row = g + i * cols;
    const float *restrict error = e + i * cols;
    for (size_t j = 0; j < cols; j++) row[j] += error[j];
    for (size_t k = 0; k < rank; k++) p[i * rank + k] = lane_dot(row, qt + k * cols, cols);
  }
}

EW_CLONES void psgd_encode_q(const float *restrict m, const float *restrict p, float *restrict qt,
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

EW_CLONES void psgd_decode(float *restrict m, float *restrict e, const float *restrict p,
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
