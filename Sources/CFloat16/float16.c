// float16 buffers: F16C (VCVTPS2PH/VCVTPH2PS, 8 values at a time) where the CPU has it, chosen
// once at run time, else the scalar rule of float16.h. Both give the same bits (checked by
// Float16CodecTests on every value class).
#include "float16.h"
#include "instruction_sets.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

__attribute__((target("avx,f16c"))) static void encode_f16c(const float *in, uint16_t *out, int64_t count) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m128i half = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128((__m128i *)(out + i), half);
  }
  for (; i < count; i++) out[i] = float16_from_float(in[i]);
}

__attribute__((target("avx,f16c"))) static void decode_f16c(const uint16_t *in, float *out, int64_t count) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(in + i))));
  for (; i < count; i++) out[i] = float16_to_float(in[i]);
}

__attribute__((target("avx,f16c"))) static void sum_f16c(const uint16_t *in, uint16_t *inout, int64_t count) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(in + i)));
    __m256 b = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(inout + i)));
    _mm_storeu_si128((__m128i *)(inout + i),
                     _mm256_cvtps_ph(_mm256_add_ps(a, b), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  for (; i < count; i++) inout[i] = float16_from_float(float16_to_float(in[i]) + float16_to_float(inout[i]));
}

/// F16C where the CPU has it and MNIST_MPI_MAX_ISA allows AVX2 (instruction_sets.h).
static int has_f16c(void) { return isa_allows_f16c(); }
#else
static int has_f16c(void) { return 0; }
#endif

void float16_encode(const float *in, uint16_t *out, int64_t count) {
#if defined(__x86_64__) && defined(__clang__)
  if (has_f16c()) { encode_f16c(in, out, count); return; }
#endif
  for (int64_t i = 0; i < count; i++) out[i] = float16_from_float(in[i]);
}

void float16_decode(const uint16_t *in, float *out, int64_t count) {
#if defined(__x86_64__) && defined(__clang__)
  if (has_f16c()) { decode_f16c(in, out, count); return; }
#endif
  for (int64_t i = 0; i < count; i++) out[i] = float16_to_float(in[i]);
}

void float16_sum(const uint16_t *in, uint16_t *inout, int64_t count) {
#if defined(__x86_64__) && defined(__clang__)
  if (has_f16c()) { sum_f16c(in, inout, count); return; }
#endif
  for (int64_t i = 0; i < count; i++) inout[i] = float16_from_float(float16_to_float(in[i]) + float16_to_float(inout[i]));
}

const char *float16_instruction_set(void) { return has_f16c() ? "f16c" : "scalar"; }
