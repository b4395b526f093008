// A recipe model with its table preprocessing: building, predicting, files (models/tabular.h).

#include "soma/models/tabular.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/io/checkpoint.h"
#include "soma/ops.h"

namespace soma::models {

namespace {

using nlohmann::json;

std::shared_ptr<nn::Module> make_net(const data::TableEncoding& enc, const RecipeOptions& o) {
    if (enc.task == data::Task::Classification) return std::make_shared<Classifier>(o);
    return std::make_shared<Regressor>(o);
}

std::string format_value(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.7g", static_cast<double>(v));
    return buf;
}

}  // namespace

TabularModel TabularModel::create(const data::TableEncoding& encoding, RecipeOptions options) {
    options.in = encoding.width();
    options.out = encoding.task == data::Task::Classification
                      ? static_cast<std::int64_t>(encoding.classes.size())
                      : 1;
    TabularModel m{.encoding = encoding, .options = options, .net = nullptr};
    m.net = make_net(encoding, options);
    return m;
}

std::string TabularModel::to_json() const {
    json model{{"kind", encoding.task == data::Task::Classification ? "classifier" : "regressor"},
               {"in", options.in},
               {"hidden", options.hidden},
               {"out", options.out},
               {"dropout", options.dropout},
               {"batch_norm", options.batch_norm},
               {"residual", options.residual}};
    return json{{"model", model}, {"preprocessing", json::parse(encoding.to_json())}}.dump();
}

TabularModel TabularModel::from_json(const std::string& text, const std::string& source) {
    data::TableEncoding enc;
    RecipeOptions o;
    try {
        const json j = json::parse(text);
        enc = data::TableEncoding::from_json(j.at("preprocessing").dump(), source);
        const json& m = j.at("model");
        o.in = m.at("in").get<std::int64_t>();
        o.hidden = m.at("hidden").get<std::vector<std::int64_t>>();
        o.out = m.at("out").get<std::int64_t>();
        o.dropout = m.at("dropout").get<double>();
        o.batch_norm = m.at("batch_norm").get<bool>();
        o.residual = m.at("residual").get<bool>();
    } catch (const json::exception& e) {
        fail(source, ": malformed '", kTabularKey, "' metadata: ", e.what());
    }
    TabularModel m = create(enc, o);
    check(m.options.in == o.in && m.options.out == o.out, source, ": the model's sizes (in ", o.in,
          ", out ", o.out, ") do not match its preprocessing (in ", m.options.in, ", out ",
          m.options.out, ")");
    return m;
}

TabularPredictions TabularModel::predict(const data::TextTable& table) {
    TabularPredictions p;
    Tensor x = encoding.transform(table, &p.unseen);  // (N, width)
    const bool classify = encoding.task == data::Task::Classification;
    p.metric_name = classify ? "accuracy" : "rmse";
    NoGrad no_grad;
    net->eval();
    Tensor out = net->forward(x);  // (N, out)
    if (classify) {
        p.probabilities = softmax(out, 1);
        p.output = argmax(out, 1);  // (N) int64
        for (std::int64_t c : p.output.to_vector<std::int64_t>())
            p.labels.push_back(encoding.classes[c]);
    } else {
        p.output = encoding.unstandardise(out).contiguous();  // (N, 1) target units
        for (float v : p.output.to_vector<float>()) p.labels.push_back(format_value(v));
    }
    if (table.find(encoding.target) >= 0) {
        // A bad target (missing, an unknown class) costs the metric, not the predictions.
        try {
            Tensor y = encoding.targets(table);
            p.metric = classify ? accuracy(p.output, y) : rmse(p.output, encoding.unstandardise(y));
        } catch (const Error& e) {
            p.no_metric = e.what();
        }
    }
    return p;
}

double rmse(const Tensor& prediction, const Tensor& target) {
    check(prediction.shape() == target.shape(), "rmse: shapes ", prediction.shape(), " and ",
          target.shape(), " differ");
    Tensor d = (prediction - target).to(kFloat64);
    return std::sqrt(mean(d * d).item<double>());
}

double accuracy(const Tensor& predicted, const Tensor& labels) {
    check(predicted.shape() == labels.shape() && predicted.dim() == 1, "accuracy: shapes ",
          predicted.shape(), " and ", labels.shape(), " are not the same (N)");
    const auto a = predicted.to_vector<std::int64_t>(), b = labels.to_vector<std::int64_t>();
    std::int64_t hits = 0;
    for (std::size_t i = 0; i < a.size(); ++i) hits += a[i] == b[i];
    return a.empty() ? 0 : static_cast<double>(hits) / static_cast<double>(a.size());
}

void save_tabular(TabularModel& model, const std::string& path, const io::Metadata& extra) {
    io::Metadata m = extra;
    m[kTabularKey] = model.to_json();
    io::save_module(*model.net, path, m);
}

TabularModel load_tabular(const std::string& path) {
    const io::Metadata meta = io::load_safetensors(path).metadata;
    auto it = meta.find(kTabularKey);
    check(it != meta.end(), path, ": not a model of `soma train csv` (no '", kTabularKey,
          "' metadata entry)");
    TabularModel m = TabularModel::from_json(it->second, path);
    try {
        // A training checkpoint keeps the weights beside the optimiser's state.
        auto format = meta.find("soma.format");
        if (format != meta.end() && format->second == "checkpoint")
            io::load_checkpoint(path, *m.net);
        else
            io::load_module(*m.net, path);
    } catch (const Error& e) {
        fail(path, ": the weights do not fit the model: ", e.what());
    }
    return m;
}

}  // namespace soma::models
