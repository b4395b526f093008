// Tables of text fields and their preprocessing: one-hot categories, standardisation from the
// training rows only, the missing-value and unseen-category rules, free-text and bad-number
// errors, target detection, and the JSON round trip.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <string>
#include <vector>

#include "io/io_test_util.h"
#include "soma/data/table.h"
#include "soma/error.h"

namespace soma::data {
namespace {

template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

std::vector<std::int64_t> all_rows(const TextTable& t) {
    std::vector<std::int64_t> rows(t.size());
    for (std::int64_t i = 0; i < t.size(); ++i) rows[i] = i;
    return rows;
}

TEST(Table, ParsesQuotesBlankLinesAndCrlf) {
    TextTable t = parse_table("a, \"b, c\" ,d\r\n\n1,\"x \"\"y\"\"\",\r\n 2 ,z,NA\n", "t.csv");
    EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "b, c", "d"}));
    ASSERT_EQ(t.size(), 2);
    EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "x \"y\"", ""}));
    EXPECT_EQ(t.rows[1], (std::vector<std::string>{"2", "z", "NA"}));
    EXPECT_EQ(t.lines, (std::vector<std::int64_t>{3, 4}));
    EXPECT_EQ(t.find("d"), 2);
    EXPECT_EQ(t.find("e"), -1);
    EXPECT_EQ(parse_table("\xEF\xBB\xBFid,y\n1,2\n").columns,
              (std::vector<std::string>{"id", "y"}));
}

TEST(Table, ParseErrorsNameFileAndLine) {
    EXPECT_EQ(error_of([] { parse_table("a,b\n1,2\n3\n", "t.csv"); }),
              "t.csv:3: 1 fields, expected 2 (as in the header)");
    EXPECT_EQ(error_of([] { parse_table("a,a\n1,2\n", "t.csv"); }),
              "t.csv:1: header: column name 'a' appears twice");
    EXPECT_EQ(error_of([] { parse_table("a,b\n", "t.csv"); }),
              "t.csv: no data rows after the header");
    EXPECT_EQ(error_of([] { parse_table("a,b\n\"1,2\n", "t.csv"); }),
              "t.csv:2: unterminated quoted field");
    EXPECT_NE(error_of([] { read_table("/nonexistent/x.csv"); }).find("cannot open /nonexistent"),
              std::string::npos);
}

TEST(Table, ReadsGzipLikePlain) {
    test::TempDir dir;
    const std::string text = "x,y\n1,a\n2,b\n";
    test::write_bytes(dir.file("t.csv"), text);
    gzFile f = gzopen(dir.file("t.csv.gz").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
    gzclose(f);
    TextTable plain = read_table(dir.file("t.csv")), gz = read_table(dir.file("t.csv.gz"));
    EXPECT_EQ(plain.rows, gz.rows);
    EXPECT_EQ(gz.columns, (std::vector<std::string>{"x", "y"}));
}

TEST(Table, MissingSpellings) {
    for (const char* m : {"", "NA", "na", "N/A", "nan", "NaN", "null", "NULL", "?"})
        EXPECT_TRUE(is_missing(m)) << m;
    for (const char* v : {"0", "none", "nana", "-"}) EXPECT_FALSE(is_missing(v)) << v;
}

TEST(Table, StandardisesWithTrainingRowsOnly) {
    // Rows 0-2 train (mean 2, population std sqrt(2/3)); row 3's 100 must not move them.
    TextTable t = parse_table("x,y\n1,0.5\n2,1.5\n3,2.5\n100,3.5\n", "t.csv");
    TableEncoding enc = fit_encoding(t, {0, 1, 2}, {.target = "y"});
    ASSERT_EQ(enc.inputs.size(), 1u);
    EXPECT_TRUE(enc.inputs[0].numeric);
    EXPECT_DOUBLE_EQ(enc.inputs[0].mean, 2.0);
    EXPECT_DOUBLE_EQ(enc.inputs[0].std, std::sqrt(2.0 / 3.0));
    EXPECT_FALSE(enc.inputs[0].missing_indicator);
    EXPECT_EQ(enc.task, Task::Regression);  // 0.5, 1.5, ...: not whole numbers
    EXPECT_DOUBLE_EQ(enc.target_mean, 1.5);
    Tensor x = enc.transform(t);
    ASSERT_EQ(x.shape(), (Shape{4, 1}));
    const auto v = x.to_vector<float>();
    EXPECT_NEAR(v[0], -1 / std::sqrt(2.0 / 3.0), 1e-6);
    EXPECT_NEAR(v[1], 0, 1e-7);
    EXPECT_NEAR(v[3], 98 / std::sqrt(2.0 / 3.0), 1e-4);
    Tensor y = enc.targets(t);  // standardised: (y - 1.5) / sqrt(2/3)
    ASSERT_EQ(y.shape(), (Shape{4, 1}));
    EXPECT_NEAR(y.to_vector<float>()[0], -1 / std::sqrt(2.0 / 3.0), 1e-6);
    EXPECT_NEAR(enc.unstandardise(y).to_vector<float>()[3], 3.5, 1e-5);
}

TEST(Table, OneHotFromTrainingCategoriesAndUnseenAsZeros) {
    TextTable t =
        parse_table("color,size,y\nred,1,1.5\nblue,2,2.5\nred,3,3.5\ngreen,4,4.5\n", "t.csv");
    TableEncoding enc = fit_encoding(t, {0, 1, 2}, {.target = "y"});
    ASSERT_EQ(enc.inputs.size(), 2u);
    EXPECT_FALSE(enc.inputs[0].numeric);
    EXPECT_EQ(enc.inputs[0].categories, (std::vector<std::string>{"blue", "red"}));  // no green
    EXPECT_EQ(enc.width(), 3);
    EXPECT_EQ(enc.feature_names(), (std::vector<std::string>{"color=blue", "color=red", "size"}));
    std::map<std::string, std::int64_t> unseen;
    const auto v = enc.transform(t, &unseen).to_vector<float>();                          // (4, 3)
    EXPECT_EQ(std::vector<float>(v.begin(), v.begin() + 2), (std::vector<float>{0, 1}));  // red
    EXPECT_EQ(std::vector<float>(v.begin() + 3, v.begin() + 5), (std::vector<float>{1, 0}));
    EXPECT_EQ(std::vector<float>(v.begin() + 9, v.begin() + 11), (std::vector<float>{0, 0}));
    EXPECT_EQ(unseen, (std::map<std::string, std::int64_t>{{"color", 1}}));
}

TEST(Table, MissingNumbersBecomeTheMeanWithAnIndicator) {
    TextTable t = parse_table("a,b,c,y\n1,,x,0.5\nNA,5,,1.5\n3,7,z,2.5\n", "t.csv");
    TableEncoding enc = fit_encoding(t, all_rows(t), {.target = "y"});
    ASSERT_EQ(enc.inputs.size(), 3u);
    EXPECT_TRUE(enc.inputs[0].missing_indicator);
    EXPECT_DOUBLE_EQ(enc.inputs[0].mean, 2.0);  // of the present values 1 and 3
    EXPECT_DOUBLE_EQ(enc.inputs[1].mean, 6.0);
    EXPECT_EQ(enc.feature_names(),
              (std::vector<std::string>{"a", "a:missing", "b", "b:missing", "c=x", "c=z"}));
    const auto v = enc.transform(t).to_vector<float>();  // (3, 6)
    // Row 1: a missing -> mean (0) with indicator 1; c missing -> all zeros.
    EXPECT_EQ(std::vector<float>(v.begin() + 6, v.begin() + 8), (std::vector<float>{0, 1}));
    EXPECT_EQ(std::vector<float>(v.begin() + 10, v.begin() + 12), (std::vector<float>{0, 0}));
    EXPECT_EQ(v[1], 0);  // a present in row 0: indicator 0
    for (float f : v) EXPECT_TRUE(std::isfinite(f));
    // Missing in new data for a column whose training rows had none: the mean, no indicator.
    TableEncoding full = fit_encoding(t, {2}, {.target = "y"});
    EXPECT_FALSE(full.inputs[0].missing_indicator);
    EXPECT_EQ(full.transform(t).to_vector<float>()[full.width()], 0);
}

TEST(Table, ErrorsNameTheColumn) {
    TextTable text = parse_table(
        "name,x,y\na,1,0\nb,2,1\nc,3,0\nd,4,1\ne,5,0\nf,6,1\ng,7,0\nh,8,1\ni,9,0\nj,10,1\n",
        "t.csv");
    EXPECT_NE(error_of([&] { fit_encoding(text, all_rows(text), {.target = "y"}); })
                  .find("t.csv: column 'name' looks like free text (10 distinct values in 10 "
                        "training rows"),
              std::string::npos);
    TableEncoding enc = fit_encoding(text, all_rows(text), {.target = "y", .ignore = {"name"}});
    EXPECT_EQ(enc.width(), 1);
    EXPECT_EQ(enc.task, Task::Classification);  // two whole numbers
    EXPECT_EQ(enc.classes, (std::vector<std::string>{"0", "1"}));

    EXPECT_EQ(error_of([&] { fit_encoding(text, {0}, {.target = "z"}); }),
              "t.csv: no target column 'z' (columns: name, x, y)");
    TextTable inf = parse_table("x,y\n1,0\ninf,1\n", "t.csv");
    EXPECT_EQ(error_of([&] { fit_encoding(inf, {0}, {.target = "y"}); }),
              "t.csv:3: column 'x': 'inf' is not a finite number");
    TextTable no_target = parse_table("x,y\n1,0\n2,\n", "t.csv");
    EXPECT_EQ(error_of([&] { fit_encoding(no_target, {0}, {.target = "y"}); }),
              "t.csv:3: column 'y': the target is missing");
    TextTable empty_col = parse_table("x,e,y\n1,,0\n2,NA,1\n", "t.csv");
    EXPECT_NE(error_of([&] {
                  fit_encoding(empty_col, {0}, {.target = "y"});
              }).find("column 'e' has no values"),
              std::string::npos);
    // A numeric column with text in new data.
    TextTable later = parse_table("x,y\n1,0.5\nabc,0.5\n", "new.csv");
    TableEncoding num =
        fit_encoding(parse_table("x,y\n1,0.5\n2,1.5\n", "t.csv"), {0, 1}, {.target = "y"});
    EXPECT_EQ(error_of([&] { num.transform(later); }),
              "new.csv:3: column 'x': 'abc' is not a finite number (the column is numeric)");
    EXPECT_EQ(error_of([&] { num.transform(parse_table("z\n1\n", "new.csv")); }),
              "new.csv: no input column 'x' (columns: z)");
}

TEST(Table, DetectsTheTaskAndSortsClasses) {
    TextTable species = parse_table("x,s\n1,virginica\n2,setosa\n3,virginica\n", "t.csv");
    TableEncoding enc = fit_encoding(species, {0, 1}, {.target = "s"});
    EXPECT_EQ(enc.task, Task::Classification);
    EXPECT_EQ(enc.classes, (std::vector<std::string>{"setosa", "virginica"}));
    EXPECT_EQ(enc.targets(species).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 1}));
    EXPECT_NE(error_of([&] {
                  enc.targets(parse_table("x,s\n1,rose\n", "n.csv"));
              }).find("n.csv:2: column 's': class 'rose' is not one the model knows"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  fit_encoding(species, {0}, {.target = "s", .task = Task::Regression});
              }).find("is not numeric"),
              std::string::npos);

    TextTable numbers = parse_table("x,c\n1,10\n2,2\n3,10\n", "t.csv");
    EXPECT_EQ(fit_encoding(numbers, {0, 1, 2}, {.target = "c"}).classes,
              (std::vector<std::string>{"2", "10"}));  // by value
    // Many distinct whole numbers: regression, unless asked otherwise.
    EXPECT_EQ(fit_encoding(numbers, {0, 1, 2}, {.target = "c", .max_classes = 1}).task,
              Task::Regression);
    EXPECT_EQ(fit_encoding(numbers, {0, 1, 2}, {.target = "c", .task = Task::Regression}).task,
              Task::Regression);
}

TEST(Table, EncodingJsonRoundTrip) {
    TextTable t = parse_table("a,c,y\n0.1,x,p\n,y,q\n0.30000000000000004,x,p\n", "t.csv");
    TableEncoding enc = fit_encoding(t, all_rows(t), {.target = "y"});
    TableEncoding back = TableEncoding::from_json(enc.to_json(), "m.safetensors");
    EXPECT_EQ(back, enc);  // doubles exactly
    EXPECT_EQ(back.transform(t).to_vector<float>(), enc.transform(t).to_vector<float>());
    EXPECT_NE(error_of([] {
                  TableEncoding::from_json("{\"version\":1}", "m.safetensors");
              }).find("m.safetensors: malformed preprocessing metadata"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  TableEncoding::from_json("not json", "m.safetensors");
              }).find("m.safetensors: malformed"),
              std::string::npos);
}

}  // namespace
}  // namespace soma::data
