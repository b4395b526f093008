#pragma once
// The gallery: the lecture's examples, one entry per slide and one file per entry
// (gallery/NN_name.cpp holds its whole program: data, model, training, figure). A program of
// its own on top of libsoma (the library never includes this), run by `soma gallery` (which
// collects the figures in one HTML page), by one executable per entry (build/examples/NN_name)
// and by the tests (which run every entry in quick mode and check its outcome).
//
//   gallery::Context ctx{.out_dir = "out", .seed = 1};
//   gallery::Result r = gallery::run(*gallery::find("05_mlp_xor"), ctx);
//   std::cout << r.summary << "\n";   // "MLP 2-2-1 (sigmoid) on XOR: ... outputs 0.02 0.98 ..."

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace soma::gallery {

struct Context {
    std::string out_dir = ".";        // figures and other files go here (created if missing)
    std::uint64_t seed = 0;           // every random draw of an entry derives from it
    bool quick = false;               // fewer steps (tests); outcomes must still hold
    std::ostream* log = nullptr;      // the entry's detailed printout (tables); null: discarded
    std::vector<std::string> args{};  // entry-specific arguments from a program's command line

    std::string path(const std::string& file) const;  // out_dir/file
    std::ostream& out() const;                        // *log, or a stream that discards
};

struct Result {
    std::string summary;                    // one line: what was trained, the measured outcome
    std::vector<std::string> figures;       // files written (paths as given by Context::path)
    std::map<std::string, double> metrics;  // the numbers tests check ("errors", "accuracy")
    bool ok = true;                         // false: the outcome is not what the slide claims
};

struct Entry {
    std::string name;     // "05_mlp_xor": its file gallery/05_mlp_xor.cpp, its program
    std::string slide;    // the lecture slide's title
    std::string caption;  // one paragraph: what the figure shows and how it ties to the slide
    std::function<Result(Context&)> run;
};

// All entries, by number (mostly the lecture's order; README.md maps every slide to its entries).
const std::vector<Entry>& entries();
// The entry of that name, or null.
const Entry* find(const std::string& name);
// The entries a command line means by `part`: the entry of that exact name, else every entry
// whose name contains it ("cos2sin" and "07" give 07_cos2sin; "xor" gives 01_binary_xor and
// 05_mlp_xor). Empty when none does.
std::vector<const Entry*> match(const std::string& part);

// Creates ctx.out_dir and runs the entry. An exception from the entry becomes a Result with
// ok = false and the message as summary. Adds metrics["seconds"].
Result run(const Entry& entry, Context& ctx);

// Writes out_dir/index.html: per entry its slide, caption, summary, figures (SVG/PNG shown,
// other files linked), metrics and detailed log. Written atomically.
struct Report {
    const Entry* entry;
    Result result;
    std::string log;
};
void write_index(const std::string& out_dir, const std::vector<Report>& reports);

}  // namespace soma::gallery
