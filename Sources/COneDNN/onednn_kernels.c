// oneDNN matmul primitives, opened at run time (see include/onednn_kernels.h).
#include "onednn_kernels.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfloat16.h"
#include "instruction_sets.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline float derivative(float a, onednn_activation activation) {
  switch (activation) {
    case ONEDNN_LOGISTIC: return a * (1.0f - a);
    case ONEDNN_TANH: return 1.0f - a * a;
    case ONEDNN_RELU: return a > 0.0f ? 1.0f : 0.0f;
    default: return 1.0f;
  }
}

#if defined(__x86_64__)
// Sixteen lanes at a time with vcvtneps2bf16; called only where the CPU has AVX512_BF16.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void to_bf16_avx512(const float *src, uint16_t *dst, size_t count) {
  size_t i = 0;
  for (; i + 16 <= count; i += 16) {
    __m256bh packed = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
    _mm256_storeu_si256((__m256i *)(dst + i), (__m256i)packed);
  }
  for (; i < count; i++) dst[i] = bfloat16_from_float(src[i]);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void activation_backward_avx512(float *gradient, const uint16_t *output, uint16_t *gradient_bf16,
                                       size_t count, onednn_activation activation) {
  size_t i = 0;
  const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
  for (; i + 16 <= count; i += 16) {
    __m512i widened = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(output + i)));
    __m512 a = _mm512_castsi512_ps(_mm512_slli_epi32(widened, 16));
    __m512 d;
    switch (activation) {
      case ONEDNN_LOGISTIC: d = _mm512_mul_ps(a, _mm512_sub_ps(one, a)); break;
      case ONEDNN_TANH: d = _mm512_fnmadd_ps(a, a, one); break;
      case ONEDNN_RELU: d = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, zero, _CMP_GT_OQ), zero, one); break;
      default: d = one; break;
    }
    __m512 g = _mm512_mul_ps(_mm512_loadu_ps(gradient + i), d);
    _mm512_storeu_ps(gradient + i, g);
    _mm256_storeu_si256((__m256i *)(gradient_bf16 + i), (__m256i)_mm512_cvtneps_pbh(g));
  }
  for (; i < count; i++) {
    gradient[i] *= derivative(bfloat16_to_float(output[i]), activation);
    gradient_bf16[i] = bfloat16_from_float(gradient[i]);
  }
}

/// AVX512_BF16 where the CPU has it and MNIST_MPI_MAX_ISA allows AVX-512 (instruction_sets.h).
static int cpu_has_avx512_bf16(void) { return isa_allows_avx512_bf16(); }
#else
static int cpu_has_avx512_bf16(void) { return 0; }
#endif

void onednn_to_bf16(const float *src, uint16_t *dst, size_t count) {
#if defined(__x86_64__)
  if (cpu_has_avx512_bf16()) { to_bf16_avx512(src, dst, count); return; }
#endif
  for (size_t i = 0; i < count; i++) dst[i] = bfloat16_from_float(src[i]);
}

void onednn_activation_backward_bf16(float *gradient, const uint16_t *output, uint16_t *gradient_bf16,
                                     size_t count, onednn_activation activation) {
#if defined(__x86_64__)
  if (cpu_has_avx512_bf16()) { activation_backward_avx512(gradient, output, gradient_bf16, count, activation); return; }
#endif
  for (size_t i = 0; i < count; i++) {
    gradient[i] *= derivative(bfloat16_to_float(output[i]), activation);
    gradient_bf16[i] = bfloat16_from_float(gradient[i]);
  }
}

#include "onednn_library.h"

#if defined(DNNL_VERSION_MAJOR) && DNNL_VERSION_MAJOR == 2

// MARK: - The library's functions, found by dlsym

#define DECLARE(name) __typeof__(&name) p_##name;
DNNL_FUNCTIONS(DECLARE)
#undef DECLARE

static void (*p_omp_set_num_threads)(int);

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[256];
dnnl_engine_t onednn_engine;
dnnl_stream_t onednn_stream;
static char version_text[32];

/// MNIST_MPI_MAX_ISA caps oneDNN too, as ONEDNN_MAX_CPU_ISA would (one switch stands in for a
/// narrower CPU); oneDNN's own variables, when set, win. Before the first primitive.
static void cap_isa(void *library) {
  if (!isa_limit_text() || isa_limit_invalid() || getenv("ONEDNN_MAX_CPU_ISA") || getenv("DNNL_MAX_CPU_ISA")) return;
  const isa_level level = isa_allowed();
  if (level >= ISA_AVX512) return;
  dnnl_status_t (*set_max)(dnnl_cpu_isa_t) = (dnnl_status_t(*)(dnnl_cpu_isa_t))dlsym(library, "dnnl_set_max_cpu_isa");
  if (set_max) set_max(level == ISA_AVX2 ? dnnl_cpu_isa_avx2 : dnnl_cpu_isa_sse41);
}

static void load(void) {
  void *library = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_GLOBAL);
  if (!library) {
    snprintf(load_error, sizeof load_error,
             "oneDNN is not installed (libdnnl.so.2 not found: apt-get install libdnnl2)");
    return;
  }
#define RESOLVE(name)                                                                        \
  p_##name = (__typeof__(&name))dlsym(library, #name);                                     \
  if (!p_##name) {                                                                           \
    snprintf(load_error, sizeof load_error, "libdnnl.so.2 has no %s (oneDNN 2.x needed)", #name); \
    return;                                                                                  \
  }
  DNNL_FUNCTIONS(RESOLVE)
#undef RESOLVE
  p_omp_set_num_threads = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
  cap_isa(library);
  if (p_dnnl_engine_create(&onednn_engine, dnnl_cpu, 0) != dnnl_success ||
      p_dnnl_stream_create(&onednn_stream, onednn_engine, dnnl_stream_default_flags) != dnnl_success) {
    snprintf(load_error, sizeof load_error, "oneDNN could not make a CPU engine");
    return;
  }
  const dnnl_version_t *version = p_dnnl_version();
  snprintf(version_text, sizeof version_text, "%d.%d.%d", version->major, version->minor, version->patch);
}

int onednn_load(char *message, size_t capacity) {
  pthread_once(&load_once, load);
  if (load_error[0] == 0) return 0;
  snprintf(message, capacity, "%s", load_error);
  return -1;
}

const char *onednn_version(void) { return version_text; }

const char *onednn_isa(void) {
  if (!p_dnnl_get_effective_cpu_isa) return "none";
  switch (p_dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "other";
  }
}

int onednn_native_bf16(void) {
  if (!p_dnnl_get_effective_cpu_isa) return 0;
  dnnl_cpu_isa_t isa = p_dnnl_get_effective_cpu_isa();
  return (isa == dnnl_cpu_isa_avx512_core_bf16 || isa == dnnl_cpu_isa_avx512_core_amx) && cpu_has_avx512_bf16();
}

void onednn_set_threads(int count) {
  if (p_omp_set_num_threads && count > 0) p_omp_set_num_threads(count);
}

// MARK: - Primitives

struct onednn_matmul {
  dnnl_primitive_t primitive;
  dnnl_memory_t a, b, bias, c;
  char implementation[64];
};

/// A logical [rows, columns] matrix stored row-major, or its transpose stored row-major.
static dnnl_status_t describe(dnnl_memory_desc_t *desc, int64_t rows, int64_t columns, int transposed,
                              onednn_type type) {
  dnnl_dims_t dims = {rows, columns};
  dnnl_dims_t strides = {columns, 1};
  if (transposed) { strides[0] = 1; strides[1] = rows; }
  return p_dnnl_memory_desc_init_by_strides(desc, 2, dims, type == ONEDNN_BF16 ? dnnl_bf16 : dnnl_f32, strides);
}

dnnl_alg_kind_t onednn_algorithm(onednn_activation activation) {
  switch (activation) {
    case ONEDNN_LOGISTIC: return dnnl_eltwise_logistic;
    case ONEDNN_TANH: return dnnl_eltwise_tanh;
    default: return dnnl_eltwise_relu;
  }
}

int onednn_matmul_create(onednn_matmul **out, int64_t m, int64_t n, int64_t k,
                         int transpose_a, int transpose_b, onednn_type a_type,
                         onednn_type b_type, onednn_type c_type, int with_bias,
                         onednn_activation activation, int accumulate, char *message, size_t capacity) {
  *out = NULL;
  if (onednn_load(message, capacity) != 0) return -1;
  dnnl_memory_desc_t a_desc, b_desc, bias_desc, c_desc;
  dnnl_status_t status = describe(&a_desc, m, k, transpose_a, a_type);
  if (status == dnnl_success) status = describe(&b_desc, k, n, transpose_b, b_type);
  if (status == dnnl_success) status = describe(&bias_desc, 1, n, 0, ONEDNN_F32);
  if (status == dnnl_success) status = describe(&c_desc, m, n, 0, c_type);
  dnnl_matmul_desc_t matmul_desc;
  if (status == dnnl_success)
    status = p_dnnl_matmul_desc_init(&matmul_desc, &a_desc, &b_desc, with_bias ? &bias_desc : NULL, &c_desc);
  dnnl_primitive_attr_t attributes = NULL;
  dnnl_post_ops_t post_ops = NULL;
  if (status == dnnl_success) status = p_dnnl_primitive_attr_create(&attributes);
  if (status == dnnl_success && (activation != ONEDNN_NO_ACTIVATION || accumulate)) {
    status = p_dnnl_post_ops_create(&post_ops);
    // C = C + A·B: the sum post-op adds the finished product to what C held.
    if (status == dnnl_success && accumulate) status = p_dnnl_post_ops_append_sum(post_ops, 1.0f);
    if (status == dnnl_success && activation != ONEDNN_NO_ACTIVATION)
      status = p_dnnl_post_ops_append_eltwise(post_ops, 1.0f, onednn_algorithm(activation), 0.0f, 0.0f);
    if (status == dnnl_success) status = p_dnnl_primitive_attr_set_post_ops(attributes, post_ops);
  }
  dnnl_primitive_desc_t primitive_desc = NULL;
  if (status == dnnl_success)
    status = p_dnnl_primitive_desc_create(&primitive_desc, &matmul_desc, attributes, onednn_engine, NULL);
  if (post_ops) p_dnnl_post_ops_destroy(post_ops);
  if (attributes) p_dnnl_primitive_attr_destroy(attributes);
  if (status != dnnl_success) {
    snprintf(message, capacity, "oneDNN has no matmul for [%lld, %lld] x [%lld, %lld] (%s inputs, status %d)",
             (long long)m, (long long)k, (long long)k, (long long)n, a_type == ONEDNN_BF16 ? "bfloat16" : "float32",
             (int)status);
    return -1;
  }
  onednn_matmul *matmul = calloc(1, sizeof *matmul);
  if (!matmul) { p_dnnl_primitive_desc_destroy(primitive_desc); snprintf(message, capacity, "out of memory"); return -1; }
  const char *name = NULL;
  p_dnnl_primitive_desc_query(primitive_desc, dnnl_query_impl_info_str, 0, &name);
  snprintf(matmul->implementation, sizeof matmul->implementation, "%s", name ? name : "unknown");
  status = p_dnnl_primitive_create(&matmul->primitive, primitive_desc);
  p_dnnl_primitive_desc_destroy(primitive_desc);
  if (status == dnnl_success) status = p_dnnl_memory_create(&matmul->a, &a_desc, onednn_engine, DNNL_MEMORY_NONE);
  if (status == dnnl_success) status = p_dnnl_memory_create(&matmul->b, &b_desc, onednn_engine, DNNL_MEMORY_NONE);
  if (status == dnnl_success && with_bias) status = p_dnnl_memory_create(&matmul->bias, &bias_desc, onednn_engine, DNNL_MEMORY_NONE);
  if (status == dnnl_success) status = p_dnnl_memory_create(&matmul->c, &c_desc, onednn_engine, DNNL_MEMORY_NONE);
  if (status != dnnl_success) {
    onednn_matmul_destroy(matmul);
    snprintf(message, capacity, "oneDNN could not make a matmul primitive (status %d)", (int)status);
    return -1;
  }
  *out = matmul;
  return 0;
}

int onednn_matmul_run(onednn_matmul *matmul, const void *a, const void *b, const float *bias, void *c) {
  dnnl_status_t status = p_dnnl_memory_set_data_handle_v2(matmul->a, (void *)a, onednn_stream);
  if (status == dnnl_success) status = p_dnnl_memory_set_data_handle_v2(matmul->b, (void *)b, onednn_stream);
  if (status == dnnl_success && matmul->bias) status = p_dnnl_memory_set_data_handle_v2(matmul->bias, (void *)bias, onednn_stream);
  if (status == dnnl_success) status = p_dnnl_memory_set_data_handle_v2(matmul->c, c, onednn_stream);
  if (status != dnnl_success) return (int)status;
  dnnl_exec_arg_t arguments[4] = {
      {DNNL_ARG_SRC, matmul->a}, {DNNL_ARG_WEIGHTS, matmul->b}, {DNNL_ARG_DST, matmul->c}, {DNNL_ARG_BIAS, matmul->bias}};
  // CPU streams run in order and in the calling thread: the result is ready on return.
  return (int)p_dnnl_primitive_execute(matmul->primitive, onednn_stream, matmul->bias ? 4 : 3, arguments);
}

const char *onednn_matmul_implementation(const onednn_matmul *matmul) { return matmul->implementation; }

void onednn_matmul_destroy(onednn_matmul *matmul) {
  if (!matmul) return;
  if (matmul->primitive) p_dnnl_primitive_destroy(matmul->primitive);
  dnnl_memory_t memories[4] = {matmul->a, matmul->b, matmul->bias, matmul->c};
  for (int i = 0; i < 4; i++) if (memories[i]) p_dnnl_memory_destroy(memories[i]);
  free(matmul);
}

#else  // built without oneDNN 2.x's header

static const char not_built[] =
    "mnist-mpi was built without oneDNN (install libdnnl-dev, oneDNN 2.x, and rebuild: scripts/train.sh does both)";

int onednn_load(char *message, size_t capacity) { snprintf(message, capacity, "%s", not_built); return -1; }
const char *onednn_version(void) { return ""; }
const char *onednn_isa(void) { return "none"; }
int onednn_native_bf16(void) { return 0; }
void onednn_set_threads(int count) { (void)count; }
int onednn_matmul_create(onednn_matmul **out, int64_t m, int64_t n, int64_t k, int transpose_a, int transpose_b,
                         onednn_type a_type, onednn_type b_type, onednn_type c_type, int with_bias,
                         onednn_activation activation, int accumulate, char *message, size_t capacity) {
  (void)m; (void)n; (void)k; (void)transpose_a; (void)transpose_b; (void)a_type; (void)b_type; (void)c_type;
  (void)with_bias; (void)activation; (void)accumulate;
  *out = NULL;
  snprintf(message, capacity, "%s", not_built);
  return -1;
}
int onednn_matmul_run(onednn_matmul *matmul, const void *a, const void *b, const float *bias, void *c) {
  (void)matmul; (void)a; (void)b; (void)bias; (void)c;
  return -1;
}
const char *onednn_matmul_implementation(const onednn_matmul *matmul) { (void)matmul; return "none"; }
void onednn_matmul_destroy(onednn_matmul *matmul) { (void)matmul; }

#endif
