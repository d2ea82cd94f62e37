// oneDNN pooling primitives on channels-last images (see include/onednn_kernels.h). The trainer
// pools with its own fixed-order loops (CElementwise's pool_forward/pool_backward); these time
// oneDNN's own for `mnist-mpi bench floor --model`.
#include "onednn_library.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(DNNL_VERSION_MAJOR) && DNNL_VERSION_MAJOR == 2

struct onednn_pooling {
  dnnl_primitive_t forward, backward;
  /// The caller's buffers (handles set per call) and max pooling's workspace (owned).
  dnnl_memory_t src, dst, diff_src, diff_dst, workspace;
  char implementation[160];
};

static void name_of(dnnl_primitive_desc_t desc, char *text, size_t capacity) {
  const char *name = NULL;
  p_dnnl_primitive_desc_query(desc, dnnl_query_impl_info_str, 0, &name);
  size_t used = strlen(text);
  if (used < capacity) snprintf(text + used, capacity - used, "%s%s", used ? ", " : "", name ? name : "unknown");
}

int onednn_pooling_create(onednn_pooling **out, const onednn_pooling_shape *shape, int average, int training,
                          char *message, size_t capacity) {
  *out = NULL;
  if (onednn_load(message, capacity) != 0) return -1;
  onednn_pooling *pooling = calloc(1, sizeof *pooling);
  if (!pooling) { snprintf(message, capacity, "out of memory"); return -1; }
  dnnl_dims_t src_dims = {shape->images, shape->channels, shape->height, shape->width};
  dnnl_dims_t dst_dims = {shape->images, shape->channels, shape->out_height, shape->out_width};
  dnnl_dims_t strides = {shape->stride, shape->stride}, kernel = {shape->window, shape->window};
  // No padding: oneDNN's out = (in - window) / stride + 1, rounded down, as the layout's.
  dnnl_dims_t padding_l = {0, 0}, padding_r = {0, 0};
  const dnnl_alg_kind_t algorithm = average ? dnnl_pooling_avg_exclude_padding : dnnl_pooling_max;
  dnnl_memory_desc_t src_md, dst_md;
  dnnl_status_t status = p_dnnl_memory_desc_init_by_tag(&src_md, 4, src_dims, dnnl_f32, dnnl_nhwc);
  if (status == dnnl_success) status = p_dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_f32, dnnl_nhwc);
  dnnl_pooling_desc_t forward_desc, backward_desc;
  dnnl_primitive_desc_t forward_pd = NULL, backward_pd = NULL;
  if (status == dnnl_success)
    status = p_dnnl_pooling_forward_desc_init(&forward_desc, training ? dnnl_forward_training : dnnl_forward_inference,
                                              algorithm, &src_md, &dst_md, strides, kernel, padding_l, padding_r);
  if (status == dnnl_success) status = p_dnnl_primitive_desc_create(&forward_pd, &forward_desc, NULL, onednn_engine, NULL);
  if (status == dnnl_success) {
    name_of(forward_pd, pooling->implementation, sizeof pooling->implementation);
    status = p_dnnl_primitive_create(&pooling->forward, forward_pd);
  }
  const dnnl_memory_desc_t *workspace_md =
      status == dnnl_success ? p_dnnl_primitive_desc_query_md(forward_pd, dnnl_query_workspace_md, 0) : NULL;
  if (status == dnnl_success && workspace_md && p_dnnl_memory_desc_get_size(workspace_md) > 0)
    status = p_dnnl_memory_create(&pooling->workspace, workspace_md, onednn_engine, DNNL_MEMORY_ALLOCATE);
  if (status == dnnl_success && training) {
    status = p_dnnl_pooling_backward_desc_init(&backward_desc, algorithm, &src_md, &dst_md, strides, kernel, padding_l,
                                               padding_r);
    if (status == dnnl_success)
      status = p_dnnl_primitive_desc_create(&backward_pd, &backward_desc, NULL, onednn_engine, forward_pd);
    if (status == dnnl_success) {
      name_of(backward_pd, pooling->implementation, sizeof pooling->implementation);
      status = p_dnnl_primitive_create(&pooling->backward, backward_pd);
    }
    if (status == dnnl_success) status = p_dnnl_memory_create(&pooling->diff_src, &src_md, onednn_engine, DNNL_MEMORY_NONE);
    if (status == dnnl_success) status = p_dnnl_memory_create(&pooling->diff_dst, &dst_md, onednn_engine, DNNL_MEMORY_NONE);
  }
  if (status == dnnl_success) status = p_dnnl_memory_create(&pooling->src, &src_md, onednn_engine, DNNL_MEMORY_NONE);
  if (status == dnnl_success) status = p_dnnl_memory_create(&pooling->dst, &dst_md, onednn_engine, DNNL_MEMORY_NONE);
  if (forward_pd) p_dnnl_primitive_desc_destroy(forward_pd);
  if (backward_pd) p_dnnl_primitive_desc_destroy(backward_pd);
  if (status != dnnl_success) {
    onednn_pooling_destroy(pooling);
    snprintf(message, capacity, "oneDNN has no %s pooling for %lldx%lldx%lld images, windows of %lld (status %d)",
             average ? "average" : "max", (long long)shape->height, (long long)shape->width, (long long)shape->channels,
             (long long)shape->window, (int)status);
    return -1;
  }
  *out = pooling;
  return 0;
}

int onednn_pooling_forward(onednn_pooling *p, const float *src, float *dst) {
  dnnl_status_t status = p_dnnl_memory_set_data_handle_v2(p->src, (void *)src, onednn_stream);
  if (status == dnnl_success) status = p_dnnl_memory_set_data_handle_v2(p->dst, dst, onednn_stream);
  if (status != dnnl_success) return (int)status;
  dnnl_exec_arg_t arguments[3] = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_DST, p->dst}, {DNNL_ARG_WORKSPACE, p->workspace}};
  return (int)p_dnnl_primitive_execute(p->forward, onednn_stream, p->workspace ? 3 : 2, arguments);
}

int onednn_pooling_backward(onednn_pooling *p, const float *diff_dst, float *diff_src) {
  if (!p->backward) return -1;
  dnnl_status_t status = p_dnnl_memory_set_data_handle_v2(p->diff_dst, (void *)diff_dst, onednn_stream);
  if (status == dnnl_success) status = p_dnnl_memory_set_data_handle_v2(p->diff_src, diff_src, onednn_stream);
  if (status != dnnl_success) return (int)status;
  dnnl_exec_arg_t arguments[3] = {
      {DNNL_ARG_DIFF_DST, p->diff_dst}, {DNNL_ARG_DIFF_SRC, p->diff_src}, {DNNL_ARG_WORKSPACE, p->workspace}};
  return (int)p_dnnl_primitive_execute(p->backward, onednn_stream, p->workspace ? 3 : 2, arguments);
}

const char *onednn_pooling_implementation(const onednn_pooling *p) { return p->implementation; }

void onednn_pooling_destroy(onednn_pooling *p) {
  if (!p) return;
  if (p->forward) p_dnnl_primitive_destroy(p->forward);
  if (p->backward) p_dnnl_primitive_destroy(p->backward);
  dnnl_memory_t memories[5] = {p->src, p->dst, p->diff_src, p->diff_dst, p->workspace};
  for (int i = 0; i < 5; i++) if (memories[i]) p_dnnl_memory_destroy(memories[i]);
  free(p);
}

#else  // built without oneDNN 2.x's header

int onednn_pooling_create(onednn_pooling **out, const onednn_pooling_shape *shape, int average, int training,
                          char *message, size_t capacity) {
  (void)shape; (void)average; (void)training;
  *out = NULL;
  return onednn_load(message, capacity) == 0 ? -1 : -1;
}
int onednn_pooling_forward(onednn_pooling *p, const float *src, float *dst) { (void)p; (void)src; (void)dst; return -1; }
int onednn_pooling_backward(onednn_pooling *p, const float *diff_dst, float *diff_src) {
  (void)p; (void)diff_dst; (void)diff_src;
  return -1;
}
const char *onednn_pooling_implementation(const onednn_pooling *p) { (void)p; return "none"; }
void onednn_pooling_destroy(onednn_pooling *p) { (void)p; }

#endif
