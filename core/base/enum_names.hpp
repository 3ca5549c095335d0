#pragma once
// One table per enumeration maps its values to the names that configurations, flags, checkpoints
// and the page use, and back. The first entry of each value is its name; later entries with the
// same value are aliases that reading accepts (diffusers' "squaredcos_cap_v2" for cosine, say).
//
//   inline const EnumNames<SamplerKind> sampler_kinds{"sampler", {{SamplerKind::ddpm, "ddpm"},
//                                                                 {SamplerKind::ddim, "ddim"}}};
//   sampler_kinds.value("ddim")  -> SamplerKind::ddim; "dpm" throws
//                                   Error("unknown sampler 'dpm': allowed are ddpm, ddim")
//   sampler_kinds.name(SamplerKind::ddpm) -> "ddpm"
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace diffuse {

template <typename Enum>
class EnumNames {
 public:
  struct Entry {
    Enum value;
    const char* name;
  };

  // what: how messages call the enumeration ("sampler", "learning-rate schedule").
  EnumNames(const char* what, std::vector<Entry> entries)
      : what_(what), entries_(std::move(entries)) {}

  Enum value(std::string_view name) const {
    for (const Entry& e : entries_) {
      if (name == e.name) return e.value;
    }
    fail("unknown ", what_, " '", name, "': allowed are ", allowed());
  }

  std::string name(Enum value) const {
    for (const Entry& e : entries_) {
      if (e.value == value) return e.name;
    }
    fail("unknown ", what_, " ", static_cast<long long>(value), ": allowed are ", allowed());
  }

  // The names, one per value (aliases left out), in table order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (is_first(i)) out.push_back(entries_[i].name);
    }
    return out;
  }

  // "ddpm, ddim" (or with another separator, " | " for help texts).
  std::string allowed(const char* separator = ", ") const {
    std::string out;
    for (const std::string& n : names()) out += (out.empty() ? "" : separator) + n;
    return out;
  }

  const char* what() const { return what_; }

 private:
  bool is_first(std::size_t i) const {
    for (std::size_t j = 0; j < i; ++j) {
      if (entries_[j].value == entries_[i].value) return false;
    }
    return true;
  }

  const char* what_;
  std::vector<Entry> entries_;
};

}  // namespace diffuse
