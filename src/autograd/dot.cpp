// Graphviz DOT export of the graph behind a tensor.

#include <sstream>
#include <unordered_map>

#include "soma/autograd.h"

namespace soma::autograd {

std::string to_dot(const Tensor& t) {
    std::ostringstream os;
    os << "digraph soma {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n";
    std::unordered_map<const void*, int> ids;
    auto id_of = [&](const void* p, bool& fresh) {
        auto [it, inserted] = ids.emplace(p, static_cast<int>(ids.size()));
        fresh = inserted;
        return it->second;
    };
    bool fresh = false;
    int root = id_of(t.impl(), fresh);
    os << "  n" << root << " [label=\"output " << t.shape() << "\", shape=ellipse, style=filled, "
       << "fillcolor=lightblue];\n";
    if (!t.grad_fn()) {
        os << "}\n";
        return os.str();
    }
    std::vector<Node*> stack{t.grad_fn().get()};
    int first = id_of(stack.back(), fresh);
    os << "  n" << first << " [label=\"" << stack.back()->name() << "\", shape=box];\n";
    os << "  n" << first << " -> n" << root << ";\n";
    while (!stack.empty()) {
        Node* n = stack.back();
        stack.pop_back();
        int nid = ids[n];
        for (const auto& e : n->edges) {
            if (e.fn) {
                int cid = id_of(e.fn.get(), fresh);
                if (fresh) {
                    os << "  n" << cid << " [label=\"" << e.fn->name() << "\", shape=box];\n";
                    stack.push_back(e.fn.get());
                }
                os << "  n" << cid << " -> n" << nid << " [label=\"" << e.shape << "\"];\n";
            } else if (e.leaf) {
                int lid = id_of(e.leaf.get(), fresh);
                if (fresh)
                    os << "  n" << lid << " [label=\"leaf " << e.shape
                       << "\", shape=ellipse, style=filled, fillcolor=lightgrey];\n";
                os << "  n" << lid << " -> n" << nid << ";\n";
            }
        }
    }
    os << "}\n";
    return os.str();
}

}  // namespace soma::autograd
