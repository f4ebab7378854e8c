// Built-in BERT profiles, derived from the model's dimensions (docs/partition.md
// shows every formula and the resulting numbers).
//
// Units follow the released Sky Computing code: embeddings, then per encoder
// layer the attention block (self-attention, output projection, residual,
// LayerNorm), the FFN up-projection (dense H->I with GELU) and the FFN
// down-projection (dense I->H, residual, LayerNorm), then the pooler and the
// classifier: 3 x layers + 3 units. Called by the CLI, the experiment and tests.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "partition/profile.h"

namespace skyrun::partition {

struct BertConfig {
  std::string name = "bert-large";
  int64_t hidden = 1024;        // H
  int64_t heads = 16;           // A
  int64_t intermediate = 4096;  // I
  int64_t vocab = 30522;        // V (uncased WordPiece)
  int64_t max_positions = 512;  // P
  int64_t type_vocab = 2;       // T
  int64_t classes = 3;          // C (MNLI, as in the seed's experiment)
  int64_t layers = 24;          // encoder layers
  int64_t batch = 32;           // b
  int64_t seq = 128;            // s
};

// Per-element FLOP counts of the non-matrix operations (forward). The matrix
// products count 2 FLOPs per multiply-accumulate; backward counts twice the
// forward matrix FLOPs (input and weight gradients) plus once the element-wise ones.
inline constexpr int64_t kFlopsBias = 1;
inline constexpr int64_t kFlopsResidual = 1;
inline constexpr int64_t kFlopsDropout = 1;
inline constexpr int64_t kFlopsLayerNorm = 8;
inline constexpr int64_t kFlopsGelu = 8;
inline constexpr int64_t kFlopsSoftmax = 5;
inline constexpr int64_t kFlopsTanh = 4;

// The configuration of a built-in model by name ("bert-large", "bert-base").
Result<BertConfig> BuiltinBertConfig(const std::string& name);
std::vector<std::string> BuiltinModelNames();

// The profile of `config` (3 x config.layers + 3 units).
Result<ModelProfile> BertProfile(const BertConfig& config);

}  // namespace skyrun::partition
