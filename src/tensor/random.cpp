#include "soma/random.h"

#include <cmath>

#include "soma/error.h"

namespace soma {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Generator::Generator(std::uint64_t s) { seed(s); }

void Generator::seed(std::uint64_t s) {
    for (auto& word : s_) word = splitmix64(s);
    has_spare_ = false;
}

std::uint64_t Generator::next_u64() {
    std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double Generator::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

float Generator::uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

double Generator::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
    double u2 = uniform();
    double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
}

std::int64_t Generator::randint(std::int64_t low, std::int64_t high) {
    check(high > low, "randint: empty range [", low, ", ", high, ")");
    auto range = static_cast<std::uint64_t>(high - low);
    // Rejection sampling removes the modulo bias.
    std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    std::uint64_t x;
    do x = next_u64();
    while (x >= limit);
    return low + static_cast<std::int64_t>(x % range);
}

void Generator::set_state(const State& st) {
    s_ = st.s;
    has_spare_ = st.has_spare;
    spare_ = st.spare;
}

Generator& default_generator() {
    static Generator g(5489);
    return g;
}

std::mutex& default_generator_mutex() {
    static std::mutex m;
    return m;
}

void manual_seed(std::uint64_t seed) {
    std::lock_guard<std::mutex> lock(default_generator_mutex());
    default_generator().seed(seed);
}

}  // namespace soma
