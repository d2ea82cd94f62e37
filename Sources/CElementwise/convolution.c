// Convolution lowering and pooling over channels-last images (see convolution.h).
#include "convolution.h"
#include <string.h>

void conv_lower(const float *restrict image, float *restrict lowered, conv_geometry g) {
  const size_t c = g.channels, row = g.window * g.window * c;
  for (size_t n = 0; n < g.images; n++) {
    const float *source = image + n * g.height * g.width * c;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      for (size_t ox = 0; ox < g.out_width; ox++) {
        float *out = lowered + ((n * g.out_height + oy) * g.out_width + ox) * row;
        for (size_t ky = 0; ky < g.window; ky++) {
          const long iy = (long)(oy * g.stride + ky) - (long)g.padding;
          float *line = out + ky * g.window * c;
          if (iy < 0 || iy >= (long)g.height) {
            memset(line, 0, g.window * c * sizeof(float));
            continue;
          }
          for (size_t kx = 0; kx < g.window; kx++) {
            const long ix = (long)(ox * g.stride + kx) - (long)g.padding;
            if (ix < 0 || ix >= (long)g.width)
              memset(line + kx * c, 0, c * sizeof(float));
            else
              memcpy(line + kx * c, source + ((size_t)iy * g.width + (size_t)ix) * c, c * sizeof(float));
          }
        }
      }
    }
  }
}

void conv_lower_transpose(const float *restrict lowered, float *restrict image, conv_geometry g) {
  const size_t c = g.channels, row = g.window * g.window * c;
  memset(image, 0, g.images * g.height * g.width * c * sizeof(float));
  for (size_t n = 0; n < g.images; n++) {
    float *target = image + n * g.height * g.width * c;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      for (size_t ox = 0; ox < g.out_width; ox++) {
        const float *in = lowered + ((n * g.out_height + oy) * g.out_width + ox) * row;
        for (size_t ky = 0; ky < g.window; ky++) {
          const long iy = (long)(oy * g.stride + ky) - (long)g.padding;
          if (iy < 0 || iy >= (long)g.height) continue;
          for (size_t kx = 0; kx < g.window; kx++) {
            const long ix = (long)(ox * g.stride + kx) - (long)g.padding;
            if (ix < 0 || ix >= (long)g.width) continue;
            float *pixel = target + ((size_t)iy * g.width + (size_t)ix) * c;
            const float *from = in + (ky * g.window + kx) * c;
            for (size_t k = 0; k < c; k++) pixel[k] += from[k];
          }
        }
      }
    }
  }
}

void pool_forward(const float *restrict image, float *restrict pooled, conv_geometry g, int average) {
  const size_t c = g.channels;
  const float scale = 1.0f / (float)(g.window * g.window);
  for (size_t n = 0; n < g.images; n++) {
    const float *source = image + n * g.height * g.width * c;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      for (size_t ox = 0; ox < g.out_width; ox++) {
        float *out = pooled + ((n * g.out_height + oy) * g.out_width + ox) * c;
        const float *first = source + (oy * g.stride * g.width + ox * g.stride) * c;
        memcpy(out, first, c * sizeof(float));
        for (size_t ky = 0; ky < g.window; ky++) {
          for (size_t kx = 0; kx < g.window; kx++) {
            if (ky == 0 && kx == 0) continue;
            const float *pixel = source + ((oy * g.stride + ky) * g.width + ox * g.stride + kx) * c;
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

void pool_backward(const float *restrict image, const float *restrict pooled_delta, float *restrict image_delta,
                   conv_geometry g, int average) {
  const size_t c = g.channels;
  const float scale = 1.0f / (float)(g.window * g.window);
  memset(image_delta, 0, g.images * g.height * g.width * c * sizeof(float));
  for (size_t n = 0; n < g.images; n++) {
    const float *source = image + n * g.height * g.width * c;
    float *target = image_delta + n * g.height * g.width * c;
    for (size_t oy = 0; oy < g.out_height; oy++) {
      for (size_t ox = 0; ox < g.out_width; ox++) {
        const float *delta = pooled_delta + ((n * g.out_height + oy) * g.out_width + ox) * c;
        const size_t corner = oy * g.stride * g.width + ox * g.stride;
        if (average) {
          for (size_t ky = 0; ky < g.window; ky++)
            for (size_t kx = 0; kx < g.window; kx++) {
              float *pixel = target + (corner + ky * g.width + kx) * c;
              for (size_t k = 0; k < c; k++) pixel[k] += delta[k] * scale;
            }
          continue;
        }
        for (size_t k = 0; k < c; k++) {
          size_t best = corner;
          float largest = source[corner * c + k];
          for (size_t ky = 0; ky < g.window; ky++)
            for (size_t kx = 0; kx < g.window; kx++) {
              const size_t at = corner + ky * g.width + kx;
              if (source[at * c + k] > largest) {
                largest = source[at * c + k];
                best = at;
              }
            }
          target[best * c + k] += delta[k];
        }
      }
    }
  }
}
