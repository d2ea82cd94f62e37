// CPNG: libpng's simplified API (png_image_begin_read_from_memory, png_image_finish_read,
// png_image_write_to_memory). It catches libpng's longjmp errors inside libpng, so no setjmp
// crosses a Swift frame; failures come back as a zero result and a message in the png_image.
#ifndef CPNG_SHIM_H
#define CPNG_SHIM_H
#include <png.h>

/// PNG_IMAGE_VERSION is a macro Swift cannot see through every libpng build.
static inline png_uint_32 cpng_image_version(void) { return PNG_IMAGE_VERSION; }
#endif
