// Timestep spacings (diffusion/timestep_spacing.hpp) against lists computed independently with
// numpy 1.24 from docs/reference-workload.md's formulas (diffusers' expressions), e.g.
//   (np.arange(0, K) * (T // K)).round()[::-1]            leading
//   (np.round(np.arange(T, 0, -T / K)) - 1)[:K]           trailing
//   np.linspace(0, T - 1, K).round()[::-1]                linspace
// and written here literally.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "diffusion/timestep_spacing.hpp"

using namespace diffuse;
using List = std::vector<int>;

namespace {

List make(TimestepSpacing s, int T, int K) { return timestep_spacing_make(s, T, K); }

}  // namespace

TEST_CASE("spacings equal numpy's lists for small T, including round-half-to-even ties") {
  // T = 10, K = 4: trailing passes through 7.5 and 2.5, which numpy rounds to 8 and 2.
  CHECK(make(TimestepSpacing::leading, 10, 4) == List{6, 4, 2, 0});
  CHECK(make(TimestepSpacing::trailing, 10, 4) == List{9, 7, 4, 1});
  CHECK(make(TimestepSpacing::linspace, 10, 4) == List{9, 6, 3, 0});
  CHECK(make(TimestepSpacing::leading, 10, 3) == List{6, 3, 0});
  CHECK(make(TimestepSpacing::trailing, 10, 3) == List{9, 6, 2});
  CHECK(make(TimestepSpacing::linspace, 10, 3) == List{9, 4, 0});
  CHECK(make(TimestepSpacing::leading, 20, 6) == List{15, 12, 9, 6, 3, 0});
  CHECK(make(TimestepSpacing::trailing, 20, 6) == List{19, 16, 12, 9, 6, 2});
  CHECK(make(TimestepSpacing::linspace, 20, 6) == List{19, 15, 11, 8, 4, 0});
  for (auto s : {TimestepSpacing::leading, TimestepSpacing::trailing, TimestepSpacing::linspace}) {
    CHECK(make(s, 7, 7) == List{6, 5, 4, 3, 2, 1, 0});
  }
  CHECK(make(TimestepSpacing::leading, 7, 1) == List{0});
  CHECK(make(TimestepSpacing::trailing, 7, 1) == List{6});
  CHECK(make(TimestepSpacing::linspace, 7, 1) == List{0});
}

TEST_CASE("spacings equal numpy's lists for T = 1000") {
  CHECK(make(TimestepSpacing::trailing, 1000, 1) == List{999});
  CHECK(make(TimestepSpacing::leading, 1000, 3) == List{666, 333, 0});
  CHECK(make(TimestepSpacing::trailing, 1000, 3) == List{999, 666, 332});
  CHECK(make(TimestepSpacing::linspace, 1000, 3) == List{999, 500, 0});
  CHECK(make(TimestepSpacing::leading, 1000, 7) == List{852, 710, 568, 426, 284, 142, 0});
  CHECK(make(TimestepSpacing::trailing, 1000, 7) == List{999, 856, 713, 570, 428, 285, 142});
  CHECK(make(TimestepSpacing::linspace, 1000, 7) == List{999, 832, 666, 500, 333, 166, 0});
  const List linspace50 = {999, 979, 958, 938, 917, 897, 877, 856, 836, 816, 795, 775, 754,
                           734, 714, 693, 673, 652, 632, 612, 591, 571, 550, 530, 510, 489,
                           469, 449, 428, 408, 387, 367, 347, 326, 306, 285, 265, 245, 224,
                           204, 183, 163, 143, 122, 102, 82,  61,  41,  20,  0};
  CHECK(make(TimestepSpacing::linspace, 1000, 50) == linspace50);
  List trailing50, leading50;
  for (int k = 0; k < 50; ++k) {
    trailing50.push_back(999 - 20 * k);
    leading50.push_back(980 - 20 * k);
  }
  CHECK(make(TimestepSpacing::trailing, 1000, 50) == trailing50);
  CHECK(make(TimestepSpacing::leading, 1000, 50) == leading50);
}

TEST_CASE("trailing keeps K values where np.arange returns K + 1 (diffusers would add t = -1)") {
  // np.arange(50, 0, -50 / 29) has 30 elements, the last ~1e-14; the formula's K = 29 are these.
  CHECK(make(TimestepSpacing::trailing, 50, 29) ==
        List{49, 47, 46, 44, 42, 40, 39, 37, 35, 33, 32, 30, 28, 27, 25,
             23, 21, 20, 18, 16, 15, 13, 11, 9,  8,  6,  4,  2,  1});
  const List trailing61 = {999, 983, 966, 950, 933, 917, 901, 884, 868, 851, 835, 819, 802, 786,
                           769, 753, 737, 720, 704, 688, 671, 655, 638, 622, 606, 589, 573, 556,
                           540, 524, 507, 491, 474, 458, 442, 425, 409, 392, 376, 360, 343, 327,
                           310, 294, 278, 261, 245, 229, 212, 196, 179, 163, 147, 130, 114, 97,
                           81,  65,  48,  32,  15};
  CHECK(make(TimestepSpacing::trailing, 1000, 61) == trailing61);
}

TEST_CASE("every spacing gives K distinct descending steps in range, for every K") {
  for (int T : {2, 10, 37, 1000}) {
    for (auto s :
         {TimestepSpacing::leading, TimestepSpacing::trailing, TimestepSpacing::linspace}) {
      for (int K = 1; K <= T; ++K) {
        const List list = make(s, T, K);
        REQUIRE(int(list.size()) == K);
        CHECK(list.front() < T);
        CHECK(list.back() >= 0);
        for (int k = 1; k < K; ++k) REQUIRE(list[k] < list[k - 1]);
        if (s == TimestepSpacing::trailing) CHECK(list.front() == T - 1);
        if (s != TimestepSpacing::trailing) CHECK(list.back() == 0);
        if (s == TimestepSpacing::linspace && K > 1) CHECK(list.front() == T - 1);
      }
    }
  }
}

TEST_CASE("spacing names round-trip and invalid requests are rejected with the value named") {
  for (const std::string& name : timestep_spacings.names()) {
    CHECK(timestep_spacings.name(timestep_spacings.value(name)) == name);
  }
  CHECK_THROWS_WITH(timestep_spacings.value("uniform"),
                    Catch::Contains("'uniform'") && Catch::Contains("leading, trailing, linspace"));
  CHECK_THROWS_WITH(make(TimestepSpacing::trailing, 1000, 0), Catch::Contains("steps = 0"));
  CHECK_THROWS_WITH(make(TimestepSpacing::leading, 1000, 1001),
                    Catch::Contains("steps = 1001") && Catch::Contains("[1, 1000]"));
  CHECK_THROWS_AS(make(TimestepSpacing::linspace, 0, 1), Error);
}
