#pragma once
// tests/fixtures/optim.json (tools/fixtures/optim.py), shared by the optim tests.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace soma::test {

inline const nlohmann::json& optim_fixture() {
    static const nlohmann::json doc = [] {
        std::ifstream file(std::string(SOMA_FIXTURE_DIR) + "/optim.json");
        if (!file) {
            ADD_FAILURE() << "missing tests/fixtures/optim.json (run tools/fixtures/optim.py)";
            return nlohmann::json::object();
        }
        return nlohmann::json::parse(file);
    }();
    return doc;
}

}  // namespace soma::test
