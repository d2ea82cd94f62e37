// LeNet-5's two convolutions at batch 100 (the trainer's per-rank batch), one thread: forward
// (bias and ReLU fused), backward data (the second layer) and backward weights, with the images
// channels last (nhwc, the trainer's layout) or in the layout oneDNN prefers (any: blocked
// nChw8c/nChw16c), then the reorders between nhwc and that layout a trainer keeping nhwc would
// add. Built against oneDNN 2.x or 3.x headers (scripts/bench-conv-layouts.sh builds both);
// prints one JSON object: milliseconds per step and oneDNN's implementation names.
#include <dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using Args = std::unordered_map<int, memory>;

static double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Milliseconds per execution of `p`, the median of `rounds` rounds of `reps`.
static double time_ms(stream &s, primitive &p, Args &args, int reps) {
  p.execute(s, args);
  s.wait();
  double best[5];
  for (double &round : best) {
    const double start = seconds();
    for (int i = 0; i < reps; i++) p.execute(s, args);
    s.wait();
    round = (seconds() - start) / reps * 1e3;
  }
  std::sort(best, best + 5);
  return best[2];
}

/// Milliseconds of a reorder between `from` and `to` (0 when they are the same layout).
static double reorder_ms(engine &eng, stream &s, const memory::desc &from, const memory::desc &to, int reps) {
  if (from == to) return 0;
  memory a(from, eng), b(to, eng);
  reorder r(a, b);
  Args args{{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, b}};
  return time_ms(s, r, args, reps);
}

int main(int argc, char **argv) {
  const bool any = argc > 1 && !strcmp(argv[1], "any");
  const int reps = argc > 2 ? atoi(argv[2]) : 100;
  const tag layout = any ? tag::any : tag::nhwc;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  struct Layer { int channels, size, filters, kernel, padding, out; bool data; };
  const Layer layers[] = {{1, 28, 6, 5, 2, 28, false}, {6, 14, 16, 5, 0, 10, true}};
  const int n = 100;
  double compute = 0, reorders = 0;
  std::string names;
  for (const Layer &l : layers) {
    const memory::dims strides{1, 1}, pad{l.padding, l.padding};
    memory::desc src({n, l.channels, l.size, l.size}, dt::f32, layout), dst({n, l.filters, l.out, l.out}, dt::f32, layout);
    memory::desc nhwc_src({n, l.channels, l.size, l.size}, dt::f32, tag::nhwc), nhwc_dst({n, l.filters, l.out, l.out}, dt::f32, tag::nhwc);
    memory::desc weights({l.filters, l.channels, l.kernel, l.kernel}, dt::f32, tag::any), bias({l.filters}, dt::f32, tag::x);
    post_ops ops;
    primitive_attr attributes;
#if DNNL_VERSION_MAJOR >= 3
    ops.append_eltwise(algorithm::eltwise_relu, 0.f, 0.f);
    attributes.set_post_ops(ops);
    convolution_forward::primitive_desc fpd(eng, prop_kind::forward_training, algorithm::convolution_direct, src, weights,
                                            bias, dst, strides, pad, pad, attributes);
    convolution_backward_weights::primitive_desc wpd(eng, algorithm::convolution_direct, src, weights, bias, dst, strides,
                                                     pad, pad, fpd);
#else
    ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attributes.set_post_ops(ops);
    convolution_forward::primitive_desc fpd(
        convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src, weights, bias, dst,
                                  strides, pad, pad),
        attributes, eng);
    convolution_backward_weights::primitive_desc wpd(
        convolution_backward_weights::desc(algorithm::convolution_direct, src, weights, bias, dst, strides, pad, pad), eng,
        fpd);
#endif
    memory fsrc(fpd.src_desc(), eng), fdst(fpd.dst_desc(), eng), fw(fpd.weights_desc(), eng), fb(fpd.bias_desc(), eng);
    convolution_forward forward(fpd);
    Args fargs{{DNNL_ARG_SRC, fsrc}, {DNNL_ARG_WEIGHTS, fw}, {DNNL_ARG_BIAS, fb}, {DNNL_ARG_DST, fdst}};
    compute += time_ms(s, forward, fargs, reps);
    memory wsrc(wpd.src_desc(), eng), wdd(wpd.diff_dst_desc(), eng), wdw(wpd.diff_weights_desc(), eng),
        wdb(wpd.diff_bias_desc(), eng);
    convolution_backward_weights backward_weights(wpd);
    Args wargs{{DNNL_ARG_SRC, wsrc}, {DNNL_ARG_DIFF_DST, wdd}, {DNNL_ARG_DIFF_WEIGHTS, wdw}, {DNNL_ARG_DIFF_BIAS, wdb}};
    compute += time_ms(s, backward_weights, wargs, reps);
    // A trainer that keeps nhwc between layers: its images into the forward's and the weight
    // gradient's layout, the output and the incoming delta between nhwc and theirs.
    reorders += reorder_ms(eng, s, nhwc_src, fpd.src_desc(), reps) + reorder_ms(eng, s, fpd.dst_desc(), nhwc_dst, reps)
        + reorder_ms(eng, s, nhwc_src, wpd.src_desc(), reps) + reorder_ms(eng, s, nhwc_dst, wpd.diff_dst_desc(), reps);
    names += std::string(names.empty() ? "" : ", ") + "\"" + fpd.impl_info_str() + "\", \"" + wpd.impl_info_str() + "\"";
    if (l.data) {
#if DNNL_VERSION_MAJOR >= 3
      convolution_backward_data::primitive_desc dpd(eng, algorithm::convolution_direct, src, weights, dst, strides, pad,
                                                    pad, fpd);
#else
      convolution_backward_data::primitive_desc dpd(
          convolution_backward_data::desc(algorithm::convolution_direct, src, weights, dst, strides, pad, pad), eng, fpd);
#endif
      memory dds(dpd.diff_src_desc(), eng), ddd(dpd.diff_dst_desc(), eng), dw(dpd.weights_desc(), eng);
      convolution_backward_data backward_data(dpd);
      Args dargs{{DNNL_ARG_DIFF_SRC, dds}, {DNNL_ARG_DIFF_DST, ddd}, {DNNL_ARG_WEIGHTS, dw}};
      compute += time_ms(s, backward_data, dargs, reps);
      reorders += reorder_ms(eng, s, nhwc_dst, dpd.diff_dst_desc(), reps) + reorder_ms(eng, s, dpd.diff_src_desc(), nhwc_src, reps);
      names += std::string(", \"") + dpd.impl_info_str() + "\"";
    }
  }
  const version_t *v = version();
  printf("{\"onednn\": \"%d.%d.%d\", \"layout\": \"%s\", \"convolutions_ms\": %.4f, \"reorders_ms\": %.4f, "
         "\"implementations\": [%s]}\n",
         v->major, v->minor, v->patch, any ? "any" : "nhwc", compute, reorders, names.c_str());
  return 0;
}
