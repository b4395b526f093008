// Run settings to and from checkpoint metadata, and the --resume rule.

#include "soma/train/settings.h"

#include <charconv>
#include <cstdio>
#include <system_error>

#include "soma/error.h"

namespace soma::train {

namespace {

std::string text(const std::string& v) { return v; }
std::string text(std::int64_t v) { return std::to_string(v); }
std::string text(std::uint64_t v) { return std::to_string(v); }
std::string text(bool v) { return v ? "1" : "0"; }
std::string text(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// Strict parsing: the whole string, nothing else.
template <class T>
bool parse_number(const std::string& s, T& out) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}
bool parse(const std::string& s, std::string& out) { return out = s, true; }
bool parse(const std::string& s, std::int64_t& out) { return parse_number(s, out); }
bool parse(const std::string& s, std::uint64_t& out) { return parse_number(s, out); }
bool parse(const std::string& s, double& out) { return parse_number(s, out); }
bool parse(const std::string& s, bool& out) {
    if (s != "0" && s != "1") return false;
    return out = s == "1", true;
}

// One visitor does every job: the action decides what happens to each field.
class Walker : public FieldVisitor {
public:
    enum class Job { Write, Read, Names, Resume };
    Walker(Job job, io::Metadata* m, const std::string& source = "",
           const std::set<std::string>* given = nullptr)
        : job_(job), m_(m), source_(source), given_(given) {}

    void field(const char* n, std::string& v, Field k) override { visit(n, v, k); }
    void field(const char* n, std::int64_t& v, Field k) override { visit(n, v, k); }
    void field(const char* n, std::uint64_t& v, Field k) override { visit(n, v, k); }
    void field(const char* n, double& v, Field k) override { visit(n, v, k); }
    void field(const char* n, bool& v, Field k) override { visit(n, v, k); }

    std::vector<std::string> names;

private:
    template <class T>
    void visit(const char* name, T& v, Field kind) {
        switch (job_) {
            case Job::Write:
                (*m_)[name] = text(v);
                return;
            case Job::Names:
                names.push_back(name);
                return;
            case Job::Read:
                read(name, v);
                return;
            case Job::Resume:
                if (kind == Field::MayChange) return;
                T saved{};
                read(name, saved);
                check(!given_->count(name) || saved == v, "--resume: ", source_,
                      " was trained with ", name, " = ", text(saved), ", but ", text(v),
                      " was given; drop that option to continue the run, or start a new run "
                      "without --resume");
                v = saved;
                return;
        }
    }
    template <class T>
    void read(const char* name, T& v) const {
        auto it = m_->find(name);
        check(it != m_->end(), source_, ": the run settings lack '", name, "'");
        check(parse(it->second, v), source_, ": setting '", name, "' has an invalid value '",
              it->second, "'");
    }

    Job job_;
    io::Metadata* m_;
    const std::string& source_;
    const std::set<std::string>* given_;
};

}  // namespace

io::Metadata to_metadata(const DeclareFields& s) {
    io::Metadata m;
    Walker w(Walker::Job::Write, &m);
    s(w);
    return m;
}

void from_metadata(const DeclareFields& s, const io::Metadata& m, const std::string& source) {
    io::Metadata copy = m;
    Walker w(Walker::Job::Read, &copy, source);
    s(w);
}

std::vector<std::string> field_names(const DeclareFields& s) {
    Walker w(Walker::Job::Names, nullptr);
    s(w);
    return w.names;
}

void resolve_resumed(const DeclareFields& s, const io::Metadata& saved,
                     const std::set<std::string>& given, const std::string& source) {
    io::Metadata copy = saved;
    Walker w(Walker::Job::Resume, &copy, source, &given);
    s(w);
}

std::set<std::string> differing_fields(const DeclareFields& a, const DeclareFields& b) {
    const io::Metadata ma = to_metadata(a), mb = to_metadata(b);
    std::set<std::string> out;
    for (const auto& [k, v] : ma) {
        auto it = mb.find(k);
        if (it == mb.end() || it->second != v) out.insert(k);
    }
    return out;
}

}  // namespace soma::train
