// The built-in BERT profile against the numbers derived by hand in
// docs/partition.md (batch 32, sequence 128, BERT-large).
#include "partition/bert.h"

#include <gtest/gtest.h>

namespace skyrun::partition {
namespace {

const Unit& Find(const ModelProfile& m, const std::string& name) {
  for (const Unit& u : m.units)
    if (u.name == name) return u;
  static Unit none;
  ADD_FAILURE() << "no unit " << name;
  return none;
}

TEST(PartitionBertTest, LargeHasThreeUnitsPerLayerPlusThree) {
  auto config = BuiltinBertConfig("bert-large");
  ASSERT_TRUE(config.ok());
  config->layers = 160;
  auto model = BertProfile(*config);
  ASSERT_TRUE(model.ok());
  ASSERT_EQ(model->units.size(), 483u);
  EXPECT_EQ(model->units.front().name, "embeddings");
  EXPECT_EQ(model->units[1].name, "layer0.attention");
  EXPECT_EQ(model->units[2].name, "layer0.ffn_up");
  EXPECT_EQ(model->units[3].name, "layer0.ffn_down");
  EXPECT_EQ(model->units[481].name, "pooler");
  EXPECT_EQ(model->units[482].name, "classifier");
}

TEST(PartitionBertTest, LargeUnitsMatchTheDocumentedDerivation) {
  auto model = BertProfile(*BuiltinBertConfig("bert-large"));
  ASSERT_TRUE(model.ok());
  const Unit& attn = Find(*model, "layer3.attention");
  EXPECT_EQ(attn.fwd_flops, 36'633'051'136);
  EXPECT_EQ(attn.bwd_flops, 73'140'273'152);
  EXPECT_EQ(attn.param_bytes, 16'801'792);
  EXPECT_EQ(attn.act_bytes, 180'355'072);
  EXPECT_EQ(attn.out_bytes, 16'793'600);
  EXPECT_EQ(attn.mem_bytes, 247'562'240);
  const Unit& up = Find(*model, "layer3.ffn_up");
  EXPECT_EQ(up.fwd_flops, 34'510'733'312);
  EXPECT_EQ(up.bwd_flops, 68'870'471'680);
  EXPECT_EQ(up.param_bytes, 16'793'600);
  EXPECT_EQ(up.act_bytes, 83'886'080);
  EXPECT_EQ(up.out_bytes, 83'902'464);
  const Unit& down = Find(*model, "layer3.ffn_down");
  EXPECT_EQ(down.fwd_flops, 34'405'875'712);
  EXPECT_EQ(down.bwd_flops, 68'765'614'080);
  EXPECT_EQ(down.param_bytes, 16'789'504);
  EXPECT_EQ(down.act_bytes, 88'080'384);
  const Unit& emb = Find(*model, "embeddings");
  EXPECT_EQ(emb.fwd_flops, 46'137'344);
  EXPECT_EQ(emb.param_bytes, 127'131'648);
  EXPECT_EQ(emb.mem_bytes, 529'596'416);
  const Unit& pooler = Find(*model, "pooler");
  EXPECT_EQ(pooler.fwd_flops, 67'272'704);
  EXPECT_EQ(pooler.bwd_flops, 134'381'568);
  const Unit& cls = Find(*model, "classifier");
  EXPECT_EQ(cls.fwd_flops, 229'472);
  EXPECT_EQ(cls.param_bytes, 12'300);
  // A whole encoder layer: 316.3 GFLOP per iteration; 160 layers: 50.6 TFLOP.
  int64_t total = 0;
  for (const Unit& u : model->units) total += u.flops();
  EXPECT_EQ(total, 7'592'119'042'240);  // 24 layers
}

TEST(PartitionBertTest, ScalesWithBatch) {
  BertConfig small = *BuiltinBertConfig("bert-large");
  BertConfig big = small;
  big.batch = 64;
  auto a = BertProfile(small);
  auto b = BertProfile(big);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(2 * a->units[2].fwd_flops, b->units[2].fwd_flops);  // FFN up is linear in tokens
  EXPECT_EQ(a->units[2].param_bytes, b->units[2].param_bytes);
}

TEST(PartitionBertTest, BaseIsSmaller) {
  auto base = BertProfile(*BuiltinBertConfig("bert-base"));
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(base->units.size(), 39u);
  EXPECT_EQ(base->units[1].param_bytes, 4 * (4 * (768 * 768 + 768) + 2 * 768));
}

TEST(PartitionBertTest, UnknownModelSuggestsTheNearest) {
  auto config = BuiltinBertConfig("bert-larg");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("did you mean 'bert-large'"), std::string::npos);
}

TEST(PartitionBertTest, RejectsBadDimensions) {
  BertConfig c;
  c.heads = 7;
  EXPECT_FALSE(BertProfile(c).ok());
  c = BertConfig();
  c.seq = 1024;
  EXPECT_FALSE(BertProfile(c).ok());
}

}  // namespace
}  // namespace skyrun::partition
