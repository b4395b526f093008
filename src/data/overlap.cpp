#include "soma/data/overlap.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "soma/autograd.h"
#include "soma/ops.h"
#include "soma/random.h"

namespace soma::data {
namespace {

constexpr std::int64_t kProjection = 32;  // dimensions of the random projection
constexpr std::int64_t kBlock = 256;      // test rows per block of the distance product
// The projected squared distance over the true one follows chi-square(32) / 32: above 2.5 with
// probability ~1e-5, so candidates within 2.5x the squared radius miss almost no near pair.
constexpr double kCandidateFactor = 2.5;

std::string_view row_bytes(const float* p, std::int64_t d) {
    return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(d) * sizeof(float)};
}

// Squared Euclidean norm of each row of (n, k).
std::vector<double> row_norms(const Tensor& x) {
    const std::int64_t n = x.size(0), k = x.size(1);
    const float* p = x.data<float>();
    std::vector<double> out(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        double s = 0;
        for (std::int64_t j = 0; j < k; ++j) s += double(p[i * k + j]) * p[i * k + j];
        out[static_cast<std::size_t>(i)] = s;
    }
    return out;
}

double squared_distance(const float* a, const float* b, std::int64_t d) {
    double s = 0;
    for (std::int64_t j = 0; j < d; ++j) {
        const double diff = double(a[j]) - b[j];
        s += diff * diff;
    }
    return s;
}

}  // namespace

Overlap find_overlap(const Tensor& train, const Tensor& test, double tolerance) {
    check(train.dim() >= 1 && test.dim() >= 1,
          "find_overlap: train and test need a batch dimension");
    check(train.dim() == test.dim() &&
              std::equal(train.shape().begin() + 1, train.shape().end(), test.shape().begin() + 1),
          "find_overlap: train examples are ", train.shape(), " but test examples are ",
          test.shape());
    check(train.dtype() == kFloat32 || train.dtype() == kFloat64,
          "find_overlap: inputs must be float32 or float64, got ", train.dtype());
    check(tolerance >= 0, "find_overlap: tolerance must be >= 0, got ", tolerance);
    NoGrad no_grad;
    const std::int64_t n = train.size(0), m = test.size(0);
    Overlap out;
    if (n == 0 || m == 0) return out;
    const Tensor a = train.reshape({n, -1}).to(kFloat32).contiguous();
    const Tensor b = test.reshape({m, -1}).to(kFloat32).contiguous();
    const std::int64_t d = a.size(1);
    const float* pa = a.data<float>();
    const float* pb = b.data<float>();

    std::unordered_multimap<std::string_view, std::int64_t> exact_rows;
    exact_rows.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) exact_rows.emplace(row_bytes(pa + i * d, d), i);

    Generator gen(0x0DE71A9ULL);
    std::vector<float> proj(static_cast<std::size_t>(d * kProjection));
    for (float& v : proj) v = static_cast<float>(gen.normal() / std::sqrt(double(kProjection)));
    const Tensor p = from_vector(proj, {d, kProjection});
    const Tensor pa_proj = matmul(a, p).contiguous();  // (n, 32)
    const Tensor pb_proj = matmul(b, p).contiguous();  // (m, 32)
    const std::vector<double> na = row_norms(pa_proj), nb = row_norms(pb_proj);
    const Tensor pa_t = pa_proj.t().contiguous();  // (32, n)
    const double radius2 = tolerance * tolerance * double(d);

    for (std::int64_t start = 0; start < m; start += kBlock) {
        const std::int64_t rows = std::min(kBlock, m - start);
        const Tensor dots = matmul(pb_proj.narrow(0, start, rows), pa_t).contiguous();  // (rows, n)
        const float* pd = dots.data<float>();
        for (std::int64_t r = 0; r < rows; ++r) {
            const std::int64_t t = start + r;
            const float* row = pb + t * d;
            bool is_exact = false;
            auto [lo, hi] = exact_rows.equal_range(row_bytes(row, d));
            for (auto it = lo; it != hi && !is_exact; ++it) is_exact = true;
            bool is_near = is_exact;
            for (std::int64_t i = 0; i < n && !is_near; ++i) {
                const double proj2 = nb[static_cast<std::size_t>(t)] +
                                     na[static_cast<std::size_t>(i)] - 2.0 * pd[r * n + i];
                if (proj2 <=
                    kCandidateFactor * radius2 + 1e-6 * (1 + nb[static_cast<std::size_t>(t)]))
                    is_near = squared_distance(row, pa + i * d, d) <= radius2;
            }
            out.exact += is_exact;
            if (is_near) {
                ++out.near;
                out.test_indices.push_back(t);
            }
        }
    }
    return out;
}

}  // namespace soma::data
