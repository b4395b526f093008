// Reading CSV files with a header row into text fields (data/table.h).

#include <memory>
#include <set>

#include "data/text_file.h"
#include "soma/data/table.h"
#include "soma/error.h"

namespace soma::data {

namespace {

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return std::string(s);
}

// One record's fields, RFC 4180 style: a field that starts with a quote runs to the matching
// quote ("" inside is one quote) and may hold delimiters. A newline inside quotes is not
// supported (rows are lines), so an unterminated quote is an error.
std::vector<std::string> split_record(std::string_view line, char delimiter,
                                      const std::string& where) {
    std::vector<std::string> fields;
    std::size_t i = 0;
    for (;;) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t') && line[i] != delimiter) ++i;
        std::string field;
        if (i < line.size() && line[i] == '"') {
            std::size_t j = i + 1;
            for (;; ++j) {
                check(j < line.size(), where, ": unterminated quoted field");
                if (line[j] != '"') {
                    field += line[j];
                } else if (j + 1 < line.size() && line[j + 1] == '"') {
                    field += '"';
                    ++j;
                } else {
                    break;
                }
            }
            i = j + 1;
            std::size_t end = line.find(delimiter, i);
            std::string rest = trim(line.substr(i, end == std::string_view::npos ? end : end - i));
            check(rest.empty(), where, ": text after a closing quote: '", rest, "'");
            fields.push_back(field);
            if (end == std::string_view::npos) break;
            i = end + 1;
        } else {
            std::size_t end = line.find(delimiter, i);
            fields.push_back(trim(line.substr(i, end == std::string_view::npos ? end : end - i)));
            if (end == std::string_view::npos) break;
            i = end + 1;
        }
    }
    return fields;
}

}  // namespace

std::int64_t TextTable::find(const std::string& name) const {
    for (std::size_t c = 0; c < columns.size(); ++c)
        if (columns[c] == name) return static_cast<std::int64_t>(c);
    return -1;
}

TextTable parse_table(const std::string& text, const std::string& name, char delimiter) {
    check(delimiter != '"' && delimiter != '\n', "read_table: bad delimiter '", delimiter, "'");
    TextTable table;
    table.source = name;
    std::string_view rest = text;
    // Spreadsheets often write a UTF-8 byte order mark; it is not part of the first name.
    if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
    std::int64_t line_no = 0;
    bool header = true;
    while (!rest.empty()) {
        const std::size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        ++line_no;
        if (trim(line).empty()) continue;
        const std::string where = name + ":" + std::to_string(line_no);
        std::vector<std::string> fields = split_record(line, delimiter, where);
        if (header) {
            std::set<std::string> seen;
            for (std::size_t c = 0; c < fields.size(); ++c) {
                check(!fields[c].empty(), where, ": header: column ", c + 1, " has no name");
                check(seen.insert(fields[c]).second, where, ": header: column name '", fields[c],
                      "' appears twice");
            }
            table.columns = std::move(fields);
            header = false;
            continue;
        }
        check(fields.size() == table.columns.size(), where, ": ", fields.size(),
              " fields, expected ", table.columns.size(), " (as in the header)");
        table.rows.push_back(std::move(fields));
        table.lines.push_back(line_no);
    }
    check(!header, name, ": empty file (expected a header row)");
    check(!table.rows.empty(), name, ": no data rows after the header");
    return table;
}

TextTable read_table(const std::string& path, char delimiter) {
    return parse_table(read_text_file(path, "read_table"), path, delimiter);
}

}  // namespace soma::data
