// IEEE 754 binary16 (float16) <-> float32: the one rounding rule of the float16 gradient wire
// (round to nearest even; overflow to infinity; subnormal halves kept; a NaN stays a quiet NaN
// with the top of its payload, as the F16C instruction VCVTPS2PH does). The scalar functions
// are header-only (the MPI sum uses them per value); float16.c converts whole buffers with F16C
// where the CPU has it, else with these, the same bits either way.
#ifndef MNIST_MPI_FLOAT16_H
#define MNIST_MPI_FLOAT16_H

#include <stdint.h>
#include <string.h>

/// The float16 bits of x, rounded to nearest even.
static inline uint16_t float16_from_float(float x) {
  uint32_t f;
  memcpy(&f, &x, sizeof f);
  const uint32_t sign = f & 0x80000000u;
  f ^= sign;
  uint16_t out;
  if (f >= (127u + 16u) << 23) {
    // 65520 and above round to infinity; NaN keeps its quiet bit and the top of its payload.
    out = f > 0x7f800000u ? (uint16_t)(0x7e00u | ((f >> 13) & 0x3ffu)) : 0x7c00u;
  } else if (f < 113u << 23) {
    // Below 2^-14: a float16 subnormal (or zero). Adding 0.5 rounds the shifted mantissa to
    // nearest even in the float unit; the bits below the magic value are the result.
    const uint32_t magic_bits = ((127u - 15u) + (23u - 10u) + 1u) << 23;
    float value, magic;
    memcpy(&value, &f, sizeof value);
    memcpy(&magic, &magic_bits, sizeof magic);
    value += magic;
    uint32_t sum;
    memcpy(&sum, &value, sizeof sum);
    out = (uint16_t)(sum - magic_bits);
  } else {
    // Normal: rebias the exponent and round the 13 dropped bits to nearest even.
    const uint32_t odd = (f >> 13) & 1u;
    f += ((uint32_t)(15 - 127) << 23) + 0xfffu + odd;
    out = (uint16_t)(f >> 13);
  }
  return (uint16_t)(out | (sign >> 16));
}

/// The float32 value of float16 bits h (exact).
static inline float float16_to_float(uint16_t h) {
  const uint32_t exponent_mask = 0x7c00u << 13;
  uint32_t bits = ((uint32_t)h & 0x7fffu) << 13;
  const uint32_t exponent = bits & exponent_mask;
  bits += (uint32_t)(127 - 15) << 23;
  if (exponent == exponent_mask) {
    bits += (uint32_t)(128 - 16) << 23;  // infinity or NaN
  } else if (exponent == 0) {
    // Zero or subnormal: renormalise through the float unit (exact: the result is normal).
    bits += 1u << 23;
    float value, magic;
    const uint32_t magic_bits = 113u << 23;
    memcpy(&value, &bits, sizeof value);
    memcpy(&magic, &magic_bits, sizeof magic);
    value -= magic;
    memcpy(&bits, &value, sizeof bits);
  }
  bits |= ((uint32_t)h & 0x8000u) << 16;
  float out;
  memcpy(&out, &bits, sizeof out);
  return out;
}

/// out[i] = float16(in[i]) for `count` values (F16C where the CPU has it; the same bits).
void float16_encode(const float *in, uint16_t *out, int64_t count);

/// out[i] = float(in[i]) for `count` values (exact).
void float16_decode(const uint16_t *in, float *out, int64_t count);

/// inout[i] = float16(float(in[i]) + float(inout[i])): the wire's sum of two float16 buffers.
void float16_sum(const uint16_t *in, uint16_t *inout, int64_t count);

/// Whether the buffer conversions use F16C here ("f16c" or "scalar").
const char *float16_instruction_set(void);

#endif
