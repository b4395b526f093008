// The gallery's HTML page.

#include <filesystem>
#include <sstream>

#include "entries.h"
#include "soma/io/atomic_file.h"

namespace soma::gallery {

namespace {

std::string esc(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else if (c == '"')
            out += "&quot;";
        else
            out += c;
    }
    return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A figure's path relative to the page, so the folder can be moved or served as is.
std::string relative(const std::string& path, const std::string& out_dir) {
    std::error_code ec;
    auto rel = std::filesystem::relative(path, out_dir.empty() ? "." : out_dir, ec);
    return ec || rel.empty() ? path : rel.generic_string();
}

}  // namespace

void write_index(const std::string& out_dir, const std::vector<Report>& reports) {
    std::ostringstream o;
    o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<title>soma gallery</title>\n<style>\n"
      << "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1300px;margin:2em auto;"
      << "padding:0 1em;color:#222}\n"
      << "section{border-top:1px solid #ddd;padding-top:1em;margin-top:2em}\n"
      << ".slide{color:#555;font-style:italic}\n.summary{font-weight:bold}\n"
      << ".failed{color:#b00}\nimg{max-width:100%;border:1px solid #eee;margin:0.5em 0}\n"
      << "img.grid{image-rendering:pixelated;min-width:300px}\n"
      << "pre{background:#f6f6f6;padding:0.7em;overflow-x:auto;font-size:12px}\n"
      << "td{padding:0 1em 0 0}\n</style>\n</head>\n<body>\n"
      << "<h1>soma gallery</h1>\n<p>The examples of the lecture on artificial neural networks, "
      << "each reproduced with soma and tied to its slide.</p>\n<ul>\n";
    for (const Report& r : reports)
        o << "<li><a href=\"#" << esc(r.entry->name) << "\">" << esc(r.entry->name) << "</a> — "
          << esc(r.entry->slide) << (r.result.ok ? "" : " <span class=\"failed\">(failed)</span>")
          << "</li>\n";
    o << "</ul>\n";
    for (const Report& r : reports) {
        const Entry& e = *r.entry;
        o << "<section id=\"" << esc(e.name) << "\">\n<h2>" << esc(e.name) << "</h2>\n"
          << "<p class=\"slide\">Lecture slide: “" << esc(e.slide) << "”</p>\n"
          << "<p>" << esc(e.caption) << "</p>\n"
          << "<p class=\"summary" << (r.result.ok ? "" : " failed") << "\">"
          << esc(r.result.summary) << "</p>\n";
        for (const std::string& f : r.result.figures) {
            std::string href = esc(relative(f, out_dir));
            if (ends_with(f, ".svg"))
                o << "<div><img src=\"" << href << "\" alt=\"" << href << "\"></div>\n";
            else if (ends_with(f, ".png"))
                o << "<div><img class=\"grid\" src=\"" << href << "\" alt=\"" << href
                  << "\"></div>\n";
            else
                o << "<p>File: <a href=\"" << href << "\">" << href << "</a></p>\n";
        }
        if (!r.result.metrics.empty()) {
            o << "<table>";
            for (const auto& [name, value] : r.result.metrics)
                o << "<tr><td>" << esc(name) << "</td><td>" << strf("%.6g", value) << "</td></tr>";
            o << "</table>\n";
        }
        if (!r.log.empty())
            o << "<details open><summary>output</summary><pre>" << esc(r.log)
              << "</pre></details>\n";
        o << "</section>\n";
    }
    o << "</body>\n</html>\n";
    std::filesystem::create_directories(out_dir.empty() ? "." : out_dir);
    io::write_file_atomic((std::filesystem::path(out_dir) / "index.html").string(), o.str());
}

}  // namespace soma::gallery
