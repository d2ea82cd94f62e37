// bfloat16 <-> float32 for one value, header-only: the one rounding rule that the bfloat16
// gradient sum (CMPIExtras) and the bfloat16 kernels (COneDNN) share, so that what travels
// and what is computed round alike.
#ifndef MNIST_MPI_BFLOAT16_H
#define MNIST_MPI_BFLOAT16_H

#include <stdint.h>
#include <string.h>

/// The bfloat16 bits of x, rounded to nearest even; a NaN stays a (quiet) NaN.
static inline uint16_t bfloat16_from_float(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return (uint16_t)(bits >> 16);
}

/// The float32 value of bfloat16 bits h (exact).
static inline float bfloat16_to_float(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float x;
  memcpy(&x, &bits, sizeof x);
  return x;
}

#endif
