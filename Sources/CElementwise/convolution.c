// Convolution lowering and pooling over channels-last images (see convolution.h).
#include "convolution.h"
#include "pooling_2x2.h"
#include "instruction_sets.h"
#include <stdint.h>
#include <string.h>

/// The kernel columns [first, last) of output column `ox` that fall inside the image.
static inline void inside_columns(conv_geometry g, size_t ox, size_t *first, size_t *last) {
  const long left = (long)(ox * g.stride) - (long)g.padding;
  const long begin = left < 0 ? -left : 0;
  const long end = left + (long)g.window > (long)g.width ? (long)g.width - left : (long)g.window;
  *first = (size_t)begin;
  *last = end > begin ? (size_t)end : (size_t)begin;
}

void conv_lower(const float *restrict image, float *restrict lowered, conv_geometry g) {
  const size_t c = g.channels, span = g.window * c, row = g.window * span;
  for (size_t n = 0; n < g.images; n++) {
    const float *source = image + n * g.height * g.width * c;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      for (size_t ox = 0; ox < g.out_width; ox++) {
        float *out = lowered + ((n * g.out_height + oy) * g.out_width + ox) * row;
        size_t first, last;
        inside_columns(g, ox, &first, &last);
        const long left = (long)(ox * g.stride) - (long)g.padding;
        for (size_t ky = 0; ky < g.window; ky++) {
          const long iy = (long)(oy * g.stride + ky) - (long)g.padding;
          float *line = out + ky * span;
          if (iy < 0 || iy >= (long)g.height || first == last) {
            for (size_t j = 0; j < span; j++) line[j] = 0;
            continue;
          }
          // Pixels (iy, left + first) ... (iy, left + last - 1) are contiguous, channels last.
          const float *from = source + ((size_t)iy * g.width + (size_t)(left + (long)first)) * c;
          for (size_t j = 0; j < first * c; j++) line[j] = 0;
          for (size_t j = 0; j < (last - first) * c; j++) line[first * c + j] = from[j];
          for (size_t j = last * c; j < span; j++) line[j] = 0;
        }
      }
    }
  }
}

void conv_lower_transpose(const float *restrict lowered, float *restrict image, conv_geometry g) {
  const size_t c = g.channels, span = g.window * c, row = g.window * span;
  memset(image, 0, g.images * g.height * g.width * c * sizeof(float));
  for (size_t n = 0; n < g.images; n++) {
    float *target = image + n * g.height * g.width * c;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      for (size_t ox = 0; ox < g.out_width; ox++) {
        const float *in = lowered + ((n * g.out_height + oy) * g.out_width + ox) * row;
        size_t first, last;
        inside_columns(g, ox, &first, &last);
        const long left = (long)(ox * g.stride) - (long)g.padding;
        for (size_t ky = 0; ky < g.window; ky++) {
          const long iy = (long)(oy * g.stride + ky) - (long)g.padding;
          if (iy < 0 || iy >= (long)g.height) continue;
          float *to = target + ((size_t)iy * g.width + (size_t)(left + (long)first)) * c;
          const float *from = in + ky * span + first * c;
          for (size_t j = 0; j < (last - first) * c; j++) to[j] += from[j];
        }
      }
    }
  }
}

void pool_forward(const float *restrict image, float *restrict pooled, conv_geometry g, int average) {
  pool_forward_at(isa_allowed(), image, pooled, g, average);
}

void pool_backward(const float *restrict image, const float *restrict pooled_delta, float *restrict image_delta,
                   conv_geometry g, int average) {
  pool_backward_at(isa_allowed(), image, pooled_delta, image_delta, g, average);
}

/// The narrower of `level` and the CPU's.
static isa_level available(int level) {
  const isa_level cpu = isa_cpu();
  return level < (int)cpu ? (isa_level)(level < 0 ? 0 : level) : cpu;
}

void pool_forward_at(int level, const float *restrict image, float *restrict pooled, conv_geometry g, int average) {
  const isa_level vectors = pool2x2_level(g, available(level));
  if (vectors > ISA_BASELINE)
    pool2x2_forward(vectors, image, pooled, g, average);
  else
    pool_forward_loops(image, pooled, g, average);
}

void pool_backward_at(int level, const float *restrict image, const float *restrict pooled_delta,
                      float *restrict image_delta, conv_geometry g, int average) {
  const isa_level vectors = pool2x2_level(g, available(level));
  if (vectors > ISA_BASELINE)
    pool2x2_backward(vectors, image, pooled_delta, image_delta, g, average);
  else
    pool_backward_loops(image, pooled_delta, image_delta, g, average);
}

void pool_forward_loops(const float *restrict image, float *restrict pooled, conv_geometry g, int average) {
  const size_t c = g.channels, line = g.width * c;
  const float scale = 1.0f / (float)(g.window * g.window);
  for (size_t n = 0; n < g.images; n++) {
    const float *source = image + n * g.height * line;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      for (size_t ox = 0; ox < g.out_width; ox++) {
        float *restrict out = pooled + ((n * g.out_height + oy) * g.out_width + ox) * c;
        const float *corner = source + oy * g.stride * line + ox * g.stride * c;
        // The window's rows are contiguous runs of window * c floats: channel k of pixel j at j * c + k.
        for (size_t k = 0; k < c; k++) out[k] = corner[k];
        for (size_t ky = 0; ky < g.window; ky++) {
          const float *row = corner + ky * line;
          for (size_t j = ky == 0 ? 1 : 0; j < g.window; j++) {
            const float *pixel = row + j * c;
            if (average)
              for (size_t k = 0; k < c; k++) out[k] += pixel[k];
            else
              for (size_t k = 0; k < c; k++) out[k] = pixel[k] > out[k] ? pixel[k] : out[k];
          }
        }
        if (average)
          for (size_t k = 0; k < c; k++) out[k] *= scale;
      }
    }
  }
}

enum { CHANNEL_BLOCK = 64 };

void pool_backward_loops(const float *restrict image, const float *restrict pooled_delta, float *restrict image_delta,
                         conv_geometry g, int average) {
  const size_t c = g.channels, line = g.width * c;
  const float scale = 1.0f / (float)(g.window * g.window);
  memset(image_delta, 0, g.images * g.height * line * sizeof(float));
  for (size_t n = 0; n < g.images; n++) {
    const float *source = image + n * g.height * line;
    float *target = image_delta + n * g.height * line;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      for (size_t ox = 0; ox < g.out_width; ox++) {
        const float *delta = pooled_delta + ((n * g.out_height + oy) * g.out_width + ox) * c;
        const size_t corner = oy * g.stride * line + ox * g.stride * c;
        if (average) {
          for (size_t ky = 0; ky < g.window; ky++)
            for (size_t j = 0; j < g.window; j++) {
              float *pixel = target + corner + ky * line + j * c;
              for (size_t k = 0; k < c; k++) pixel[k] += delta[k] * scale;
            }
          continue;
        }
        // The first largest input of each channel in window order (row by row), channels in blocks.
        for (size_t first = 0; first < c; first += CHANNEL_BLOCK) {
          const size_t count = c - first < CHANNEL_BLOCK ? c - first : CHANNEL_BLOCK;
          float largest[CHANNEL_BLOCK];
          uint32_t at[CHANNEL_BLOCK];  // offsets within one image (checked by the caller to fit)
          for (size_t k = 0; k < count; k++) {
            largest[k] = source[corner + first + k];
            at[k] = (uint32_t)(corner + first + k);
          }
          for (size_t ky = 0; ky < g.window; ky++)
            for (size_t j = ky == 0 ? 1 : 0; j < g.window; j++) {
              const size_t offset = corner + ky * line + j * c + first;
              // Selects rather than branches: which input is largest is a coin toss the branch predictor loses.
              for (size_t k = 0; k < count; k++) {
                const float value = source[offset + k];
                const int greater = value > largest[k];
                largest[k] = greater ? value : largest[k];
                at[k] = greater ? (uint32_t)(offset + k) : at[k];
              }
            }
          for (size_t k = 0; k < count; k++) target[at[k]] += delta[first + k];
        }
      }
    }
  }
}
