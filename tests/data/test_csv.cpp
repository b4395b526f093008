// The CSV reader: layouts (header, skipped lines, whitespace, quotes, gzip), label splitting,
// and errors that name the file and line.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "io/io_test_util.h"
#include "soma/data/csv.h"
#include "soma/error.h"

namespace soma::data {
namespace {

std::string error_of(const std::string& text, const CsvOptions& options = {}) {
    try {
        parse_csv(text, options, "t.csv");
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(Csv, PlainNumbers) {
    CsvTable t = parse_csv("1,2,3\n4.5,-6e-1,+7\r\n\n");
    EXPECT_EQ(t.rows, 2);
    EXPECT_EQ(t.cols, 3);
    EXPECT_TRUE(t.columns.empty());
    EXPECT_EQ(t.values, (std::vector<double>{1, 2, 3, 4.5, -0.6, 7}));
    Tensor x = t.tensor();
    EXPECT_EQ(x.shape(), (Shape{2, 3}));
    EXPECT_EQ(x.dtype(), kFloat32);
    EXPECT_EQ(t.tensor(kFloat64).to_vector<double>(), t.values);
}

TEST(Csv, HeaderQuotesAndSkippedLines) {
    // The layout of sklearn's boston_house_prices.csv: a size line, then quoted names.
    CsvTable t = parse_csv("3,2,,\n\"A\",\"B, with comma\"\n1,\"2\"\n 3 , 4 \n5,6\n",
                           {.skip_rows = 1, .header = true});
    EXPECT_EQ(t.skipped, std::vector<std::string>{"3,2,,"});
    EXPECT_EQ(t.columns, (std::vector<std::string>{"A", "B, with comma"}));
    EXPECT_EQ(t.rows, 3);
    EXPECT_EQ(t.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(Csv, WhitespaceDelimited) {
    CsvTable t = parse_csv("59 2  32.1\t101.0\n48 1 21.6 87\n", {.delimiter = ' '});
    EXPECT_EQ(t.cols, 4);
    EXPECT_EQ(t.values, (std::vector<double>{59, 2, 32.1, 101, 48, 1, 21.6, 87}));
}

TEST(Csv, NanAndInfAreNumbers) {
    CsvTable t = parse_csv("nan,inf,-inf\n");
    EXPECT_TRUE(std::isnan(t.values[0]));
    EXPECT_TRUE(std::isinf(t.values[1]) && t.values[2] < 0);
}

TEST(Csv, ReadsGzipAndPlainFiles) {
    // small.csv.gz holds "1.5 2 0\n-3e2 4.25 1\n" (python3: gzip.compress(data, mtime=0)).
    const std::string gz = std::string(SOMA_FIXTURE_DIR) + "/csv/small.csv.gz";
    CsvTable t = read_csv(gz, {.delimiter = ' '});
    EXPECT_EQ(t.rows, 2);
    EXPECT_EQ(t.values, (std::vector<double>{1.5, 2, 0, -300, 4.25, 1}));

    test::TempDir dir;
    test::write_bytes(dir.file("plain.csv"), "1.5 2 0\n-3e2 4.25 1\n");
    EXPECT_EQ(read_csv(dir.file("plain.csv"), {.delimiter = ' '}).values, t.values);
}

TEST(Csv, SplitLabel) {
    CsvTable t = parse_csv("0.5,1.5,2\n2.5,3.5,0\n");
    Labeled d = split_label(t, -1);
    EXPECT_EQ(d.features.shape(), (Shape{2, 2}));
    EXPECT_EQ(d.features.to_vector<float>(), (std::vector<float>{0.5, 1.5, 2.5, 3.5}));
    EXPECT_EQ(d.labels.dtype(), kInt64);
    EXPECT_EQ(d.labels.to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 0}));

    Labeled r = split_label(t, 0, /*class_indices=*/false);
    EXPECT_EQ(r.labels.dtype(), kFloat32);
    EXPECT_EQ(r.labels.to_vector<float>(), (std::vector<float>{0.5, 2.5}));
    EXPECT_EQ(r.features.to_vector<float>(), (std::vector<float>{1.5, 2, 3.5, 0}));
}

TEST(CsvErrors, NameFileLineAndColumn) {
    EXPECT_EQ(error_of("1,2,3\n4,5\n"), "t.csv:2: 2 fields, expected 3 (as in the first row)");
    EXPECT_EQ(error_of("a,b\n1,2,3\n", {.header = true}),
              "t.csv:2: 3 fields, expected 2 (as in the header)");
    EXPECT_EQ(error_of("meta\n1,2\n1,x2\n", {.skip_rows = 1}),
              "t.csv:3: column 2: 'x2' is not a number");
    EXPECT_EQ(error_of("1,,3\n"), "t.csv:1: column 2: '' is not a number");
    EXPECT_EQ(error_of("1,2\n3,4 5\n"), "t.csv:2: column 2: '4 5' is not a number");
    EXPECT_EQ(error_of("1;2\n"), "t.csv:1: column 1: '1;2' is not a number");
    EXPECT_EQ(error_of(""), "t.csv: no data rows");
    EXPECT_EQ(error_of("a,b\n\n", {.header = true}),
              "t.csv: no data rows after the skipped/header lines");
}

// A blank first row kept with a whitespace delimiter had no fields: the table then said 2 rows
// of 3 columns over 3 values, and split_label read past the buffer (ASan heap-buffer-overflow).
TEST(CsvErrors, BlankRowsKeptAreRejected) {
    const CsvOptions keep_blank{.delimiter = ' ', .skip_blank = false};
    EXPECT_EQ(error_of("\n1 2 3\n", keep_blank),
              "t.csv:1: blank line (no fields) where a row was expected; set skip_blank to "
              "ignore it");
    EXPECT_EQ(error_of("1 2 3\n \t\n4 5 6\n", keep_blank),
              "t.csv:2: blank line (no fields) where a row was expected; set skip_blank to "
              "ignore it");
    EXPECT_EQ(error_of("\n1 2\n", {.delimiter = ' ', .header = true, .skip_blank = false}),
              "t.csv:1: blank line (no fields) where a row was expected; set skip_blank to "
              "ignore it");
    // With a real delimiter a kept blank line is one empty field, not a number.
    EXPECT_EQ(error_of("\n1,2\n", {.skip_blank = false}), "t.csv:1: column 1: '' is not a number");
    // Skipped (the default), the same text parses.
    CsvTable t = parse_csv("\n1 2 3\n\n4 5 6\n", {.delimiter = ' '});
    EXPECT_EQ(t.rows, 2);
    EXPECT_EQ(t.cols, 3);
    EXPECT_EQ(t.values.size(), 6u);
    EXPECT_EQ(split_label(t, -1).features.shape(), (Shape{2, 2}));

    // A hand-made inconsistent table is refused rather than read past its end.
    CsvTable bad;
    bad.rows = 2;
    bad.cols = 3;
    bad.values = {1, 2, 3};
    EXPECT_THROW(split_label(bad, -1), Error);
}

TEST(CsvErrors, FilesAndLabels) {
    test::TempDir dir;
    auto what = [](auto&& f) {
        try {
            f();
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const std::string missing = dir.file("missing.csv");
    EXPECT_EQ(what([&] { read_csv(missing); }), "read_csv: cannot open " + missing);

    // A gzip file cut short: zlib's complaint, with the file's name.
    std::string gz = test::read_bytes(std::string(SOMA_FIXTURE_DIR) + "/csv/small.csv.gz");
    test::write_bytes(dir.file("cut.csv.gz"), gz.substr(0, gz.size() - 12));
    std::string msg = what([&] { read_csv(dir.file("cut.csv.gz")); });
    EXPECT_NE(msg.find(dir.file("cut.csv.gz")), std::string::npos) << msg;
    EXPECT_NE(msg.find("cannot decompress"), std::string::npos) << msg;

    test::write_bytes(dir.file("bad.csv"), "1,2\n3,4\n5,oops\n");
    EXPECT_EQ(what([&] { read_csv(dir.file("bad.csv")); }),
              dir.file("bad.csv") + ":3: column 2: 'oops' is not a number");

    CsvTable t = parse_csv("1,0.5\n2,3\n");
    EXPECT_EQ(what([&] { split_label(t, -1); }),
              "split_label: row 1: label 0.5 is not a class index (a whole number >= 0)");
    EXPECT_EQ(what([&] { split_label(t, 2); }), "split_label: column 2 out of range for 2 columns");
    EXPECT_EQ(what([&] { split_label(parse_csv("1\n"), 0); }),
              "split_label: need a feature column besides the label");
}

}  // namespace
}  // namespace soma::data
