// Creating tensors: constants, ranges, from data, and random.

#include <cmath>
#include <mutex>

#include "soma/tensor.h"

namespace soma {

Tensor full(const Shape& shape, double value, DType dtype) {
    Tensor t = Tensor::empty(shape, dtype);
    dispatch_all(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data<T>();
        const T v = static_cast<T>(value);
        for (std::int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = v;
    });
    return t;
}

Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, double value) { return full(t.shape(), value, t.dtype()); }
Tensor empty_like(const Tensor& t) { return Tensor::empty(t.shape(), t.dtype()); }
Tensor scalar_tensor(double value, DType dtype) { return full(Shape{}, value, dtype); }

Tensor arange(double end, DType dtype) { return arange(0, end, 1, dtype); }

Tensor arange(double start, double end, double step, DType dtype) {
    check(step != 0, "arange: step must be nonzero");
    check((end - start) / step >= 0 || start == end, "arange: step ", step,
          " has the wrong sign for the range [", start, ", ", end, ")");
    auto n = static_cast<std::int64_t>(std::ceil((end - start) / step));
    Tensor t = Tensor::empty({std::max<std::int64_t>(n, 0)}, dtype);
    dispatch_all(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data<T>();
        for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + i * step);
    });
    return t;
}

Tensor linspace(double start, double end, std::int64_t steps, DType dtype) {
    check(steps >= 0, "linspace: number of steps must be non-negative, got ", steps);
    Tensor t = Tensor::empty({steps}, dtype);
    dispatch_all(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data<T>();
        double h = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0;
        // Fill from both ends so that the last value is exactly `end`, as torch does.
        for (std::int64_t i = 0; i < steps; ++i)
            p[i] = static_cast<T>(steps == 1 || i < steps / 2 ? start + h * i
                                                              : end - h * (steps - 1 - i));
    });
    return t;
}

namespace {

template <class T>
Tensor from_values(const std::vector<T>& values, const Shape& shape, DType dtype, const char* op) {
    Shape s = shape.empty() && values.size() != 1 ? Shape{static_cast<std::int64_t>(values.size())}
                                                  : shape;
    if (shape.empty() && values.size() == 1) s = Shape{1};
    check(s.numel() == static_cast<std::int64_t>(values.size()), op, ": ", values.size(),
          " values do not fill shape ", s);
    Tensor t = Tensor::empty(s, dtype);
    dispatch_all(dtype, [&](auto tag) {
        using D = decltype(tag);
        D* p = t.data<D>();
        for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<D>(values[i]);
    });
    return t;
}

}  // namespace

Tensor from_vector(const std::vector<float>& values, const Shape& shape) {
    return from_values(values, shape, kFloat32, "from_vector");
}
Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype) {
    return from_values(values, shape, dtype, "from_vector");
}
Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape) {
    return from_values(values, shape, kInt64, "from_vector");
}

Tensor tensor(const std::vector<double>& values, DType dtype) {
    return from_values(values, {static_cast<std::int64_t>(values.size())}, dtype, "tensor");
}

Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, DType dtype) {
    std::vector<double> values;
    std::int64_t cols = rows.size() ? static_cast<std::int64_t>(rows.begin()->size()) : 0;
    for (const auto& r : rows) {
        check(static_cast<std::int64_t>(r.size()) == cols, "tensor: rows have different lengths (",
              cols, " and ", r.size(), ")");
        values.insert(values.end(), r.begin(), r.end());
    }
    return from_values(values, {static_cast<std::int64_t>(rows.size()), cols}, dtype, "tensor");
}

Tensor eye(std::int64_t n, DType dtype) {
    Tensor t = zeros({n, n}, dtype);
    dispatch_all(dtype, [&](auto tag) {
        using T = decltype(tag);
        for (std::int64_t i = 0; i < n; ++i) t.data<T>()[i * n + i] = T(1);
    });
    return t;
}

namespace {

Generator& pick(Generator* gen) { return gen ? *gen : default_generator(); }

// Holds the default generator's mutex when `gen` is null (the shared generator), once for a
// whole tensor so that the per-number loop stays lock-free; a caller's own generator is theirs.
std::unique_lock<std::mutex> lock_if_default(Generator* gen) {
    return gen ? std::unique_lock<std::mutex>()
               : std::unique_lock<std::mutex>(default_generator_mutex());
}

// Fills a fresh tensor with draw(generator) in row-major order.
template <class Draw>
Tensor random_fill(const Shape& shape, DType dtype, Generator* gen, Draw draw) {
    Tensor t = Tensor::empty(shape, dtype);
    auto lock = lock_if_default(gen);
    Generator& g = pick(gen);
    dispatch_all(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data<T>();
        for (std::int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<T>(draw(g));
    });
    return t;
}

void require_floating(DType dtype, const char* op) {
    check(is_floating(dtype), op, ": dtype must be floating, got ", dtype);
}

}  // namespace

Tensor rand(const Shape& shape, Generator* gen, DType dtype) {
    require_floating(dtype, "rand");
    if (dtype == kFloat32)
        return random_fill(shape, dtype, gen, [](Generator& g) { return g.uniform_float(); });
    return random_fill(shape, dtype, gen, [](Generator& g) { return g.uniform(); });
}

Tensor randn(const Shape& shape, Generator* gen, DType dtype) {
    require_floating(dtype, "randn");
    return random_fill(shape, dtype, gen, [](Generator& g) { return g.normal(); });
}

Tensor uniform(const Shape& shape, double low, double high, Generator* gen, DType dtype) {
    require_floating(dtype, "uniform");
    check(low <= high, "uniform: low ", low, " > high ", high);
    return random_fill(shape, dtype, gen,
                       [&](Generator& g) { return low + (high - low) * g.uniform(); });
}

Tensor normal(const Shape& shape, double mean, double std, Generator* gen, DType dtype) {
    require_floating(dtype, "normal");
    check(std >= 0, "normal: standard deviation must be non-negative, got ", std);
    return random_fill(shape, dtype, gen, [&](Generator& g) { return mean + std * g.normal(); });
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator* gen,
               DType dtype) {
    check(high > low, "randint: empty range [", low, ", ", high, ")");
    return random_fill(shape, dtype, gen, [&](Generator& g) { return g.randint(low, high); });
}

Tensor bernoulli(const Shape& shape, double p, Generator* gen, DType dtype) {
    check(p >= 0 && p <= 1, "bernoulli: probability must be in [0, 1], got ", p);
    return random_fill(shape, dtype, gen,
                       [&](Generator& g) { return g.uniform() < p ? 1.0 : 0.0; });
}

std::vector<std::int64_t> randperm(std::int64_t n, Generator* gen) {
    check(n >= 0, "randperm: n must be non-negative, got ", n);
    std::vector<std::int64_t> p(n);
    for (std::int64_t i = 0; i < n; ++i) p[i] = i;
    auto lock = lock_if_default(gen);
    Generator& g = pick(gen);
    for (std::int64_t i = n - 1; i > 0; --i)
        std::swap(p[i], p[g.randint(0, i + 1)]);  // Fisher-Yates
    return p;
}

}  // namespace soma
