// 2x2, stride-2 pooling in AVX-512 vectors (see pooling_2x2.h).
#include "pooling_2x2.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define POOL_AVX512 1
#endif

#pragma clang fp contract(off)

#ifdef POOL_AVX512

int pool2x2_applies(conv_geometry g) {
  static int avx512 = -1;
  if (avx512 < 0) avx512 = __builtin_cpu_supports("avx512f") ? 1 : 0;
  return avx512 && g.window == 2 && g.stride == 2 && g.padding == 0 && g.channels > 0;
}

/// The first largest of a, b, c, d (window order: top left, top right, bottom left, bottom
/// right) lane by lane, as the general loop's `value > largest` steps pick it; `*which` gets the
/// lanes each wins (a, b, c, d).
__attribute__((target("avx512f"))) static inline __m512 first_largest(__m512 a, __m512 b, __m512 c, __m512 d,
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

__attribute__((target("avx512f"))) void pool2x2_forward(const float *image, float *pooled, conv_geometry g, int average) {
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
            result = first_largest(a, b, p, q, which);
          }
          _mm512_mask_storeu_ps(out + ox * c + k, lanes, result);
        }
      }
    }
  }
}

__attribute__((target("avx512f"))) void pool2x2_backward(const float *image, const float *pooled_delta,
                                                         float *image_delta, conv_geometry g, int average) {
  const size_t c = g.channels, line = g.width * c;
  const __m512 scale = _mm512_set1_ps(0.25f), zero = _mm512_setzero_ps();
  // Rows and columns past the last window get no gradient.
  if (2 * g.out_height != g.height || 2 * g.out_width != g.width)
    memset(image_delta, 0, g.images * g.height * line * sizeof(float));
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
          (void)first_largest(a, b, p, q, which);
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

#else

int pool2x2_applies(conv_geometry g) {
  (void)g;
  return 0;
}
void pool2x2_forward(const float *image, float *pooled, conv_geometry g, int average) {
  (void)image; (void)pooled; (void)g; (void)average;
}
void pool2x2_backward(const float *image, const float *pooled_delta, float *image_delta, conv_geometry g, int average) {
  (void)image; (void)pooled_delta; (void)image_delta; (void)g; (void)average;
}

#endif
