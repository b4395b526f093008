// soma g2p: pronounce words with a model of `soma train g2p`.
//   soma g2p out/g2p/best.safetensors soma tensor --nbest 3
// One line per word: the word, then its pronunciations, best first, separated by " | ".

#include <soma/error.h>
#include <soma/threading.h>
#include <soma/train/g2p.h>

#include <iostream>
#include <memory>

#include "commands.h"

namespace soma::cli {

namespace {

struct G2PArgs {
    std::string checkpoint;
    std::vector<std::string> words;
    train::PronounceOptions o;
    int threads = 0;
};

int run_g2p(const G2PArgs& a) {
    if (a.threads > 0) set_num_threads(a.threads);
    try {
        train::G2PModel m = train::load_g2p(a.checkpoint);
        const auto prons = train::pronounce(m, a.words, a.o);
        for (std::size_t k = 0; k < a.words.size(); ++k) {
            std::cout << a.words[k];
            for (std::size_t j = 0; j < prons[k].size(); ++j)
                std::cout << (j ? " | " : "  ") << prons[k][j];
            std::cout << "\n";
        }
        return 0;
    } catch (const soma::Error& e) {
        std::cerr << "soma g2p: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

Command add_g2p(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app = root.add_subcommand("g2p", "Pronounce words with a model of `soma train g2p`");
    auto a = std::make_shared<G2PArgs>();
    app->add_option("checkpoint", a->checkpoint,
                    "The model: checkpoint.safetensors or best.safetensors of soma train g2p")
        ->required()
        ->check(CLI::ExistingFile);
    app->add_option("words", a->words, "Words to pronounce (letters a-z and ')")->required();
    app->add_option("--beam", a->o.beam, "Beam width")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{64}))
        ->capture_default_str();
    app->add_option("--nbest", a->o.nbest, "Pronunciations per word (at most --beam)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{64}))
        ->capture_default_str();
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    return {app, [a] { return run_g2p(*a); }};
}

}  // namespace soma::cli
