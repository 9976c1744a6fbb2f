#include <gtest/gtest.h>

#include "model/artifact.h"
#include "model_fixture.h"
#include "store/object_store.h"

using namespace mw;

TEST(Training, LossFallsOnASmallSubset) {
  auto t = fixture::tiny_training("loss-falls");
  t.epochs = 4;
  t.augment = false;
  t.balance = "none";
  auto m = train(t);
  const auto& h = m["history"];
  ASSERT_EQ(h.size(), 4u);
  EXPECT_LT(h[3]["train_loss"].get<double>(), 0.8 * h[0]["train_loss"].get<double>()) << h.dump();
  // The published artifact is the best epoch, loadable by id and as latest.
  auto store = open_store(t.store);
  auto loaded = load_model(*store, m["id"]);
  EXPECT_EQ(loaded.meta["best_epoch"], m["best_epoch"]);
  EXPECT_EQ(loaded.meta["input_size"], 32);
  EXPECT_EQ(loaded.meta["labels"].size(), 3u);
  EXPECT_FALSE(loaded.meta["manifest_hash"].get<std::string>().empty());
  EXPECT_EQ(load_model(*store, m["id"].get<std::string>().substr(0, 6)).meta["id"], m["id"]);
}

// With the weight EMA on, so that its state is checkpointed too (the CLI test
// covers the plain path).
TEST(Training, ResumeAfterACrashEndsLikeAnUninterruptedRun) {
  auto with_ema = [](const std::string& run) {
    auto t = fixture::tiny_training(run);
    t.ema = 0.9;
    return t;
  };
  auto whole = train(with_ema("uninterrupted"));

  auto crashing = with_ema("crashed");
  crashing.stop_after_batches = 15;  // in the middle of epoch 2
  EXPECT_THROW(train(crashing), Error);
  auto store = open_store(crashing.store);
  EXPECT_TRUE(store->exists("runs/crashed/checkpoint.pt"));

  auto resumed = with_ema("crashed");
  resumed.resume = true;
  auto m = train(resumed);
  EXPECT_EQ(m["id"], whole["id"]);  // the same weights, bit for bit
  EXPECT_EQ(m["history"].size(), 3u);
  for (int e = 0; e < 3; ++e)
    EXPECT_DOUBLE_EQ(m["history"][e]["val_loss"].get<double>(), whole["history"][e]["val_loss"].get<double>());
}

TEST(Training, ResumeRefusesChangedSettings) {
  auto t = fixture::tiny_training("changed");
  t.epochs = 1;
  train(t);
  EXPECT_THROW(train(t), Error);  // a finished run is not overwritten by a new one of the same name
  t.resume = true;
  t.lr = 0.123;
  try {
    train(t);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'lr'"), std::string::npos) << e.what();
  }
}

TEST(Training, BadOptionsAreClearErrors) {
  auto t = fixture::tiny_training("bad");
  t.optimizer = "rmsprop";
  EXPECT_THROW(train(t), Error);
  t = fixture::tiny_training("bad");
  t.arch = "vgg";
  EXPECT_THROW(train(t), Error);
  t = fixture::tiny_training("bad");
  t.batch = 1;
  EXPECT_THROW(train(t), Error);
}
