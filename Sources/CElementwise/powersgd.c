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

#define EW_PASSES "powersgd_passes.h"
#include "clones_instantiate.h"

void psgd_encode_p(float *restrict g, const float *restrict e, const float *restrict qt,
                   float *restrict p, size_t rows, size_t cols, size_t rank) {
  EW_PICK(psgd_encode_p)(g, e, qt, p, rows, cols, rank);
}

void psgd_encode_q(const float *restrict m, const float *restrict p, float *restrict qt,
                   size_t rows, size_t cols, size_t rank) {
  EW_PICK(psgd_encode_q)(m, p, qt, rows, cols, rank);
}

void psgd_decode(float *restrict m, float *restrict e, const float *restrict p,
                 const float *restrict qt, size_t rows, size_t cols, size_t rank, float share) {
  EW_PICK(psgd_decode)(m, e, p, qt, rows, cols, rank, share);
}
