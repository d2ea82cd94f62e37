// The widest instruction set the project's own C code may use: what the CPU has, capped by the
// environment variable MNIST_MPI_MAX_ISA (avx512, avx2 or sse2), as oneDNN's
// ONEDNN_MAX_CPU_ISA caps oneDNN (and it caps oneDNN and OpenBLAS too where their own
// variables are unset: onednn_kernels.c, BLASCoreSelection). The cap lets an AVX-512 machine run
// the AVX2 and plain paths that AVX2-only and older CPUs take (scripts/narrow-isa-test.sh).
#ifndef INSTRUCTION_SETS_H
#define INSTRUCTION_SETS_H

/// The instruction-set levels the project's C dispatch knows, narrowest first.
typedef enum {
  /// x86-64's baseline (SSE2), or any other architecture.
  ISA_BASELINE = 0,
  /// AVX2 with FMA registers (Haswell, Zen 1 and later).
  ISA_AVX2 = 1,
  /// AVX-512 Foundation (Skylake-X, Zen 4 and later).
  ISA_AVX512 = 2,
} isa_level;

/// The widest level the CPU has, whatever the cap (for tests that run each path the CPU has).
isa_level isa_cpu(void);

/// The level this process's C passes run at: the CPU's, capped by MNIST_MPI_MAX_ISA. Read once.
isa_level isa_allowed(void);

/// Whether the CPU converts float16 in hardware (F16C) and the cap allows it (avx2 and above).
int isa_allows_f16c(void);

/// Whether the CPU has AVX512_BF16 and the cap allows AVX-512.
int isa_allows_avx512_bf16(void);

/// The name of a level: "avx512f", "avx2" or "sse2" ("baseline" off x86-64).
const char *isa_name(isa_level level);

/// MNIST_MPI_MAX_ISA as given, or NULL when it is not set.
const char *isa_limit_text(void);

/// 1 when MNIST_MPI_MAX_ISA is set to a value it does not know (the cap is then ignored).
int isa_limit_invalid(void);

#endif
