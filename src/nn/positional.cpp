#include "soma/nn/positional.h"

#include <cmath>
#include <sstream>
#include <vector>

#include "soma/ops.h"

namespace soma::nn {

namespace {

void check_options(const PositionalEncodingOptions& o, const char* name) {
    check(o.d_model > 0, name, ": d_model must be positive, got ", o.d_model);
    check(o.max_len > 0, name, ": max_len must be positive, got ", o.max_len);
    check(o.dropout >= 0 && o.dropout <= 1, name, ": dropout must be in [0, 1], got ", o.dropout);
}

void check_input(const Tensor& x, const PositionalEncodingOptions& o, const std::string& name) {
    check(x.defined(), name, ": undefined input");
    check(x.dim() == 3 && x.shape()[2] == o.d_model, name, ": expected input (N, L, ", o.d_model,
          ") (batch first, d_model=", o.d_model, "), got ", x.shape());
    check(x.shape()[1] <= o.max_len, name, ": sequence length ", x.shape()[1],
          " exceeds max_len=", o.max_len);
}

std::string repr(const PositionalEncodingOptions& o) {
    std::ostringstream s;
    s << "d_model=" << o.d_model << ", max_len=" << o.max_len << ", dropout=" << o.dropout;
    return s.str();
}

}  // namespace

// Computed in double, so that far positions keep their phase in the float32 table.
Tensor sinusoidal_table(std::int64_t max_len, std::int64_t d_model, DType dtype) {
    std::vector<double> t(max_len * d_model);
    for (std::int64_t i = 0; i < d_model; ++i) {
        // Columns 2k and 2k + 1 share the frequency 10000^(-2k / d_model).
        const double freq = std::exp(-std::log(10000.0) * static_cast<double>(i - i % 2) /
                                     static_cast<double>(d_model));
        for (std::int64_t p = 0; p < max_len; ++p) {
            const double a = static_cast<double>(p) * freq;
            t[p * d_model + i] = i % 2 == 0 ? std::sin(a) : std::cos(a);
        }
    }
    return from_vector(t, {max_len, d_model}, dtype);
}

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(PositionalEncodingOptions o)
    : options_(o) {
    check_options(o, "SinusoidalPositionalEncoding");
    pe = sinusoidal_table(o.max_len, o.d_model);
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x) {
    check_input(x, options_, type_name());
    check(pe.dtype() == x.dtype(), type_name(), ": input is ", x.dtype(), " but pe is ", pe.dtype(),
          " (convert the module with .to())");
    // x: (N, L, E) + pe[:L]: (L, E) broadcast over N
    Tensor y = x + pe.narrow(0, 0, x.shape()[1]);
    return dropout(y, options_.dropout, is_training(), options_.gen);
}

std::string SinusoidalPositionalEncoding::extra_repr() const { return repr(options_); }

LearnedPositionalEncoding::LearnedPositionalEncoding(PositionalEncodingOptions o)
    : embedding((
          check_options(o, "LearnedPositionalEncoding"),
          EmbeddingOptions{.num_embeddings = o.max_len, .embedding_dim = o.d_model, .gen = o.gen})),
      options_(o) {}

Tensor LearnedPositionalEncoding::forward(const Tensor& x) {
    check_input(x, options_, type_name());
    // positions 0 .. L-1 -> (L, E), broadcast over N
    Tensor pos = embedding.forward(arange(static_cast<double>(x.shape()[1]), kInt64));
    return dropout(x + pos, options_.dropout, is_training(), options_.gen);
}

std::string LearnedPositionalEncoding::extra_repr() const { return repr(options_); }

}  // namespace soma::nn
