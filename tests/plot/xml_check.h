#pragma once
// A strict little XML reader for the SVG tests: enough of XML 1.0 to reject what a browser
// would (unbalanced or misnested tags, unquoted or duplicate attributes, bare '&' or '<' in
// text), and a tree to make structural checks on. No DTDs, CDATA or namespaces processing.

#include <cctype>
#include <map>
#include <string>
#include <vector>

namespace soma::test {

struct XmlNode {
    std::string name;
    std::map<std::string, std::string> attrs;
    std::vector<XmlNode> children;
    std::string text;  // character data directly inside, entities left as written

    // Every descendant (and this node) with that element name, in document order.
    void find_all(const std::string& tag, std::vector<const XmlNode*>& out) const {
        if (name == tag) out.push_back(this);
        for (const XmlNode& c : children) c.find_all(tag, out);
    }
    std::vector<const XmlNode*> all(const std::string& tag) const {
        std::vector<const XmlNode*> out;
        find_all(tag, out);
        return out;
    }
    // The text of this node and its descendants, concatenated.
    std::string all_text() const {
        std::string s = text;
        for (const XmlNode& c : children) s += c.all_text();
        return s;
    }
};

class XmlParser {
public:
    explicit XmlParser(const std::string& s) : s_(s) {}

    // The root element, or an empty node with error() set.
    XmlNode parse() {
        skip_space();
        if (s_.compare(i_, 5, "<?xml") == 0) {
            std::size_t end = s_.find("?>", i_);
            if (end == std::string::npos) return fail("unterminated XML declaration");
            i_ = end + 2;
        }
        skip_space();
        XmlNode root = element();
        skip_space();
        if (error_.empty() && i_ != s_.size()) return fail("content after the root element");
        return root;
    }
    const std::string& error() const { return error_; }

private:
    XmlNode fail(const std::string& what) {
        if (error_.empty()) error_ = what + " at offset " + std::to_string(i_);
        return {};
    }
    void skip_space() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    std::string name() {
        std::size_t start = i_;
        while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) ||
                                  s_[i_] == ':' || s_[i_] == '-' || s_[i_] == '_' || s_[i_] == '.'))
            ++i_;
        return s_.substr(start, i_ - start);
    }
    bool entities_ok(const std::string& t) {
        for (std::size_t k = 0; k < t.size(); ++k) {
            if (t[k] == '<') return false;
            if (t[k] != '&') continue;
            std::size_t semi = t.find(';', k);
            if (semi == std::string::npos) return false;
            std::string ent = t.substr(k + 1, semi - k - 1);
            if (ent != "amp" && ent != "lt" && ent != "gt" && ent != "quot" && ent != "apos" &&
                !(ent.size() > 1 && ent[0] == '#'))
                return false;
        }
        return true;
    }
    XmlNode element() {
        if (i_ >= s_.size() || s_[i_] != '<') return fail("expected '<'");
        ++i_;
        XmlNode node;
        node.name = name();
        if (node.name.empty()) return fail("empty element name");
        for (;;) {
            skip_space();
            if (i_ >= s_.size()) return fail("unterminated tag <" + node.name);
            if (s_.compare(i_, 2, "/>") == 0) {
                i_ += 2;
                return node;
            }
            if (s_[i_] == '>') {
                ++i_;
                break;
            }
            std::string attr = name();
            if (attr.empty()) return fail("bad attribute in <" + node.name);
            skip_space();
            if (i_ >= s_.size() || s_[i_] != '=') return fail("attribute without '='");
            ++i_;
            skip_space();
            if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) return fail("unquoted value");
            char quote = s_[i_++];
            std::size_t end = s_.find(quote, i_);
            if (end == std::string::npos) return fail("unterminated attribute value");
            std::string value = s_.substr(i_, end - i_);
            if (!entities_ok(value)) return fail("bad character or entity in attribute " + attr);
            if (!node.attrs.emplace(attr, value).second) return fail("duplicate attribute " + attr);
            i_ = end + 1;
        }
        for (;;) {  // content
            std::size_t lt = s_.find('<', i_);
            if (lt == std::string::npos) return fail("unterminated element <" + node.name);
            std::string text = s_.substr(i_, lt - i_);
            if (!entities_ok(text)) return fail("bad character or entity in text");
            node.text += text;
            i_ = lt;
            if (s_.compare(i_, 2, "</") == 0) {
                i_ += 2;
                if (name() != node.name) return fail("mismatched end tag for <" + node.name);
                skip_space();
                if (i_ >= s_.size() || s_[i_] != '>') return fail("bad end tag");
                ++i_;
                return node;
            }
            node.children.push_back(element());
            if (!error_.empty()) return {};
        }
    }

    const std::string& s_;
    std::size_t i_ = 0;
    std::string error_;
};

}  // namespace soma::test
