// What every file of CElementwise compiles under: no floating-point contraction (every clone
// rounds alike), and the clones of a pass, one per instruction set: a file defines EW_PASSES as
// the header of its passes' loops and includes clones_instantiate.h, which compiles them as
// NAME_avx512, NAME_avx2 and NAME_baseline; EW_PICK(NAME) is the one for the level this process
// runs at (the CPU's, capped by MNIST_MPI_MAX_ISA: instruction_sets.h), chosen at each call.
// (target_clones picked by the CPU alone and could not be capped, so no machine could test
// the narrower paths its CPU skips.)
#ifndef CELEMENTWISE_CLONES_H
#define CELEMENTWISE_CLONES_H

#include "instruction_sets.h"

#pragma clang fp contract(off)

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define EW_TARGET_AVX512 __attribute__((target("avx512f")))
#define EW_TARGET_AVX2 __attribute__((target("avx2")))
#else
#define EW_TARGET_AVX512
#define EW_TARGET_AVX2
#endif

/// The clone of pass `name` for the level this process runs at.
#define EW_PICK(name)                                                                          \
  (isa_allowed() >= ISA_AVX512 ? name##_avx512 : isa_allowed() >= ISA_AVX2 ? name##_avx2 : name##_baseline)

#endif
