// The oneDNN functions found by dlsym and the engine, shared by the primitives' files (not part
// of the module's interface: it lives beside the sources, not in include/).
#ifndef ONEDNN_LIBRARY_H
#define ONEDNN_LIBRARY_H

#include "onednn_kernels.h"

#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>
#endif

#if defined(DNNL_VERSION_MAJOR) && DNNL_VERSION_MAJOR == 2

#define DNNL_FUNCTIONS(X) \
  X(dnnl_engine_create) X(dnnl_stream_create) X(dnnl_memory_desc_init_by_strides) \
  X(dnnl_matmul_desc_init) X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy) \
  X(dnnl_post_ops_create) X(dnnl_post_ops_destroy) X(dnnl_post_ops_append_eltwise) X(dnnl_post_ops_append_sum) \
  X(dnnl_primitive_attr_set_post_ops) X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) \
  X(dnnl_primitive_desc_query) X(dnnl_primitive_create) X(dnnl_primitive_destroy) \
  X(dnnl_memory_create) X(dnnl_memory_destroy) X(dnnl_memory_set_data_handle_v2) \
  X(dnnl_primitive_execute) X(dnnl_get_effective_cpu_isa) X(dnnl_version) \
  X(dnnl_memory_desc_init_by_tag) X(dnnl_convolution_forward_desc_init) \
  X(dnnl_convolution_backward_data_desc_init) X(dnnl_convolution_backward_weights_desc_init) \
  X(dnnl_reorder_primitive_desc_create) X(dnnl_primitive_desc_query_md) X(dnnl_memory_desc_get_size) \
  X(dnnl_pooling_forward_desc_init) X(dnnl_pooling_backward_desc_init)

#define DECLARE(name) extern __typeof__(&name) p_##name;
DNNL_FUNCTIONS(DECLARE)
#undef DECLARE

extern dnnl_engine_t onednn_engine;
extern dnnl_stream_t onednn_stream;

/// oneDNN's eltwise algorithm of an activation.
dnnl_alg_kind_t onednn_algorithm(onednn_activation activation);

#endif
#endif
