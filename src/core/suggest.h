// "Did you mean ...?": the nearest of some names to a mistyped one.
#pragma once
#include <string>
#include <vector>

namespace mw {

// Edits (insert, delete, replace, swap two neighbours) that turn a into b.
std::size_t edit_distance(const std::string& a, const std::string& b);
// The candidate nearest to `word`, when it is near enough to be a typo of it
// (at most a third of its letters, and at least one edit, away); else "".
std::string nearest_name(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace mw
