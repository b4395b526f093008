#pragma once
// Differentiable operations on tensors. Names and semantics follow PyTorch.
// Broadcasting follows NumPy rules everywhere; both operands of a binary op must have the same
// dtype (soma does not promote silently). Every op throws soma::Error naming itself and the
// shapes involved on bad input.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "soma/autograd.h"
#include "soma/tensor.h"

namespace soma {

// ---- element-wise binary (broadcasting)
Tensor add(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, double b);
Tensor sub(double a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, double b);
Tensor div(double a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& exponent);
Tensor pow(const Tensor& a, double exponent);
Tensor pow(double base, const Tensor& exponent);
Tensor maximum(const Tensor& a, const Tensor& b);  // gradient split evenly on ties, like PyTorch
Tensor minimum(const Tensor& a, const Tensor& b);

// Comparisons: 1 where true, 0 where false, in the operands' dtype; never differentiable.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);
// a where cond != 0, else b (all three broadcast). Gradient flows to a and b, not cond.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

// ---- element-wise unary
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);   // gradient sign(x), 0 at 0
Tensor sign(const Tensor& x);  // zero gradient
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// Gaussian error linear unit, like torch.nn.functional.gelu: approximate "none" is x Phi(x) with
// Phi the standard normal CDF (erf), "tanh" is 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
// Differentiable twice.
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
// Heaviside step: 1 for x > 0, `at_zero` for x == 0, else 0; zero gradient everywhere.
Tensor heaviside(const Tensor& x, double at_zero = 1.0);
Tensor step(const Tensor& x);  // heaviside(x, 1): the binary neuron's y = [x >= 0]

// ---- reductions. `dims` empty = all dimensions. Negative dims count from the end.
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
// Variance with Bessel's correction by default (correction = 1), like torch.var.
Tensor var(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false,
           std::int64_t correction = 1);
Tensor max(const Tensor& x);  // over all elements; gradient split evenly among ties
Tensor min(const Tensor& x);
Tensor max(const Tensor& x, std::int64_t dim, bool keepdim = false);  // values; gradient to argmax
Tensor min(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);  // int64, first maximum
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x);  // index into the flattened tensor (0-dimensional int64)
Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);

// ---- softmax family (numerically stable)
Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);

// ---- linear algebra
// 1-D·1-D dot, 2-D matrix product, 1-D/2-D mixes, and batched products with broadcasting of
// batch dimensions, like torch.matmul. Transposed operands go to BLAS as flags, never copied.
Tensor matmul(const Tensor& a, const Tensor& b);
// x (*, in) W^T + b with W (out, in) and b (out) or undefined: torch.nn.functional.linear.
// One node and one GEMM (the bias rides in as its accumulator) instead of a product and a
// broadcast add; the backward gives dW in W's own layout and db as plain column sums.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ---- views (same as the Tensor methods)
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
Tensor permute(const Tensor& x, const Shape& dims);
Tensor expand(const Tensor& x, const Shape& shape);
Tensor squeeze(const Tensor& x, std::int64_t dim);
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);

// ---- joining and splitting
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
// Pieces of `split_size` along dim (the last may be smaller).
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes,
                          std::int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim = 0);

// ---- indexing. Index tensors are int64 (floating tensors holding whole numbers are accepted).
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
// out = self, then out[index[i][j]][j] += src[i][j] along dim (like torch.scatter_add).
Tensor scatter_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src);
// (..., ) int64 class indices -> (..., num_classes) of 0/1 in `dtype`; not differentiable.
Tensor one_hot(const Tensor& index, std::int64_t num_classes, DType dtype = kFloat32);
// Rows of `weight` (num, dim) picked by integer `index` of any shape -> (*index.shape, dim).
// Lookups of row `padding_idx` (negative counts from the end) contribute no gradient to it, as
// in torch.nn.functional.embedding.
Tensor embedding(const Tensor& weight, const Tensor& index,
                 std::optional<std::int64_t> padding_idx = std::nullopt);
// x * mask * scale, with mask a 0/1 tensor of x's shape (inverted dropout: scale = 1/(1-p)).
Tensor dropout_mask_apply(const Tensor& x, const Tensor& mask, double scale);
// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p);
// identity when !training or p == 0.
Tensor dropout(const Tensor& x, double p, bool training, Generator* gen = nullptr);

}  // namespace soma
