// The backward engine: finds the part of the graph that reaches the roots, runs each node once
// all of its consumers have contributed their gradient (dependency counting gives a topological
// order without sorting), reduces broadcast gradients to each input's shape, and accumulates.

#include <atomic>
#include <optional>
#include <unordered_map>

#include "autograd/accumulate.h"
#include "autograd/anomaly.h"
#include "soma/autograd.h"

namespace soma::autograd {
namespace {

thread_local bool g_grad_enabled = true;

struct Run {
    bool retain_graph = false;
    bool create_graph = false;
    // autograd::grad: where to put gradients instead of .grad (keyed by leaf impl or node).
    std::unordered_map<const void*, Tensor>* captures = nullptr;
};

void check_seed(const Tensor& root, const Tensor& g, const char* op) {
    check(root.requires_grad(), op,
          ": tensor does not require grad and has no grad_fn (nothing to differentiate)");
    if (!g.defined()) {
        check(root.numel() == 1, op,
              ": grad can be implicitly created only for a tensor with one "
              "element; got shape ",
              root.shape(), " (pass the gradient explicitly)");
        return;
    }
    check(g.shape() == root.shape(), op, ": gradient shape ", g.shape(),
          " does not match the tensor's shape ", root.shape());
    check(g.dtype() == root.dtype(), op, ": gradient dtype ", g.dtype(),
          " does not match the tensor's dtype ", root.dtype());
}

// Collects every node reachable from the roots and counts, for each, how many edges of the
// reachable graph point at it.
std::vector<Node*> discover(const std::vector<Node*>& roots) {
    std::vector<Node*> seen, stack;
    for (Node* r : roots) {
        if (r->pending_count == -1) continue;
        r->pending_count = -1;  // marks "seen" during discovery
        stack.push_back(r);
    }
    while (!stack.empty()) {
        Node* n = stack.back();
        stack.pop_back();
        seen.push_back(n);
        for (auto& e : n->edges) {
            Node* c = e.fn.get();
            if (!c || c->pending_count == -1) continue;
            c->pending_count = -1;
            stack.push_back(c);
        }
    }
    for (Node* n : seen) n->pending_count = 0;
    for (Node* n : seen)
        for (auto& e : n->edges)
            if (e.fn) ++e.fn->pending_count;
    return seen;
}

void deliver_to_leaf(const std::shared_ptr<TensorImpl>& leaf, Tensor g, const Run& run) {
    if (run.captures) {
        auto it = run.captures->find(leaf.get());
        if (it != run.captures->end())
            it->second = it->second.defined() ? accumulate(it->second, g) : g;
        return;
    }
    Tensor current = leaf->grad ? Tensor(leaf->grad) : Tensor();
    if (run.create_graph) {
        leaf->grad = (current.defined() ? accumulate(current, g) : g).impl_ptr();
    } else if (current.defined()) {
        accumulate_inplace(current, g);
    } else {
        leaf->grad = owned(std::move(g)).impl_ptr();
    }
}

// PyTorch's check: a tensor the closure saved must be as it was when saved.
void check_saved_versions(const Node& node, const Tensor& grad_output, const char* op) {
    auto stale = [&](const SavedVersion& s, std::uint64_t* now) {
        std::shared_ptr<Storage> storage = s.storage.lock();
        if (!storage) return false;
        *now = storage->version();
        return *now != s.version;
    };
    std::uint64_t now = 0;
    for (std::size_t i = 0; i < node.edges.size(); ++i) {
        const Node::Edge& e = node.edges[i];
        if (stale(e.saved, &now))
            fail(op,
                 ": a tensor needed for gradient computation has been modified by an "
                 "in-place operation: input ",
                 i, " of ", node.name(), " (shape ", e.shape, ", ", dtype_name(e.dtype),
                 ") is at version ", now, ", but was saved at version ", e.saved.version,
                 ". Find the in-place write (fill_, zero_, copy_, add_, mul_, "
                 "an init function) between the forward and backward pass, or clone() the "
                 "tensor before changing it");
    }
    if (stale(node.saved_output, &now))
        fail(op,
             ": a tensor needed for gradient computation has been modified by an in-place "
             "operation: the output of ",
             node.name(), " (shape ", grad_output.shape(), ", ", dtype_name(grad_output.dtype()),
             ") is at version ", now, ", but was saved at version ", node.saved_output.version,
             ". Find the in-place write (fill_, zero_, copy_, add_, mul_, an init function) "
             "between the forward and backward pass, or clone() the tensor before changing it");
}

void execute(const std::vector<Tensor>& roots, const std::vector<Tensor>& seeds, const Run& run,
             const char* op) {
    std::vector<Node*> root_nodes;
    for (const Tensor& r : roots)
        if (r.grad_fn()) root_nodes.push_back(r.grad_fn().get());
    std::vector<Node*> nodes = discover(root_nodes);
    // Keep every node alive for the duration, whatever the closures release.
    std::vector<std::shared_ptr<Node>> hold;

    std::vector<Node*> ready;
    for (std::size_t i = 0; i < roots.size(); ++i) {
        Tensor seed = seeds[i].defined() ? seeds[i] : ones_like(roots[i]);
        Node* n = roots[i].grad_fn().get();
        if (!n) {  // a leaf root: its gradient is the seed itself
            deliver_to_leaf(roots[i].impl_ptr(), seed, run);
            continue;
        }
        hold.push_back(roots[i].grad_fn());
        n->pending_grad = n->pending_grad.defined() ? accumulate(n->pending_grad, seed) : seed;
    }
    for (Node* n : root_nodes)
        if (n->pending_count == 0 && (ready.empty() || ready.back() != n)) ready.push_back(n);

    while (!ready.empty()) {
        Node* node = ready.back();
        ready.pop_back();
        Tensor g = std::move(node->pending_grad);
        node->pending_grad = Tensor();
        if (g.defined()) {
            if (auto out = node->retained.lock()) out->grad = owned(g).impl_ptr();
            if (run.captures) {
                auto it = run.captures->find(node);
                if (it != run.captures->end()) it->second = g;
            }
            if (node->released) {
                for (Node* n : nodes) n->pending_grad = Tensor();
                fail(op, ": trying to backward through the graph a second time (", node->name(),
                     "'s saved values were freed after the first backward); pass "
                     "retain_graph=true to the first backward");
            }
        }
        Grads grads;
        if (g.defined()) {
            try {
                check_saved_versions(*node, g, op);
            } catch (...) {
                for (Node* n : nodes) n->pending_grad = Tensor();
                throw;
            }
            bool was = grad_enabled();
            set_grad_enabled(run.create_graph);
            try {
                std::optional<detail::ForwardChecksOff> quiet;  // the node's result is checked
                if (is_anomaly_enabled()) quiet.emplace();
                grads = node->apply(g, node->needs);
            } catch (...) {
                set_grad_enabled(was);
                throw;
            }
            set_grad_enabled(was);
            check(grads.size() == node->edges.size(), node->name(), " returned ", grads.size(),
                  " gradients for ", node->edges.size(), " inputs");
            if (is_anomaly_enabled()) {
                try {
                    detail::check_backward_anomaly(*node, g, grads);
                } catch (...) {
                    for (Node* n : nodes) n->pending_grad = Tensor();
                    throw;
                }
            }
        }
        for (std::size_t i = 0; i < node->edges.size(); ++i) {
            Node::Edge& e = node->edges[i];
            Tensor gi = i < grads.size() ? std::move(grads[i]) : Tensor();
            if (gi.defined() && e.needs_grad()) {
                gi = reduce_to_shape(gi, e.shape, node->name());
                check(gi.dtype() == e.dtype, node->name(), ": gradient for input ", i,
                      " has dtype ", gi.dtype(), " but the input is ", e.dtype);
                if (e.fn) {
                    Tensor& p = e.fn->pending_grad;
                    p = p.defined() ? accumulate(p, gi) : gi;
                } else if (e.leaf) {
                    deliver_to_leaf(e.leaf, std::move(gi), run);
                }
            }
            if (e.fn && --e.fn->pending_count == 0) {
                hold.push_back(e.fn);
                ready.push_back(e.fn.get());
            }
        }
        if (!run.retain_graph && g.defined()) {
            node->release();
            node->released = true;
        }
    }
}

}  // namespace

bool grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool on) { g_grad_enabled = on; }

namespace detail {

bool any_requires_grad(const Tensor* inputs, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (inputs[i].defined() && inputs[i].impl()->requires_grad) return true;
    return false;
}

void attach(Tensor& out, const std::shared_ptr<Node>& node, const Tensor* inputs, std::size_t n,
            Saves saves) {
    node->edges.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const Tensor& t = inputs[i];
        if (!t.defined()) continue;
        Node::Edge& e = node->edges[i];
        e.shape = t.impl()->shape;
        e.dtype = t.impl()->dtype;
        // Inputs that need no gradient are checked too: `w * x` keeps x for w's gradient.
        if (i < 64 && ((saves.inputs >> i) & 1u))
            e.saved = {t.impl()->storage, t.impl()->storage->version()};
        if (!t.impl()->requires_grad) continue;
        if (t.impl()->grad_fn)
            e.fn = t.impl()->grad_fn;
        else
            e.leaf = t.impl_ptr();
        node->needs.set(i);
    }
    if (saves.output) node->saved_output = {out.impl()->storage, out.impl()->storage->version()};
    out.impl()->grad_fn = node;
    out.impl()->requires_grad = true;
}

}  // namespace detail

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
              bool retain_graph, bool create_graph) {
    check(grad_roots.empty() || grad_roots.size() == roots.size(), "backward: ", roots.size(),
          " tensors but ", grad_roots.size(), " gradients");
    std::vector<Tensor> seeds(roots.size());
    for (std::size_t i = 0; i < roots.size(); ++i) {
        if (!grad_roots.empty()) seeds[i] = grad_roots[i];
        check_seed(roots[i], seeds[i], "backward");
    }
    Run run;
    run.retain_graph = retain_graph || create_graph;
    run.create_graph = create_graph;
    execute(roots, seeds, run, "backward");
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool create_graph, bool allow_unused) {
    check(grad_outputs.empty() || grad_outputs.size() == outputs.size(), "grad: ", outputs.size(),
          " outputs but ", grad_outputs.size(), " gradients");
    std::vector<Tensor> seeds(outputs.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        if (!grad_outputs.empty()) seeds[i] = grad_outputs[i];
        check_seed(outputs[i], seeds[i], "grad");
    }
    std::unordered_map<const void*, Tensor> captures;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        check(inputs[i].requires_grad(), "grad: input ", i, " does not require grad");
        const void* key = inputs[i].is_leaf() ? static_cast<const void*>(inputs[i].impl())
                                              : static_cast<const void*>(inputs[i].grad_fn().get());
        captures.emplace(key, Tensor());
    }
    Run run;
    run.retain_graph = retain_graph || create_graph;
    run.create_graph = create_graph;
    run.captures = &captures;
    execute(outputs, seeds, run, "grad");
    std::vector<Tensor> result;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const void* key = inputs[i].is_leaf() ? static_cast<const void*>(inputs[i].impl())
                                              : static_cast<const void*>(inputs[i].grad_fn().get());
        Tensor g = captures[key];
        check(g.defined() || allow_unused, "grad: input ", i,
              " was not used to compute the outputs (pass allow_unused=true to get an undefined "
              "gradient instead)");
        result.push_back(g);
    }
    return result;
}

}  // namespace soma::autograd
