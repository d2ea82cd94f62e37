// Compiles the loops of EW_PASSES three times (see clones.h); no include guard: one use a file.
#define EW_TARGET EW_TARGET_AVX512
#define EW_FN(name) name##_avx512
#include EW_PASSES
#undef EW_TARGET
#undef EW_FN

#define EW_TARGET EW_TARGET_AVX2
#define EW_FN(name) name##_avx2
#include EW_PASSES
#undef EW_TARGET
#undef EW_FN

#define EW_TARGET
#define EW_FN(name) name##_baseline
#include EW_PASSES
#undef EW_TARGET
#undef EW_FN
