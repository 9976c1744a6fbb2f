// Class balance in training: the loss weight of each class (--balance
// weights) and the order of examples in an epoch (a seeded permutation, or
// for --balance sampler a class-balanced draw with replacement).
#pragma once
#include <cstddef>
#include <vector>

#include "data/shard.h"
#include "maskwatch.h"

namespace mw {

// --balance-power as given, or the mode's default when negative.
double balance_power_of(const TrainOptions& o);

// Per-example weight of each class: (n_largest / n_k)^power, 0 for an absent class.
std::vector<double> class_balance(const Shard& s, double power);

// The loss weight of each class: class_balance for --balance weights, else 1.
std::vector<float> class_weights(const Shard& s, const TrainOptions& o);

// Indices of the examples of one epoch (as many as the shard holds), from
// o.seed and the epoch alone. Sampler: class k drawn with odds
// n_k * class_balance_k (at power 1, every class equally often).
std::vector<std::size_t> epoch_order(const TrainOptions& o, const Shard& s, int epoch);

}  // namespace mw
