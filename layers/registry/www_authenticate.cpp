// Parses WWW-Authenticate (RFC 7235 section 4.1):
//
//   challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param  = token BWS "=" BWS ( token / quoted-string )
//
// Several challenges may share one header, separated by commas, so a comma does not say whether
// a parameter or a new challenge follows: a token followed by "=" is a parameter, a token
// followed by a space and another token is a new scheme. Unquoted values are taken up to a
// comma or a space, leniently (bare URLs are common). A token68 (e.g. "Negotiate abc==") is
// kept as the parameter "" and otherwise ignored; registries use only auth-params.
#include "layers/registry/www_authenticate.h"

#include <cctype>

namespace imgmount {
namespace {

bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  for (char allowed : std::string_view("!#$%&'*+-.^_`|~")) {
    if (c == allowed) return true;
  }
  return false;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A cursor over the header value.
class Scanner {
 public:
  explicit Scanner(const std::string& text) : text_(text) {}

  bool AtEnd() const { return at_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[at_]; }
  void SkipSpace() {
    while (!AtEnd() && (text_[at_] == ' ' || text_[at_] == '\t')) ++at_;
  }
  // Skips spaces and commas (empty list elements are allowed).
  void SkipSeparators() {
    while (!AtEnd() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == ',')) ++at_;
  }
  std::string Token() {
    size_t start = at_;
    while (!AtEnd() && IsTokenChar(text_[at_])) ++at_;
    return text_.substr(start, at_ - start);
  }
  // A token68: token characters plus "/" and trailing "=".
  std::string Token68() {
    size_t start = at_;
    while (!AtEnd() && (IsTokenChar(text_[at_]) || text_[at_] == '/')) ++at_;
    while (!AtEnd() && text_[at_] == '=') ++at_;
    return text_.substr(start, at_ - start);
  }
  // An unquoted value: RFC 7235 wants a token, but realms are written bare too
  // ("realm=https://x/token"); everything up to a comma or a space is taken.
  std::string Bare() {
    size_t start = at_;
    while (!AtEnd() && text_[at_] != ',' && text_[at_] != ' ' && text_[at_] != '\t') ++at_;
    return text_.substr(start, at_ - start);
  }
  // A quoted string after its opening quote; false if it does not end.
  bool Quoted(std::string& out) {
    ++at_;
    while (!AtEnd()) {
      char c = text_[at_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (AtEnd()) return false;
        c = text_[at_++];
      }
      out.push_back(c);
    }
    return false;
  }
  // Whether the text from here is `token BWS "="` (a parameter, not a new scheme or token68).
  bool ParamFollows() const {
    size_t i = at_;
    while (i < text_.size() && IsTokenChar(text_[i])) ++i;
    if (i == at_) return false;
    while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t')) ++i;
    // "==" ends a token68 ("abc=="), a single "=" starts a value.
    return i < text_.size() && text_[i] == '=' && (i + 1 >= text_.size() || text_[i + 1] != '=');
  }
  size_t position() const { return at_; }

 private:
  const std::string& text_;
  size_t at_ = 0;
};

}  // namespace

std::vector<AuthChallenge> ParseWwwAuthenticate(const std::string& value) {
  std::vector<AuthChallenge> out;
  Scanner s(value);
  s.SkipSeparators();
  while (!s.AtEnd()) {
    std::string scheme = s.Token();
    if (scheme.empty()) return out;
    AuthChallenge challenge;
    challenge.scheme = Lower(scheme);
    s.SkipSpace();
    if (!s.ParamFollows() && !s.AtEnd() && s.Peek() != ',') {
      challenge.params[""] = s.Token68();
      s.SkipSpace();
    }
    // Parameters until the end or a token that is not followed by "=" (the next scheme).
    while (true) {
      size_t before = s.position();
      s.SkipSeparators();
      if (s.AtEnd() || !s.ParamFollows()) {
        if (s.AtEnd() || s.position() != before) break;
        out.push_back(std::move(challenge));
        return out;  // garbage where a separator was due
      }
      std::string name = Lower(s.Token());
      s.SkipSpace();
      s.Token68();  // the "="
      s.SkipSpace();
      std::string param;
      if (s.Peek() == '"') {
        if (!s.Quoted(param)) {
          out.push_back(std::move(challenge));
          return out;
        }
      } else {
        param = s.Bare();
      }
      challenge.params.emplace(name, std::move(param));
      s.SkipSpace();
    }
    out.push_back(std::move(challenge));
    s.SkipSeparators();
  }
  return out;
}

}  // namespace imgmount
