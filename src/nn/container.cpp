#include "soma/nn/container.h"

namespace soma::nn {

ModuleList::ModuleList(std::initializer_list<std::shared_ptr<Module>> modules)
    : ModuleList(std::vector<std::shared_ptr<Module>>(modules)) {}

ModuleList::ModuleList(std::vector<std::shared_ptr<Module>> modules) {
    for (auto& m : modules) push_back(std::move(m));
}

void ModuleList::push_back(std::shared_ptr<Module> module) {
    check(module != nullptr, type_name(), ": module ", modules_.size(), " is null");
    modules_.push_back(std::move(module));
}

const std::shared_ptr<Module>& ModuleList::ptr(std::int64_t i) const {
    const auto n = static_cast<std::int64_t>(modules_.size());
    check(i >= -n && i < n, type_name(), ": index ", i, " is out of range for ", n, " modules");
    return modules_[static_cast<std::size_t>(i < 0 ? i + n : i)];
}

Tensor Sequential::forward(const Tensor& x) {
    Tensor y = x;
    for (auto& m : modules_) y = (*m)(y);
    return y;
}

void ModuleList::visit(Visitor& v) {
    for (std::size_t i = 0; i < modules_.size(); ++i) v.module(std::to_string(i), *modules_[i]);
}

std::string Flatten::extra_repr() const {
    return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

Unflatten::Unflatten(std::vector<std::int64_t> sizes_) : sizes(std::move(sizes_)) {
    check(!sizes.empty(), "Unflatten: needs at least one size");
    for (std::int64_t s : sizes) check(s > 0, "Unflatten: sizes must be positive, got ", s);
}

Tensor Unflatten::forward(const Tensor& x) {
    std::int64_t n = 1;
    for (std::int64_t s : sizes) n *= s;
    check(x.dim() == 2 && x.size(1) == n, "Unflatten: expects (N, ", n, "), got ", x.shape());
    Shape out{x.size(0)};
    for (std::int64_t s : sizes) out.push_back(s);
    return x.reshape(out);
}

std::string Unflatten::extra_repr() const {
    std::string s = "sizes=(";
    for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
    return s + ")";
}

}  // namespace soma::nn
