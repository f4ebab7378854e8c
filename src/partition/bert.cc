#include "partition/bert.h"

#include "common/strings.h"

namespace skyrun::partition {
namespace {

constexpr int64_t kFloatBytes = 4;  // fp32 tensors
constexpr int64_t kMaskBytes = 1;   // dropout masks, one byte per element
constexpr int64_t kIdBytes = 8;     // int64 token, position and segment ids

Unit MakeUnit(std::string name, int64_t matmul_flops, int64_t elementwise_flops, int64_t params,
              int64_t act_bytes, int64_t out_bytes) {
  Unit u;
  u.name = std::move(name);
  u.fwd_flops = matmul_flops + elementwise_flops;
  u.bwd_flops = 2 * matmul_flops + elementwise_flops;
  u.param_bytes = params * kFloatBytes;
  u.act_bytes = act_bytes;
  u.out_bytes = out_bytes;
  u.mem_bytes = TrainingMemoryBytes(u.param_bytes, u.act_bytes);
  return u;
}

}  // namespace

std::vector<std::string> BuiltinModelNames() {
  return {"bert-large", "bert-base"};
}

Result<BertConfig> BuiltinBertConfig(const std::string& name) {
  BertConfig c;
  if (name == "bert-large") return c;
  if (name == "bert-base") {
    c.name = "bert-base";
    c.hidden = 768;
    c.heads = 12;
    c.intermediate = 3072;
    c.layers = 12;
    return c;
  }
  std::string message = "unknown model '" + name + "'";
  if (auto near = NearestName(name, BuiltinModelNames())) message += "; did you mean '" + *near + "'?";
  return InvalidArgument(message + " Built-in models: " + Join(BuiltinModelNames(), ", ") +
                         "; or give a profile with --profile layers.csv");
}

Result<ModelProfile> BertProfile(const BertConfig& c) {
  if (c.hidden <= 0 || c.heads <= 0 || c.hidden % c.heads != 0 || c.intermediate <= 0 || c.batch <= 0 ||
      c.seq <= 0 || c.layers < 0 || c.layers > 100000 || c.classes <= 0 || c.vocab <= 0 ||
      c.seq > c.max_positions) {
    return InvalidArgument("BERT configuration '" + c.name +
                           "': dimensions must be positive, hidden a multiple of heads, sequence at most "
                           "max_positions, and at most 100000 layers");
  }
  const int64_t h = c.hidden, a = c.heads, i = c.intermediate, b = c.batch, s = c.seq;
  const int64_t n = b * s;               // tokens in the batch
  const int64_t scores = b * a * s * s;  // attention score elements
  const int64_t mask_bytes =
      kFloatBytes * b * s;  // the extended attention mask travels with the hidden state
  const int64_t hidden_bytes = kFloatBytes * n * h;

  ModelProfile model;
  model.name = c.name;
  model.units.reserve(static_cast<size_t>(3 * c.layers + 3));

  // Embeddings: three lookups summed (2 adds), LayerNorm, dropout.
  model.units.push_back(MakeUnit(
      "embeddings", 0, n * h * (2 + kFlopsLayerNorm + kFlopsDropout),
      (c.vocab + c.max_positions + c.type_vocab) * h + 2 * h,
      /*act: LayerNorm input, dropout mask, ids*/ hidden_bytes + kMaskBytes * n * h + 3 * kIdBytes * n,
      hidden_bytes + mask_bytes));

  for (int64_t l = 0; l < c.layers; ++l) {
    std::string prefix = "layer" + std::to_string(l) + ".";
    // Attention: Q, K, V and output projections (4 x 2nH^2), scores QK^T and
    // context PV (2 x 2nsH); element-wise: 4 biases, scale + mask + softmax +
    // dropout on the scores, dropout + residual + LayerNorm on the output.
    int64_t attn_matmul = 8 * n * h * h + 4 * n * s * h;
    int64_t attn_elem = 4 * kFlopsBias * n * h + scores * (2 + kFlopsSoftmax + kFlopsDropout) +
                        n * h * (kFlopsDropout + kFlopsResidual + kFlopsLayerNorm);
    // Kept for backward: input, Q, K, V, context, LayerNorm input (6 x 4nH),
    // softmax output and dropped probabilities (2 x 4 per score), masks.
    int64_t attn_act = 6 * hidden_bytes + 2 * kFloatBytes * scores + kMaskBytes * scores + kMaskBytes * n * h;
    model.units.push_back(MakeUnit(prefix + "attention", attn_matmul, attn_elem, 4 * (h * h + h) + 2 * h,
                                   attn_act, hidden_bytes + mask_bytes));

    // FFN up: dense H -> I, bias, GELU. Keeps its input and the pre-GELU values.
    // Its output carries the intermediate and the attention output (for the residual).
    model.units.push_back(MakeUnit(prefix + "ffn_up", 2 * n * h * i, n * i * (kFlopsBias + kFlopsGelu),
                                   h * i + i, hidden_bytes + kFloatBytes * n * i,
                                   kFloatBytes * n * i + hidden_bytes + mask_bytes));

    // FFN down: dense I -> H, bias, dropout, residual, LayerNorm.
    model.units.push_back(MakeUnit(prefix + "ffn_down", 2 * n * i * h,
                                   n * h * (kFlopsBias + kFlopsDropout + kFlopsResidual + kFlopsLayerNorm),
                                   i * h + h + 2 * h, kFloatBytes * n * i + kMaskBytes * n * h + hidden_bytes,
                                   hidden_bytes + mask_bytes));
  }

  // Pooler: the first token of each sequence through dense H -> H and tanh.
  model.units.push_back(MakeUnit("pooler", 2 * b * h * h, b * h * (kFlopsBias + kFlopsTanh), h * h + h,
                                 2 * kFloatBytes * b * h, kFloatBytes * b * h));
  // Classifier: dropout and dense H -> C.
  model.units.push_back(MakeUnit("classifier", 2 * b * h * c.classes, b * h * kFlopsDropout + b * c.classes,
                                 h * c.classes + c.classes, kFloatBytes * b * h + kMaskBytes * b * h,
                                 kFloatBytes * b * c.classes));
  return model;
}

}  // namespace skyrun::partition
