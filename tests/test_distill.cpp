#include <gtest/gtest.h>

#include "model/artifact.h"
#include "model_fixture.h"
#include "store/object_store.h"
#include "train/distill.h"

using namespace mw;
namespace F = torch::nn::functional;

TEST(Distill, LossIsZeroOnlyWhereTheStudentAgreesAndFallsTowardsTheTeacher) {
  torch::manual_seed(3);
  const double t = 2.0;
  auto teacher_logits = torch::randn({8, 3}) * 3;
  auto q = F::softmax(teacher_logits / t, 1);
  EXPECT_NEAR(distillation_loss(teacher_logits, q, t).item<double>(), 0.0, 1e-6);
  // Shifting every logit of a row by a constant changes nothing.
  EXPECT_NEAR(distillation_loss(teacher_logits + 5, q, t).item<double>(), 0.0, 1e-6);

  auto student = torch::zeros({8, 3}, torch::requires_grad());
  const double before = distillation_loss(student, q, t).item<double>();
  EXPECT_GT(before, 0.01);
  torch::optim::SGD opt({student}, torch::optim::SGDOptions(8.0));
  for (int i = 0; i < 200; ++i) {
    opt.zero_grad();
    distillation_loss(student, q, t).backward();
    opt.step();
  }
  EXPECT_LT(distillation_loss(student, q, t).item<double>(), 0.01 * before);
  // At the teacher's temperature the student now gives the teacher's probabilities.
  EXPECT_TRUE(torch::allclose(F::softmax(student.detach() / t, 1), q, 1e-2, 1e-2));
}

// A student learns from a teacher published in the same store; the teacher
// is recorded, counts on --resume, and must fit the shards.
TEST(Training, DistillsFromATeacherTrainedOnTheSameSplit) {
  auto tt = fixture::tiny_training("teacher");
  tt.epochs = 1;
  const auto teacher = train(tt);

  auto plain = fixture::tiny_training("student-plain");
  plain.epochs = 2;
  const auto without = train(plain);

  auto st = fixture::tiny_training("student");
  st.epochs = 2;
  st.teacher = teacher["id"].get<std::string>().substr(0, 10);
  st.distill = 0.9;
  const auto with = train(st);
  EXPECT_EQ(with["teacher"]["id"], teacher["id"]);
  EXPECT_EQ(with["train"]["teacher"], teacher["id"]);
  EXPECT_NE(with["id"], without["id"]);  // the teacher's term changed the weights
  EXPECT_NE(with["history"][0]["train_loss"], without["history"][0]["train_loss"]);

  st.resume = true;
  st.distill = 0.5;
  try {
    train(st);
    FAIL() << "resumed with another --distill";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'distill'"), std::string::npos) << e.what();
  }

  // A teacher that trained on the validation crops cannot teach: validation
  // would then choose the student's epoch with knowledge of its own crops.
  auto leaky = fixture::tiny_training("teacher-leaky");
  leaky.epochs = 1;
  leaky.holdout = "none";
  const auto leaky_model = train(leaky);
  auto bad = fixture::tiny_training("student-bad");
  bad.teacher = leaky_model["id"];
  try {
    train(bad);
    FAIL() << "a teacher trained on the validation crops was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("validation"), std::string::npos) << e.what();
  }
  bad.teacher = "0123456789abcdef";
  EXPECT_THROW(train(bad), Error);
  bad.teacher = teacher["id"];
  bad.distill = 1.5;
  EXPECT_THROW(train(bad), Error);
}
