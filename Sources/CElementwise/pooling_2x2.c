// 2x2, stride-2 pooling in AVX-512 or AVX2 vectors (see pooling_2x2.h).
#include "pooling_2x2.h"
#include "instruction_sets.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define POOL_VECTORS 1
#endif

#pragma clang fp contract(off)

isa_level pool2x2_level(conv_geometry g, isa_level allowed) {
#ifdef POOL_VECTORS
  if (g.window == 2 && g.stride == 2 && g.padding == 0 && g.channels > 0) return allowed;
#else
  (void)g; (void)allowed;
#endif
  return ISA_BASELINE;
}

#ifdef POOL_VECTORS

// MARK: - AVX-512: sixteen channels a vector, tails by lane masks

/// The first largest of a, b, c, d (window order: top left, top right, bottom left, bottom
/// right) lane by lane, as the general loop's `value > largest` steps pick it; `*which` gets the
/// lanes each wins (a, b, c, d).
__attribute__((target("avx512f"))) static inline __m512 first_largest_512(__m512 a, __m512 b, __m512 c, __m512 d,
                                                                            __mmask16 which[4]) {
  const __mmask16 over_b = _mm512_cmp_ps_mask(b, a, _CMP_GT_OQ);
  __m512 largest = _mm512_mask_blend_ps(over_b, a, b);
  const __mmask16 over_c = _mm512_cmp_ps_mask(c, largest, _CMP_GT_OQ);
  largest = _mm512_mask_blend_ps(over_c, largest, c);
  const __mmask16 over_d = _mm512_cmp_ps_mask(d, largest, _CMP_GT_OQ);
  largest = _mm512_mask_blend_ps(over_d, largest, d);
  which[3] = over_d;
  which[2] = (__mmask16)(over_c & ~over_d);
  which[1] = (__mmask16)(over_b & ~over_c & ~over_d);
  which[0] = (__mmask16)(~over_b & ~over_c & ~over_d);
  return largest;
}

__attribute__((target("avx512f"))) static void forward_512(const float *image, float *pooled, conv_geometry g, int average) {
  const size_t c = g.channels, line = g.width * c;
  const __m512 scale = _mm512_set1_ps(0.25f);
  for (size_t n = 0; n < g.images; n++) {
    const float *source = image + n * g.height * line;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      const float *top = source + 2 * oy * line, *bottom = top + line;
      float *out = pooled + (n * g.out_height + oy) * g.out_width * c;
      for (size_t ox = 0; ox < g.out_width; ox++) {
        for (size_t k = 0; k < c; k += 16) {
          const __mmask16 lanes = (__mmask16)(c - k >= 16 ? 0xFFFF : (1u << (c - k)) - 1);
          const size_t left = 2 * ox * c + k, right = left + c;
          const __m512 a = _mm512_maskz_loadu_ps(lanes, top + left), b = _mm512_maskz_loadu_ps(lanes, top + right);
          const __m512 p = _mm512_maskz_loadu_ps(lanes, bottom + left), q = _mm512_maskz_loadu_ps(lanes, bottom + right);
          __m512 result;
          if (average) {
            result = _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a, b), p), q), scale);
          } else {
            __mmask16 which[4];
            result = first_largest_512(a, b, p, q, which);
          }
          _mm512_mask_storeu_ps(out + ox * c + k, lanes, result);
        }
      }
    }
  }
}

__attribute__((target("avx512f"))) static void backward_512(const float *image, const float *pooled_delta,
                                                            float *image_delta, conv_geometry g, int average) {
  const size_t c = g.channels, line = g.width * c;
  const __m512 scale = _mm512_set1_ps(0.25f), zero = _mm512_setzero_ps();
  for (size_t n = 0; n < g.images; n++) {
    const float *source = image + n * g.height * line;
    float *target = image_delta + n * g.height * line;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      const float *top = source + 2 * oy * line, *bottom = top + line;
      float *top_delta = target + 2 * oy * line, *bottom_delta = top_delta + line;
      const float *delta = pooled_delta + (n * g.out_height + oy) * g.out_width * c;
      for (size_t ox = 0; ox < g.out_width; ox++) {
        for (size_t k = 0; k < c; k += 16) {
          const __mmask16 lanes = (__mmask16)(c - k >= 16 ? 0xFFFF : (1u << (c - k)) - 1);
          const size_t left = 2 * ox * c + k, right = left + c;
          const __m512 incoming = _mm512_maskz_loadu_ps(lanes, delta + ox * c + k);
          if (average) {
            const __m512 share = _mm512_add_ps(zero, _mm512_mul_ps(incoming, scale));
            _mm512_mask_storeu_ps(top_delta + left, lanes, share);
            _mm512_mask_storeu_ps(top_delta + right, lanes, share);
            _mm512_mask_storeu_ps(bottom_delta + left, lanes, share);
            _mm512_mask_storeu_ps(bottom_delta + right, lanes, share);
            continue;
          }
          const __m512 a = _mm512_maskz_loadu_ps(lanes, top + left), b = _mm512_maskz_loadu_ps(lanes, top + right);
          const __m512 p = _mm512_maskz_loadu_ps(lanes, bottom + left), q = _mm512_maskz_loadu_ps(lanes, bottom + right);
          __mmask16 which[4];
          (void)first_largest_512(a, b, p, q, which);
          const __m512 routed = _mm512_add_ps(zero, incoming);
          _mm512_mask_storeu_ps(top_delta + left, lanes, _mm512_maskz_mov_ps(which[0], routed));
          _mm512_mask_storeu_ps(top_delta + right, lanes, _mm512_maskz_mov_ps(which[1], routed));
          _mm512_mask_storeu_ps(bottom_delta + left, lanes, _mm512_maskz_mov_ps(which[2], routed));
          _mm512_mask_storeu_ps(bottom_delta + right, lanes, _mm512_maskz_mov_ps(which[3], routed));
        }
      }
    }
  }
}

// MARK: - AVX2: eight channels a vector, tails by maskload/maskstore

/// The lanes below `count` (at most 8) as maskload's mask: all bits set in each.
__attribute__((target("avx2"))) static inline __m256i lanes_256(size_t count) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count < 8 ? count : 8)), index);
}

/// `first_largest_512` in AVX2: the same comparisons and choices, lane masks as all-ones lanes.
__attribute__((target("avx2"))) static inline __m256 first_largest_256(__m256 a, __m256 b, __m256 c, __m256 d,
                                                                        __m256 which[4]) {
  const __m256 over_b = _mm256_cmp_ps(b, a, _CMP_GT_OQ);
  __m256 largest = _mm256_blendv_ps(a, b, over_b);
  const __m256 over_c = _mm256_cmp_ps(c, largest, _CMP_GT_OQ);
  largest = _mm256_blendv_ps(largest, c, over_c);
  const __m256 over_d = _mm256_cmp_ps(d, largest, _CMP_GT_OQ);
  largest = _mm256_blendv_ps(largest, d, over_d);
  which[3] = over_d;
  which[2] = _mm256_andnot_ps(over_d, over_c);
  which[1] = _mm256_andnot_ps(_mm256_or_ps(over_c, over_d), over_b);
  which[0] = _mm256_andnot_ps(_mm256_or_ps(over_b, _mm256_or_ps(over_c, over_d)),
                              _mm256_castsi256_ps(_mm256_set1_epi32(-1)));
  return largest;
}

__attribute__((target("avx2"))) static void forward_256(const float *image, float *pooled, conv_geometry g, int average) {
  const size_t c = g.channels, line = g.width * c;
  const __m256 scale = _mm256_set1_ps(0.25f);
  for (size_t n = 0; n < g.images; n++) {
    const float *source = image + n * g.height * line;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      const float *top = source + 2 * oy * line, *bottom = top + line;
      float *out = pooled + (n * g.out_height + oy) * g.out_width * c;
      for (size_t ox = 0; ox < g.out_width; ox++) {
        for (size_t k = 0; k < c; k += 8) {
          const __m256i lanes = lanes_256(c - k);
          const size_t left = 2 * ox * c + k, right = left + c;
          const __m256 a = _mm256_maskload_ps(top + left, lanes), b = _mm256_maskload_ps(top + right, lanes);
          const __m256 p = _mm256_maskload_ps(bottom + left, lanes), q = _mm256_maskload_ps(bottom + right, lanes);
          __m256 result;
          if (average) {
            result = _mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a, b), p), q), scale);
          } else {
            __m256 which[4];
            result = first_largest_256(a, b, p, q, which);
          }
          _mm256_maskstore_ps(out + ox * c + k, lanes, result);
        }
      }
    }
  }
}

__attribute__((target("avx2"))) static void backward_256(const float *image, const float *pooled_delta,
                                                         float *image_delta, conv_geometry g, int average) {
  const size_t c = g.channels, line = g.width * c;
  const __m256 scale = _mm256_set1_ps(0.25f), zero = _mm256_setzero_ps();
  for (size_t n = 0; n < g.images; n++) {
    const float *source = image + n * g.height * line;
    float *target = image_delta + n * g.height * line;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      const float *top = source + 2 * oy * line, *bottom = top + line;
      float *top_delta = target + 2 * oy * line, *bottom_delta = top_delta + line;
      const float *delta = pooled_delta + (n * g.out_height + oy) * g.out_width * c;
      for (size_t ox = 0; ox < g.out_width; ox++) {
        for (size_t k = 0; k < c; k += 8) {
          const __m256i lanes = lanes_256(c - k);
          const size_t left = 2 * ox * c + k, right = left + c;
          const __m256 incoming = _mm256_maskload_ps(delta + ox * c + k, lanes);
          if (average) {
            const __m256 share = _mm256_add_ps(zero, _mm256_mul_ps(incoming, scale));
            _mm256_maskstore_ps(top_delta + left, lanes, share);
            _mm256_maskstore_ps(top_delta + right, lanes, share);
            _mm256_maskstore_ps(bottom_delta + left, lanes, share);
            _mm256_maskstore_ps(bottom_delta + right, lanes, share);
            continue;
          }
          const __m256 a = _mm256_maskload_ps(top + left, lanes), b = _mm256_maskload_ps(top + right, lanes);
          const __m256 p = _mm256_maskload_ps(bottom + left, lanes), q = _mm256_maskload_ps(bottom + right, lanes);
          __m256 which[4];
          (void)first_largest_256(a, b, p, q, which);
          // A lane that loses gets +0 (all bits clear), as the AVX-512 path's zeroing moves give.
          const __m256 routed = _mm256_add_ps(zero, incoming);
          _mm256_maskstore_ps(top_delta + left, lanes, _mm256_and_ps(which[0], routed));
          _mm256_maskstore_ps(top_delta + right, lanes, _mm256_and_ps(which[1], routed));
          _mm256_maskstore_ps(bottom_delta + left, lanes, _mm256_and_ps(which[2], routed));
          _mm256_maskstore_ps(bottom_delta + right, lanes, _mm256_and_ps(which[3], routed));
        }
      }
    }
  }
}

void pool2x2_forward(isa_level level, const float *image, float *pooled, conv_geometry g, int average) {
  if (level >= ISA_AVX512)
    forward_512(image, pooled, g, average);
  else
    forward_256(image, pooled, g, average);
}

void pool2x2_backward(isa_level level, const float *image, const float *pooled_delta, float *image_delta,
                      conv_geometry g, int average) {
  // Rows and columns past the last window get no gradient.
  if (2 * g.out_height != g.height || 2 * g.out_width != g.width)
    memset(image_delta, 0, g.images * g.height * g.width * g.channels * sizeof(float));
  if (level >= ISA_AVX512)
    backward_512(image, pooled_delta, image_delta, g, average);
  else
    backward_256(image, pooled_delta, image_delta, g, average);
}

#else

void pool2x2_forward(isa_level level, const float *image, float *pooled, conv_geometry g, int average) {
  (void)level; (void)image; (void)pooled; (void)g; (void)average;
}
void pool2x2_backward(isa_level level, const float *image, const float *pooled_delta, float *image_delta,
                      conv_geometry g, int average) {
  (void)level; (void)image; (void)pooled_delta; (void)image_delta; (void)g; (void)average;
}

#endif
