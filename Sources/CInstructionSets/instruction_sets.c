// The project's instruction-set cap (see include/instruction_sets.h).
#include "instruction_sets.h"

#include <stdlib.h>
#include <strings.h>

static const char *const variable = "MNIST_MPI_MAX_ISA";

/// The cap MNIST_MPI_MAX_ISA asks for: ISA_AVX512 when unset, -1 when it is not understood.
static int requested_cap(void) {
  const char *text = getenv(variable);
  if (!text || !*text) return ISA_AVX512;
  if (!strcasecmp(text, "avx512") || !strcasecmp(text, "avx512f") || !strcasecmp(text, "avx512_core")) return ISA_AVX512;
  if (!strcasecmp(text, "avx2")) return ISA_AVX2;
  if (!strcasecmp(text, "sse2") || !strcasecmp(text, "sse41") || !strcasecmp(text, "baseline")) return ISA_BASELINE;
  return -1;
}

isa_level isa_cpu(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return ISA_AVX512;
  if (__builtin_cpu_supports("avx2")) return ISA_AVX2;
#endif
  return ISA_BASELINE;
}

isa_level isa_allowed(void) {
  // Every thread computes the same answer: a race only writes it twice.
  static volatile int known = -1;
  if (known < 0) {
    const int cap = requested_cap();
    const isa_level cpu = isa_cpu();
    known = cap < 0 || (int)cpu < cap ? (int)cpu : cap;
  }
  return (isa_level)known;
}

/// Reads a CPU feature once under the cap (every thread computes the same answer: a race only
/// writes it twice); the conversions ask on every call.
static int cached(volatile int *known, isa_level needed, int (*cpu_has)(void)) {
  if (*known < 0) *known = isa_allowed() >= needed && cpu_has();
  return *known;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
static int cpu_has_f16c(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
}
static int cpu_has_avx512_bf16(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16");
}
#else
static int cpu_has_f16c(void) { return 0; }
static int cpu_has_avx512_bf16(void) { return 0; }
#endif

int isa_allows_f16c(void) {
  static volatile int known = -1;
  return cached(&known, ISA_AVX2, cpu_has_f16c);
}

int isa_allows_avx512_bf16(void) {
  static volatile int known = -1;
  return cached(&known, ISA_AVX512, cpu_has_avx512_bf16);
}

const char *isa_name(isa_level level) {
#if defined(__x86_64__)
  switch (level) {
    case ISA_AVX512: return "avx512f";
    case ISA_AVX2: return "avx2";
    default: return "sse2";
  }
#else
  (void)level;
  return "baseline";
#endif
}

const char *isa_limit_text(void) {
  const char *text = getenv(variable);
  return text && *text ? text : NULL;
}

int isa_limit_invalid(void) { return requested_cap() < 0; }
