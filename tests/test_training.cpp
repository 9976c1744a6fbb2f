#include <gtest/gtest.h>

#include "model/artifact.h"
#include "model_fixture.h"
#include "store/object_store.h"

using namespace mw;

TEST(Training, LossFallsOnASmallSubset) {
  auto t = fixture::tiny_training("loss-falls");
  t.epochs = 4;
  t.augment = false;  // the same pixels every epoch: nothing drawn anew
  t.synthesize = 0;
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

// With the weight EMA on, so that its state is checkpointed too, and mixup
// and composite faces, whose draws must not depend on where the run started
// (the CLI test covers the plain path).
TEST(Training, ResumeAfterACrashEndsLikeAnUninterruptedRun) {
  auto with_ema = [](const std::string& run) {
    auto t = fixture::tiny_training(run);
    t.ema = 0.9;
    t.mixup = 0.2;
    t.synthesize = 0.5;
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

// Composite faces replace drawn examples: the run trains on other pixels and
// records the setting.
TEST(Training, SynthesizeTrainsOnCompositeFaces) {
  auto plain = fixture::tiny_training("plain-faces");
  plain.epochs = 1;
  plain.synthesize = 0;
  auto composite = fixture::tiny_training("composite-faces");
  composite.epochs = 1;
  composite.synthesize = 1;
  auto a = train(plain), b = train(composite);
  EXPECT_NE(a["id"], b["id"]);
  EXPECT_EQ(b["train"]["synthesize"], 1.0);
  EXPECT_NE(a["history"][0]["train_loss"], b["history"][0]["train_loss"]);
}

// Framing: each view is a window of the face cut again from its photo with
// more context. The run trains on other pixels than without it, records the
// setting, and resumes after a crash to the same weights (the windows are
// drawn from the seed, the epoch and the position alone).
TEST(Training, FramingTrainsOnReframedFacesAndResumes) {
  auto framed = [](const std::string& run) {
    auto t = fixture::tiny_training(run);
    t.epochs = 2;
    t.synthesize = 0.5;  // composites of the context crops, too
    t.framing_min = 0, t.framing_max = 0.6, t.framing_shift = 0.25;
    return t;
  };
  auto plain = framed("unframed");
  plain.framing_max = -1;
  const auto a = train(plain), b = train(framed("framed"));
  EXPECT_NE(a["id"], b["id"]);
  EXPECT_NE(a["history"][0]["train_loss"], b["history"][0]["train_loss"]);
  EXPECT_TRUE(a["train"]["framing"].is_null());
  EXPECT_EQ(b["train"]["framing"], json({{"margin_min", 0.0}, {"margin_max", 0.6}, {"shift", 0.25}}));

  auto crashing = framed("framed-crashed");
  crashing.stop_after_batches = 15;
  EXPECT_THROW(train(crashing), Error);
  auto resumed = framed("framed-crashed");
  resumed.resume = true;
  EXPECT_EQ(train(resumed)["id"], b["id"]);

  auto bad = framed("framed-bad");
  bad.framing_min = 0.7;  // above the largest
  EXPECT_THROW(train(bad), Error);
  bad = framed("framed-bad");
  bad.framing_shift = 0.8;
  EXPECT_THROW(train(bad), Error);
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
  t = fixture::tiny_training("bad");
  t.mixup = -1;
  EXPECT_THROW(train(t), Error);
  t = fixture::tiny_training("bad");
  t.synthesize = 1.5;
  EXPECT_THROW(train(t), Error);
  t = fixture::tiny_training("bad");
  t.balance_power = 3;
  EXPECT_THROW(train(t), Error);
}

// --holdout none: the validation crops join the training crops and the last
// epoch is published (nothing is left to choose an epoch with).
TEST(Training, HoldoutNoneTrainsOnValidationCropsAndKeepsTheLastEpoch) {
  auto t = fixture::tiny_training("holdout-none");
  t.epochs = 2;
  t.holdout = "none";
  auto m = train(t);
  EXPECT_EQ(m["train"]["train_crops"], 160 + 64);
  EXPECT_EQ(m["best_epoch"], 2);
  EXPECT_EQ(m["holdout"], "none");
  EXPECT_FALSE(m["metrics"]["val_held_out"].get<bool>());
  t = fixture::tiny_training("holdout-bad");
  t.holdout = "test";  // the test split is never trained on
  EXPECT_THROW(train(t), Error);
}

// The struct's defaults are the default architecture's recipe; each
// architecture's recipe differs where it must.
TEST(Training, DefaultsAreTheDefaultArchitecturesRecipe) {
  const TrainOptions d;
  const auto r = train_recipe(d.arch);
  EXPECT_EQ(r.input_size, d.input_size);
  EXPECT_EQ(r.epochs, d.epochs);
  EXPECT_EQ(r.optimizer, d.optimizer);
  EXPECT_DOUBLE_EQ(r.lr, d.lr);
  EXPECT_DOUBLE_EQ(r.body_lr_scale, d.body_lr_scale);
  EXPECT_DOUBLE_EQ(r.weight_decay, d.weight_decay);
  EXPECT_EQ(r.freeze, d.freeze);
  EXPECT_DOUBLE_EQ(r.synthesize, d.synthesize);
  EXPECT_GE(train_recipe("face-resnet").input_size, 112);
  EXPECT_LT(train_recipe("face-resnet").body_lr_scale, 1.0);
  EXPECT_DOUBLE_EQ(train_recipe("face-resnet").synthesize, d.synthesize);
  EXPECT_EQ(train_recipe("resnet34").optimizer, "sgd");
}

// ---- options: the recipe, the caller's settings, a resumed run's own ----

TEST(TrainingOptions, JsonKeysAreTheFieldNames) {
  TrainOptions o;
  o.arch = "resnet34";
  o.lr = 0.125;
  o.epochs = 7;
  const json j = o;
  EXPECT_EQ(j.at("arch"), "resnet34");
  EXPECT_EQ(j.at("epochs"), 7);
  EXPECT_DOUBLE_EQ(j.at("lr").get<double>(), 0.125);
  const auto back = j.get<TrainOptions>();
  EXPECT_EQ(back.arch, "resnet34");
  EXPECT_EQ(back.epochs, 7);
  EXPECT_EQ(json(back), j);
}

TEST(TrainingOptions, OnlyArchGivenTakesThatArchitecturesRecipe) {
  const auto store = fixture::small_store();
  const auto recipe = train_recipe("face-resnet");
  const auto o = resolve_train_options(store, {{"arch", "face-resnet"}});
  EXPECT_EQ(o.arch, "face-resnet");
  EXPECT_EQ(o.input_size, recipe.input_size);
  EXPECT_EQ(o.epochs, recipe.epochs);
  EXPECT_EQ(o.optimizer, "adamw");
  EXPECT_DOUBLE_EQ(o.lr, recipe.lr);
  EXPECT_DOUBLE_EQ(o.body_lr_scale, recipe.body_lr_scale);
  EXPECT_EQ(o.store, store);
  // Nothing given: the default architecture's recipe.
  auto expected = train_recipe(kDefaultArch);
  expected.store = store;
  EXPECT_EQ(json(resolve_train_options(store, json::object())), json(expected));
}

TEST(TrainingOptions, GivenSettingsOverrideTheRecipe) {
  const auto o = resolve_train_options(fixture::small_store(), {{"arch", "face-resnet"}, {"lr", 0.01}, {"epochs", 2}});
  EXPECT_DOUBLE_EQ(o.lr, 0.01);
  EXPECT_EQ(o.epochs, 2);
  EXPECT_EQ(o.optimizer, "adamw");  // not given: the recipe's
  EXPECT_EQ(o.input_size, train_recipe("face-resnet").input_size);
}

TEST(TrainingOptions, UnknownSettingsAndWrongTypesAreClearErrors) {
  const auto store = fixture::small_store();
  try {
    resolve_train_options(store, {{"learning_rate", 0.1}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'learning_rate'"), std::string::npos) << e.what();
  }
  try {
    resolve_train_options(store, {{"epochs", "many"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'epochs'"), std::string::npos) << e.what();
  }
}

// {"resume": true} alone continues the latest run with its own settings
// (another architecture and epoch count than the default recipe's).
TEST(TrainingOptions, ResumeAloneTakesTheRunsOwnSettings) {
  auto t = fixture::tiny_training("recorded");
  t.arch = "resnet34";
  t.epochs = 2;
  t.stop_after_batches = 12;  // after epoch 1's checkpoint
  EXPECT_THROW(train(t), Error);

  const auto o = resolve_train_options(t.store, {{"resume", true}});
  EXPECT_EQ(o.run, "recorded");
  EXPECT_EQ(o.arch, "resnet34");
  EXPECT_EQ(o.epochs, 2);
  EXPECT_EQ(o.limit, t.limit);
  EXPECT_TRUE(o.resume);
  EXPECT_EQ(o.stop_after_batches, -1);  // a setting of the crashed process, not of the run

  // A given setting that differs from the run's is refused by name (not by a
  // missing layer of another architecture).
  auto other_arch = resolve_train_options(t.store, {{"resume", true}, {"arch", "resnet18"}});
  EXPECT_EQ(other_arch.epochs, 2);
  try {
    train(other_arch);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'arch'"), std::string::npos) << e.what();
  }

  const auto m = train(o);
  EXPECT_EQ(m["arch"], "resnet34");
  EXPECT_EQ(m["history"].size(), 2u);
}

// runs/latest moves to a new run only once it has a checkpoint.
TEST(Training, LatestRunMovesOnlyAfterTheFirstCheckpoint) {
  auto first = fixture::tiny_training("latest-first");
  first.epochs = 1;
  train(first);
  auto store = open_store(first.store);
  EXPECT_EQ(store->get("runs/latest"), "latest-first\n");

  auto killed = fixture::tiny_training("latest-killed");
  killed.stop_after_batches = 3;  // in epoch 1
  EXPECT_THROW(train(killed), Error);
  EXPECT_TRUE(store->exists("runs/latest-killed/options.json"));
  EXPECT_FALSE(store->exists("runs/latest-killed/checkpoint.pt"));
  EXPECT_EQ(store->get("runs/latest"), "latest-first\n");

  killed.stop_after_batches = 12;  // in epoch 2, after epoch 1's checkpoint
  EXPECT_THROW(train(killed), Error);
  EXPECT_EQ(store->get("runs/latest"), "latest-killed\n");
}

// A checkpoint carries its SHA-256: four flipped bytes inside it are refused,
// the untouched checkpoint resumes.
TEST(Training, ResumeRefusesACorruptedCheckpoint) {
  auto t = fixture::tiny_training("corrupted");
  t.epochs = 2;
  t.stop_after_batches = 12;  // after epoch 1's checkpoint
  EXPECT_THROW(train(t), Error);
  auto store = open_store(t.store);
  const std::string key = "runs/corrupted/checkpoint.pt", good = store->get(key);
  std::string bad = good;
  for (std::size_t k = 0; k < 4; ++k) bad[bad.size() / 2 + k] ^= 0x5A;
  store->put(key, bad);

  t.stop_after_batches = -1;
  t.resume = true;
  try {
    train(t);
    FAIL() << "a corrupted checkpoint was accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(key), std::string::npos) << what;
    EXPECT_NE(what.find("corrupt"), std::string::npos) << what;
  }

  store->put(key, good);
  const auto m = train(t);
  EXPECT_EQ(m["history"].size(), 2u);
}
