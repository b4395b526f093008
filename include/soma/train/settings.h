#pragma once
// A recipe's run settings, declared once and serialised from that one declaration (the way a
// Module declares its state in visit()). The settings stay a plain aggregate (designated
// initialisers keep working); a non-virtual member declares the fields:
//
//   struct MyOptions {
//       std::string model = "mlp";
//       double lr = 1e-3;
//       std::int64_t epochs = 10;
//       void fields(train::FieldVisitor& v) {
//           v.field("model", model);
//           v.field("lr", lr);
//           v.field("epochs", epochs, train::Field::MayChange);  // a resumed run may extend it
//       }
//   };
//   io::Metadata m = train::to_metadata([&](train::FieldVisitor& v) { o.fields(v); });
//
// to_metadata() writes every field as a decimal string (doubles exactly, %.17g) into checkpoint
// metadata; from_metadata() reads them back, strictly (a missing or malformed value is an error
// naming the field and the value). resolve_resumed() is what `--resume` does: the checkpoint's
// values win, and a value the user gave explicitly that contradicts the checkpoint is an error
// naming both.

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "soma/io/safetensors.h"

namespace soma::train {

enum class Field {
    Fixed,      // part of the run's identity: a resumed run must keep it
    MayChange,  // may differ on resume (total epochs, patience, output folder)
};

class FieldVisitor {
public:
    virtual ~FieldVisitor() = default;
    virtual void field(const char* name, std::string& v, Field kind = Field::Fixed) = 0;
    virtual void field(const char* name, std::int64_t& v, Field kind = Field::Fixed) = 0;
    virtual void field(const char* name, std::uint64_t& v, Field kind = Field::Fixed) = 0;
    virtual void field(const char* name, double& v, Field kind = Field::Fixed) = 0;
    virtual void field(const char* name, bool& v, Field kind = Field::Fixed) = 0;
};

// Calls v.field(...) once per setting, in a fixed order; names are snake_case ("batch_size").
using DeclareFields = std::function<void(FieldVisitor& v)>;

// Every field as "name" -> decimal string (bools "1"/"0", doubles with 17 digits).
io::Metadata to_metadata(const DeclareFields& s);
// Reads every field from `m`; `source` names the file in errors. Keys of `m` that are not
// fields are ignored (checkpoints hold other entries too).
void from_metadata(const DeclareFields& s, const io::Metadata& m, const std::string& source);
// The names of the fields, in declaration order.
std::vector<std::string> field_names(const DeclareFields& s);

// The fields of an options struct with a `void fields(FieldVisitor&)` member.
template <class Options>
DeclareFields fields_of(Options& o) {
    return [&o](FieldVisitor& v) { o.fields(v); };
}
// The names of the fields whose values differ between two declarations of the same fields.
std::set<std::string> differing_fields(const DeclareFields& a, const DeclareFields& b);
// The fields of `o` that differ from a default-constructed Options: what a C++ caller, who has no
// command line, set on purpose.
template <class Options>
std::set<std::string> non_default_fields(Options& o) {
    Options defaults;
    return differing_fields(fields_of(o), fields_of(defaults));
}

// For --resume: overwrites the Fixed fields `s` declares with the checkpoint's (`saved`, from
// `source`). `given` names the fields the user set explicitly (command-line flags); one of them
// whose value differs from the checkpoint's is an error that names the field and both values.
// MayChange fields keep their values. Fields absent from `saved` are an error.
void resolve_resumed(const DeclareFields& s, const io::Metadata& saved,
                     const std::set<std::string>& given, const std::string& source);

}  // namespace soma::train
